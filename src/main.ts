import type { Server } from 'node:http';
import { Gitlab } from '@gitbeaker/rest';
import type { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from './config.js';
import type { RepoRef } from './core/events.js';
import { AppError } from './errors.js';
import { createHttpServer, listen, sendJson } from './http/server.js';
import type { Route } from './http/server.js';
import { enqueueEvent, eventQueue } from './jobs/event-queue.js';
import type { EventJobData } from './jobs/event-job.js';
import { createEventWorker } from './jobs/event-worker.js';
import { redisKnownRepos } from './jobs/known-repos.js';
import { startSweep } from './jobs/sweep-worker.js';
import type { PublishJobData } from './jobs/publish-job.js';
import { DEFAULT_REDIS_URL, enqueuePublish, publishQueue, redisConnection } from './jobs/queues.js';
import type { Logger } from './logger.js';
import { createGitlabPlatform } from './platforms/gitlab/gitlab-platform.js';
import type { GitlabApi } from './platforms/gitlab/gitlab-platform.js';
import { gitlabWebhookHandler } from './platforms/gitlab/receiver.js';
import type { Platform } from './platforms/platform.js';
import { credentialsFor } from './publishing/credentials.js';
import type { ServerConfig } from './server-config.js';
import type { ServiceDeps } from './service/handle-event.js';
import { publishedVersions } from './service/published-versions.js';
import { adminHttp } from './http/admin-routes.js';
import { EVENT_QUEUE } from './jobs/event-job.js';
import { PUBLISH_QUEUE } from './jobs/publish-job.js';
import { SWEEP_QUEUE } from './jobs/sweep-worker.js';
import { observedQueues } from './observability/observed-queues.js';
import { observePublishWorker } from './observability/publish-observer.js';
import { createServiceMetrics } from './observability/service-metrics.js';
import { SELF_HOSTED_QUEUE } from './selfhosted/self-hosted-queue.js';
import { startWorker } from './worker.js';
import type { RunningWorker } from './worker.js';

export interface ServiceOptions {
  readonly config: Config;
  readonly server: ServerConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log: Logger;
  /** Run the event and publish workers in this process too (the one-command setup). */
  readonly runWorkers: boolean;
}

export interface RunningService {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

interface GitlabSide {
  readonly api: GitlabApi;
  readonly bot: { id: number; username: string } | null;
}

async function connectGitlab(config: Config, log: Logger): Promise<GitlabSide | null> {
  if (config.gitlabToken === undefined) return null;
  if (config.gitlabWebhookSecret.length === 0 && config.gitlabSigningSecret.length === 0) {
    throw new AppError('config-invalid', 'GITLAB_TOKEN is set but neither GITLAB_WEBHOOK_SECRET nor GITLAB_WEBHOOK_SIGNING_SECRET is: GitLab webhooks could not be authenticated');
  }
  const api = new Gitlab({ host: config.gitlabUrl, token: config.gitlabToken });
  try {
    const me = (await api.Users.showCurrentUser()) as { id: number; username: string };
    log.info({ gitlab: config.gitlabUrl, bot: me.username }, 'GitLab bot user');
    return { api, bot: { id: me.id, username: me.username } };
  } catch (error) {
    // Keep serving: events are still queued, and readiness reports the problem.
    log.error({ gitlab: config.gitlabUrl, err: (error as Error).name }, 'cannot read the GitLab bot user: check GITLAB_URL and GITLAB_TOKEN');
    return { api, bot: null };
  }
}

/** A connection for the web side: it fails fast so a webhook gets a 503 instead of hanging while Redis is away. */
function producerConnection(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, connectionName: 'pyrelease-web' });
  redis.on('error', () => undefined);
  return redis;
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('network', `${what} took longer than ${ms} ms`, { retryable: true })), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Composition root of the web process (and, with runWorkers, of the workers beside it). */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { config, server, env, log } = options;
  const redisUrl = config.redisUrl ?? DEFAULT_REDIS_URL;
  const gitlab = await connectGitlab(config, log);
  const queueSettings = { redisUrl, prefix: config.queuePrefix, attempts: config.jobAttempts, backoffMs: config.jobBackoffMs };

  const producer = producerConnection(redisUrl);
  const events: Queue<EventJobData> = eventQueue(producer, queueSettings);
  events.on('error', () => undefined);

  const gitlabPlatform = (projectId: number | string): Platform => {
    if (gitlab === null) throw new AppError('config-invalid', 'GitLab is not configured (GITLAB_TOKEN)');
    return createGitlabPlatform({ api: gitlab.api, projectId, ...(gitlab.bot === null ? {} : { botUserId: gitlab.bot.id }), log });
  };

  // Observability: /metrics, /releases(.json), /admin/queues (src/observability, src/http/admin-*).
  const observed = observedQueues(producer, config.queuePrefix, [EVENT_QUEUE, PUBLISH_QUEUE, SWEEP_QUEUE, SELF_HOSTED_QUEUE]);
  const metrics = createServiceMetrics({ queues: observed.queues });
  const admin = adminHttp({ env, queues: observed.queues, metrics });

  const routes: Route[] = [
    ...admin.routes,
    { method: 'GET', path: '/healthz', handler: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      handler: async (_req, res) => {
        const redis = await withTimeout(producer.ping(), 1000, 'redis ping').then(() => 'ok', () => 'unreachable');
        const gitlabState = gitlab === null ? 'unconfigured' : gitlab.bot === null ? 'credentials-invalid' : 'ok';
        const ready = redis === 'ok' && gitlabState !== 'credentials-invalid';
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not-ready', redis, gitlab: gitlabState });
      },
    },
  ];
  if (gitlab !== null) {
    routes.push({
      method: 'POST',
      path: '/webhooks/gitlab',
      handler: gitlabWebhookHandler({
        auth: { tokens: config.gitlabWebhookSecret, signingSecrets: config.gitlabSigningSecret, toleranceSeconds: 300 },
        maxBodyBytes: config.webhookMaxBodyBytes,
        botUserId: gitlab.bot?.id ?? null,
        botUsername: gitlab.bot?.username ?? null,
        enqueue: (event) => withTimeout(enqueueEvent(events, event), 3000, 'enqueue'),
        log,
        observe: (outcome, event, latencyMs) => metrics.observeWebhook('gitlab', outcome, event, latencyMs),
      }),
    });
  }

  const workers: Array<Worker | RunningWorker | { close(): Promise<void> }> = [];
  let workerConnection: Redis | null = null;
  let workerPublishQueue: Queue<PublishJobData> | null = null;
  if (options.runWorkers) {
    workerConnection = redisConnection(redisUrl, 'pyrelease-events');
    workerConnection.on('error', (error) => log.warn({ err: error.message }, 'redis connection error'));
    const publishes = publishQueue(workerConnection, queueSettings);
    workerPublishQueue = publishes;
    const deps: ServiceDeps = {
      platformFor: async (repo: RepoRef) => {
        if (repo.platform === 'gitlab') return gitlabPlatform(Number(repo.id));
        throw new AppError('config-invalid', `${repo.platform} is not configured on this service`);
      },
      publishedVersions: (repo, names, project) =>
        publishedVersions(
          { registries: server.registries, gitlabUrl: config.gitlabUrl, credentials: (name) => credentialsFor(name, env, config.pypirc).catch(() => null), log },
          repo,
          names,
          project,
        ),
      enqueuePublish: (repo, action, meta) =>
        enqueuePublish(publishes, {
          platform: repo.platform,
          repo: repo.id,
          ...(repo.platform === 'gitlab' ? { gitlabProjectId: Number(repo.id) } : {}),
          ...(meta.installationId === null ? {} : { installationId: meta.installationId }),
          version: action.version,
          project: action.project,
          tag: action.tag,
          sha: action.sha,
          path: action.path,
          registries: [...action.registries],
          buildTool: action.buildTool,
          source: { kind: 'forge' },
          deliveryId: meta.deliveryId,
        }),
      log,
    };
    const knownRepos = redisKnownRepos(workerConnection, config.queuePrefix);
    const eventWorker = createEventWorker(workerConnection, { prefix: config.queuePrefix, concurrency: config.workerConcurrency, lockDurationMs: config.lockDurationMs }, deps, log, knownRepos);
    void eventWorker.run();
    workers.push(eventWorker);
    if (config.sweepIntervalMs > 0 && deps.publishedVersions !== undefined) {
      workers.push(
        await startSweep(
          workerConnection,
          { prefix: config.queuePrefix, intervalMs: config.sweepIntervalMs, tagsPerRepo: config.sweepTags, maxAgeDays: config.sweepMaxAgeDays },
          { knownRepos, platformFor: deps.platformFor, publishedVersions: deps.publishedVersions, enqueueEvent: (event) => enqueueEvent(events, event), log },
        ),
      );
    }
    const publishWorker = await startWorker({
      config,
      server,
      log,
      env,
      gitlabUrl: config.gitlabUrl,
      platformFor: async (data) => (data.platform === 'gitlab' && gitlab !== null ? gitlabPlatform(data.gitlabProjectId ?? data.repo) : null),
    });
    observePublishWorker(publishWorker.worker, metrics);
    workers.push(publishWorker);
  }

  const http: Server = createHttpServer(routes, log, admin.mounts);
  const address = await listen(http, config.port, config.host);
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}`;
  log.info({ url, gitlab: gitlab !== null, workers: options.runWorkers }, 'pyrelease is listening');

  return {
    port: address.port,
    url,
    close: async () => {
      // Stop taking webhooks first, then let running jobs finish.
      await new Promise<void>((resolve) => http.close(() => resolve()));
      for (const w of workers) await w.close();
      await workerPublishQueue?.close();
      await events.close();
      metrics.close();
      await observed.close();
      workerConnection?.disconnect();
      producer.disconnect();
    },
  };
}
