import type { Worker } from 'bullmq';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { closeWithin } from './jobs/close-within.js';
import { createPublishWorker, workerSettings } from './jobs/publish-worker.js';
import type { PublishJobData, SourcePolicy } from './jobs/publish-job.js';
import type { PublishJobResult } from './jobs/publish-processor.js';
import type { Platform } from './platforms/platform.js';
import { redisConnection } from './jobs/queues.js';
import { redisTarget } from './redis-client.js';
import { redisLedger } from './jobs/release-ledger.js';
import { redisBindings } from './jobs/publish-bindings.js';
import { buildDistributions } from './publishing/build.js';
import { credentialsFor } from './publishing/credentials.js';
import { lookupFile } from './publishing/index-lookup.js';
import { resolveSandbox } from './publishing/sandbox-probe.js';
import { uploadDistribution } from './publishing/upload-client.js';
import type { ServerConfig } from './server-config.js';

export interface RunningWorker {
  readonly worker: Worker<PublishJobData, PublishJobResult>;
  /** Stops taking jobs, waits for the running ones, then disconnects. */
  close(): Promise<void>;
}

export interface WorkerOptions {
  readonly config: Config;
  readonly server: ServerConfig;
  readonly log: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The forge Platform of a job's repository; omitted: no forge credentials, so only local archives (with `sources`) can be built. */
  readonly platformFor?: (data: PublishJobData) => Promise<Platform | null>;
  /** Tests and tools that enqueue local archives themselves; the service never passes it (publish-job.ts). */
  readonly sources?: SourcePolicy;
  readonly gitlabUrl?: string;
}

/** Composition root of the worker process: the only place its adapters are built. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { config, server, log, env } = options;
  const connection = redisConnection(redisTarget(config), 'pyrelease-worker');
  // Outages are logged once per reconnect attempt here rather than as ioredis's unhandled-error noise.
  connection.on('error', (error) => log.warn({ err: error.message }, 'redis connection error'));
  const sandbox = await resolveSandbox(config.buildSandbox);
  if (sandbox === 'none') {
    log.warn(
      { setting: config.buildSandbox },
      'builds run without namespaces: a build can read this process\'s environment through /proc; keep registry credentials in PYRELEASE_PYPIRC or allow unprivileged user namespaces',
    );
  }
  const worker = createPublishWorker(
    connection,
    workerSettings(config),
    {
      dataDir: config.dataDir,
      registries: server.registries,
      policy: server.policy,
      bindings: redisBindings(connection, config.queuePrefix),
      ...(options.gitlabUrl === undefined ? {} : { gitlabUrl: options.gitlabUrl }),
      platformFor: options.platformFor ?? (() => Promise.resolve(null)),
      build: buildDistributions,
      buildSettings: {
        isolation: config.buildIsolation,
        timeoutMs: config.buildTimeoutMs,
        maxLogBytes: 1024 * 1024,
        sandbox,
        ...(config.buildPipIndexUrl === undefined ? {} : { pipIndexUrl: config.buildPipIndexUrl }),
      },
      ports: {
        credentials: (target) => credentialsFor(target.name, env, config.pypirc),
        lookupFile: (target, project, filename, auth) => lookupFile(target.simpleUrl, project, filename, { auth, timeoutMs: 30_000 }),
        upload: async (target, info, auth) => {
          await uploadDistribution({ uploadUrl: target.uploadUrl, username: auth.username, password: auth.password, info, timeoutMs: config.uploadTimeoutMs });
        },
      },
      ledger: redisLedger(connection, config.queuePrefix),
      dryRun: config.dryRun,
      log,
    },
    log,
    { sources: options.sources ?? 'forge-only' },
  );
  void worker.run();
  await worker.waitUntilReady();
  log.info({ concurrency: config.workerConcurrency, prefix: config.queuePrefix }, 'worker started');
  return {
    worker,
    close: async () => {
      await closeWithin(worker, config.shutdownGraceMs, log, 'publish');
      connection.disconnect();
    },
  };
}
