import type { Worker } from 'bullmq';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { closeWithin, runningJobs } from './jobs/close-within.js';
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
import { probeSandbox } from './publishing/sandbox-probe.js';
import type { SandboxDecision, SandboxSetting } from './publishing/sandbox-probe.js';
import { probeToolchain } from './publishing/toolchain-probe.js';
import type { ToolchainDecision } from './publishing/toolchain-probe.js';
import type { BuildRequest } from './publishing/build.js';
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
  const decision = await probeSandbox({
    setting: sandboxSetting(config),
    uid: config.buildUid,
    limits: { memoryBytes: config.buildMemoryMb * 1024 * 1024, maxProcesses: config.buildMaxProcesses, diskBytes: config.buildDiskMb * 1024 * 1024 },
  });
  announceSandbox(decision, log);
  const toolchain = await probeToolchain({ python: config.buildPython, path: env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin' });
  announceToolchain(toolchain, log);
  const refused = decision.kind === 'refused' || (toolchain.kind === 'missing' && toolchain.every.length > 0);
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
      build: decision.kind === 'off' ? uncontainedBuild(decision, log) : buildDistributions,
      buildSettings: {
        isolation: config.buildIsolation,
        python: config.buildPython,
        timeoutMs: config.buildTimeoutMs,
        maxLogBytes: 1024 * 1024,
        ...(decision.kind === 'contained' ? { sandbox: { containment: decision.containment, system: decision.system } } : {}),
        ...(config.buildPipIndexUrl === undefined ? {} : { pipIndexUrl: config.buildPipIndexUrl }),
        allowSdists: config.buildAllowSdists,
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
  // A worker that may not (or cannot) build takes no publish job: they wait for one that can.
  if (!refused) void worker.run();
  await worker.waitUntilReady();
  log.info({ concurrency: config.workerConcurrency, prefix: config.queuePrefix, builds: refused ? 'refused' : decision.kind }, 'worker started');
  return {
    worker,
    close: async () => {
      await closeWithin({ close: () => worker.close(), running: () => runningJobs(worker) }, config.shutdownGraceMs, log, 'publish');
      connection.disconnect();
    },
  };
}

/** Unset: required in production, where a release bot holds real credentials; auto elsewhere. */
export function sandboxSetting(config: Pick<Config, 'buildSandbox' | 'nodeEnv'>): SandboxSetting {
  return config.buildSandbox ?? (config.nodeEnv?.trim() === 'production' ? 'required' : 'auto');
}

function announceSandbox(decision: SandboxDecision, log: Logger): void {
  if (decision.kind === 'contained') {
    const c = decision.containment;
    log.info({ privilege: c.privilege, uid: c.uid, proc: c.proc }, 'builds are contained (bubblewrap: no network, own uid, limits)');
    for (const note of decision.notes) log.warn({ note }, 'build containment is weaker than it could be here');
  } else if (decision.kind === 'refused') {
    log.error({ problem: decision.problem }, 'PYRELEASE_BUILD_SANDBOX=required and builds cannot be contained here: this worker takes no publish job');
  } else {
    log.warn({ problem: decision.problem ?? 'PYRELEASE_BUILD_SANDBOX=off' }, UNCONTAINED);
  }
}

function announceToolchain(toolchain: ToolchainDecision, log: Logger): void {
  if (toolchain.kind === 'ready') return;
  if (toolchain.every.length > 0) log.error({ problem: toolchain.problem }, 'the Python build toolchain is missing: this worker takes no publish job');
  else log.warn({ problem: toolchain.problem }, 'the Python build toolchain is incomplete: some builds will fail');
}

const UNCONTAINED =
  'builds are NOT contained: repository code runs with this worker\'s network, uid and files, and can reach Redis and read credentials';

/** PYRELEASE_BUILD_SANDBOX=off (or auto without a way): said again on every build, so nobody forgets. */
function uncontainedBuild(decision: Extract<SandboxDecision, { kind: 'off' }>, log: Logger): (req: BuildRequest) => ReturnType<typeof buildDistributions> {
  return (req) => {
    log.warn({ problem: decision.problem ?? 'PYRELEASE_BUILD_SANDBOX=off', version: req.version }, UNCONTAINED);
    return buildDistributions(req);
  };
}
