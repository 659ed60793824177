import type { Config } from '../config.js';
import type { RepoEvent } from '../core/events.js';
import { closeWithin, IDLE_CLOSE_MS, runningJobs, settleWithin } from '../jobs/close-within.js';
import type { Closable } from '../jobs/close-within.js';
import { redisTargetLock, withSerializedComments } from '../jobs/comment-lock.js';
import type { Queue } from 'bullmq';
import { EVENT_QUEUE, EVENT_QUEUES, GITHUB_EVENT_QUEUE, eventQueueFor } from '../jobs/event-job.js';
import type { EventJobData, EventQueueName } from '../jobs/event-job.js';
import { eventQueue } from '../jobs/event-queue.js';
import { createEventWorker } from '../jobs/event-worker.js';
import { workerSettings } from '../jobs/publish-worker.js';
import { startInboxPump } from '../jobs/inbox-pump.js';
import { redisKnownRepos } from '../jobs/known-repos.js';
import { enqueuePublish, publishQueue, redisConnection } from '../jobs/queues.js';
import { startSweep } from '../jobs/sweep-worker.js';
import { redisSweepStore } from '../jobs/sweep-state.js';
import type { Logger } from '../logger.js';
import type { ServiceMetrics } from '../observability/service-metrics.js';
import { observePublishWorker } from '../observability/publish-observer.js';
import { credentialsFor } from '../publishing/credentials.js';
import { redisTarget } from '../redis-client.js';
import { allowedTargets } from '../core/publish-policy.js';
import type { ServerConfig } from '../server-config.js';
import type { ServiceDeps } from '../service/handle-event.js';
import { publishedVersions } from '../service/published-versions.js';
import { startWorker } from '../worker.js';
import type { Forges } from './forges.js';
import type { GithubSide } from './github-side.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface WorkersOptions {
  readonly config: Config;
  readonly server: ServerConfig;
  readonly env: Env;
  readonly log: Logger;
  readonly forges: Forges;
  readonly github: GithubSide | null;
  /** The web side's enqueue: the sweep queues what no webhook announced through it. */
  enqueue(event: RepoEvent): Promise<{ jobId: string; created: boolean }>;
  readonly metrics: ServiceMetrics;
}

/**
 * Every worker of the service, on one blocking Redis connection: forge events, the
 * sweep (and GitHub redeliveries), publishing, and self-hosted tagging when configured.
 */
export async function startServiceWorkers(options: WorkersOptions): Promise<{ close(): Promise<void> }> {
  const { config, server, env, log, forges } = options;
  const connection = redisConnection(redisTarget(config), 'pyrelease-events');
  connection.on('error', (error) => log.warn({ err: error.message }, 'redis connection error'));
  const queueSettings = { prefix: config.queuePrefix, attempts: config.jobAttempts, backoffMs: config.jobBackoffMs };
  const publishes = publishQueue(connection, queueSettings);
  // Closed together on shutdown: each waits for its running jobs, at most the shutdown
  // grace, and for nothing else longer than IDLE_CLOSE_MS (close-within.ts).
  const closers: Array<Closable & { name: string }> = [];
  // The sweep and self-hosted workers are built elsewhere and do not expose their jobs: while
  // Redis is up their close ends with their job; while it is away their jobs cannot record
  // anything either, and both are idempotent when run again.
  const unlessRedisAway = (): number => (connection.status === 'ready' ? 1 : 0);

  const commentLock = redisTargetLock(connection, config.queuePrefix, log);
  const deps: ServiceDeps = {
    platformFor: async (repo, installationId) => withSerializedComments(await forges.platformFor(repo, installationId), repo, commentLock),
    orgDefaults: (repo, installationId, target) => forges.orgDefaults(repo, installationId, target, server.policy.extendsAllowed),
    publishPolicy: server.policy,
    // Only targets the repository may publish to are asked (with the server's credentials):
    // the versions of another team's project on its index are not this repository's to see.
    publishedVersions: (repo, names, project) =>
      publishedVersions(
        { registries: server.registries, gitlabUrl: config.gitlabUrl, credentials: (name) => credentialsFor(name, env, config.pypirc).catch(() => null), log },
        repo,
        allowedTargets(server.policy, { platform: repo.platform, id: repo.id, path: repo.path }, names, project),
        project,
      ),
    enqueuePublish: (repo, action, meta, options) =>
      enqueuePublish(
        publishes,
        {
          platform: repo.platform,
          repo: repo.id,
          repoPath: repo.path,
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
        },
        options,
      ),
    log,
  };
  const settings = workerSettings(config);
  const knownRepos = redisKnownRepos(connection, config.queuePrefix);
  // One event queue and worker per forge (event-job.ts says why).
  for (const name of EVENT_QUEUES) {
    const eventWorker = createEventWorker(connection, settings, deps, log, knownRepos, name);
    void eventWorker.run();
    closers.push({ name, close: () => eventWorker.close(), running: () => runningJobs(eventWorker) });
  }
  // Webhooks are answered once their delivery is in the inbox; the pump makes it an event job.
  const events: Record<EventQueueName, Queue<EventJobData>> = {
    [EVENT_QUEUE]: eventQueue(connection, queueSettings, EVENT_QUEUE),
    [GITHUB_EVENT_QUEUE]: eventQueue(connection, queueSettings, GITHUB_EVENT_QUEUE),
  };
  const inboxConnection = redisConnection(redisTarget(config), 'pyrelease-inbox');
  inboxConnection.on('error', () => undefined);
  const pump = startInboxPump({
    connection: inboxConnection,
    prefix: config.queuePrefix,
    queueFor: (platform) => events[eventQueueFor(platform)],
    log,
  });
  closers.push({
    name: 'inbox',
    // The pump runs no job: nothing to wait for beyond moving its current batch.
    running: () => 0,
    close: async () => {
      await pump.close();
      await Promise.all(Object.values(events).map((q) => q.close()));
      inboxConnection.disconnect();
    },
  });

  if (config.sweepIntervalMs > 0 && deps.publishedVersions !== undefined) {
    const github = options.github;
    const sweep = await startSweep(
      connection,
      { prefix: config.queuePrefix, intervalMs: config.sweepIntervalMs, tagsPerRepo: config.sweepTags, maxAgeDays: config.sweepMaxAgeDays, budgetShare: config.sweepBudgetShare },
      {
        knownRepos,
        directoryFor: (account) => forges.directoryFor(account),
        store: redisSweepStore(connection, config.queuePrefix),
        platformFor: deps.platformFor,
        publishedVersions: deps.publishedVersions,
        ...(deps.orgDefaults === undefined ? {} : { orgDefaults: deps.orgDefaults }),
        enqueueEvent: (event: RepoEvent) => options.enqueue(event),
        ...(github === null ? {} : { redeliverFailed: (sinceMs: number) => github.redeliverFailed(sinceMs) }),
        log,
      },
    );
    closers.push({ name: 'sweep', close: () => sweep.close(), running: unlessRedisAway });
  }

  const publishWorker = await startWorker({ config, server, log, env, gitlabUrl: config.gitlabUrl, platformFor: (data) => forges.platformForJob(data) });
  observePublishWorker(publishWorker.worker, options.metrics);
  closers.push({ name: 'publish', close: () => publishWorker.close(), running: () => runningJobs(publishWorker.worker) });

  if (server.selfHosted !== null) {
    // Loaded only with its config: @gitbeaker for the upstream and the OCI retagging.
    const { startSelfHosted } = await import('./self-hosted.js');
    const selfHosted = await startSelfHosted(server.selfHosted, connection, config, forges, env, log);
    closers.push({ name: 'self-hosted', close: () => selfHosted.close(), running: unlessRedisAway });
  }

  return {
    close: async () => {
      await Promise.all(closers.map((c) => closeWithin(c, config.shutdownGraceMs, log, c.name)));
      await settleWithin(publishes.close(), IDLE_CLOSE_MS);
      // Again here: a close given up on above left its connection retrying.
      inboxConnection.disconnect();
      connection.disconnect();
    },
  };
}
