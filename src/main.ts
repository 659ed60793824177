import type { Server } from 'node:http';
import type { GithubReceiverSide } from './composition/github-receiver.js';
import type { GithubSide } from './composition/github-side.js';
import type { GitlabReceiverSide } from './composition/gitlab-receiver.js';
import type { GitlabSide } from './composition/gitlab-side.js';
import type { WorkersOptions } from './composition/service-workers.js';
import { withTimeout } from './with-timeout.js';
import type { Config } from './config.js';
import type { RepoEvent } from './core/events.js';
import { adminHttp } from './http/admin-routes.js';
import { createBodyBudget } from './http/body-budget.js';
import { createHttpServer, listen, sendJson } from './http/server.js';
import type { Route } from './http/server.js';
import { IDLE_CLOSE_MS, settleWithin } from './jobs/close-within.js';
import { EVENT_QUEUES } from './jobs/event-job.js';
import { inboxKey, inboxState, pushEvent, replicaAck } from './jobs/event-inbox.js';
import type { DeliveryNames } from './jobs/event-inbox.js';
import { PUBLISH_QUEUE } from './jobs/publish-job.js';
import { SELF_HOSTED_QUEUE, SWEEP_QUEUE } from './jobs/queue-names.js';
import type { Logger } from './logger.js';
import { openFailFast, redisTarget } from './redis-client.js';
import type { RedisClient, RedisTarget } from './redis-client.js';
import { observedQueues } from './observability/observed-queues.js';
import { createServiceMetrics } from './observability/service-metrics.js';
import type { ServerConfig } from './server-config.js';

export interface ServiceOptions {
  readonly config: Config;
  readonly server: ServerConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log: Logger;
  /** Run the workers in this process too (the one-command setup). */
  readonly runWorkers: boolean;
}

export interface RunningService {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A connection for the web side: it fails fast so a webhook gets a 503 instead of hanging
 * while Redis is away. Auto-pipelining sends the commands of concurrent webhooks issued in
 * one event-loop tick as one write. Measured at 50 concurrent senders (three interleaved
 * on/off runs of `node bench/webhooks.js --senders 50 --rounds 1`, 2026-12-03): Redis used
 * 19-21% of a core instead of 31-35% for the same load; the web process's CPU per webhook
 * and the ack latency did not move beyond the noise between runs.
 */
function producerConnection(target: RedisTarget, connectionName: string): RedisClient {
  return openFailFast(target, connectionName, { enableAutoPipelining: true });
}

type Sides<L, H> = Promise<[L | null, H | null]>;

function receiverSides(config: Config, log: Logger): Sides<GitlabReceiverSide, GithubReceiverSide> {
  return Promise.all([
    config.gitlabToken === undefined ? null : import('./composition/gitlab-receiver.js').then((m) => m.connectGitlabReceiver(config, log)),
    config.github === null ? null : import('./composition/github-receiver.js').then((m) => m.connectGithubReceiver(config, log)),
  ]);
}

function fullSides(config: Config, log: Logger): Sides<GitlabSide, GithubSide> {
  return Promise.all([
    config.gitlabToken === undefined ? null : import('./composition/gitlab-side.js').then((m) => m.connectGitlab(config, log)),
    config.github === null ? null : import('./composition/github-side.js').then((m) => m.connectGithub(config, log)),
  ]);
}

async function startWorkersBeside([gitlab, github]: Awaited<Sides<GitlabSide, GithubSide>>, options: Omit<WorkersOptions, 'forges' | 'github'>): Promise<{ close(): Promise<void> }> {
  const [{ forgeRouter }, { startServiceWorkers }] = await Promise.all([import('./composition/forges.js'), import('./composition/service-workers.js')]);
  return startServiceWorkers({ ...options, forges: forgeRouter(gitlab, github), github });
}

/**
 * Waits, at most `ms`, for the first connection: the producer queues nothing while
 * offline, so a webhook or a /readyz probe in the first milliseconds after start would
 * be told Redis is away when it is only still connecting. A Redis that is really away
 * does not hold the start up: webhooks get 503 until it is back.
 */
function connected(redis: RedisClient, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
  });
}

/**
 * Composition root of the web process (and, with runWorkers, of the workers beside it).
 * One process serves GitLab and GitHub at once; either may be left unconfigured.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { config, server, env, log } = options;
  const redisAt = redisTarget(config);
  // Each part is loaded only when configured, and a web process without workers loads only
  // the receiving halves: neither @gitbeaker nor Probot (until a `/pyrelease check` comment
  // needs a pull request read), nor the build and upload code.
  const full = options.runWorkers ? await fullSides(config, log) : null;
  const [gitlab, github] = full ?? (await receiverSides(config, log));
  const queueSettings = { prefix: config.queuePrefix, attempts: config.jobAttempts, backoffMs: config.jobBackoffMs };

  // Two connections: webhooks write the inbox on one that holds nothing else. Auto-pipelining
  // builds a Pipeline per tick and copies into it every script defined on the connection,
  // and BullMQ defines dozens on a connection it uses: sharing one made that copy about a
  // tenth of the web process's time per webhook (CPU profile, one sender, 2026-12-03).
  const producer = producerConnection(redisAt, 'pyrelease-web');
  const queueConnection = producerConnection(redisAt, 'pyrelease-web-queues');
  // The forge gives a delivery about 10 s; a durable enqueue must fit well inside. The
  // delivery goes into the event inbox; a worker's pump makes it a job (event-inbox.ts).
  const enqueue = (event: RepoEvent, names?: DeliveryNames) => withTimeout(pushEvent(producer, config.queuePrefix, event, replicaAck(config), names), 3000, 'enqueue');
  // One budget for the bodies of every webhook route (src/http/body-budget.ts).
  const budget = createBodyBudget(config.webhookBodyBudgetBytes);

  // Observability: /metrics, /releases(.json), /admin/queues (src/observability, src/http/admin-*).
  const observed = observedQueues(queueConnection, config.queuePrefix, [...EVENT_QUEUES, PUBLISH_QUEUE, SWEEP_QUEUE, SELF_HOSTED_QUEUE]);
  const metrics = createServiceMetrics({ queues: observed.queues, inbox: () => inboxState(queueConnection, config.queuePrefix) });
  const admin = await adminHttp({ env, queues: observed.queues, metrics });
  const selfHosted = server.selfHosted;
  const upstream = selfHosted === null ? null : (await import('./composition/self-hosted.js')).upstreamHookScheduler(selfHosted, queueConnection, queueSettings);

  const routes: Route[] = [
    ...admin.routes,
    { method: 'GET', path: '/healthz', handler: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      handler: async (_req, res) => {
        // A read of the inbox, not PING: on a cluster PING goes to any node, while webhooks
        // need the master of the prefix's slot (down during a failover).
        const redis = await withTimeout(producer.exists(inboxKey(config.queuePrefix)), 1000, 'reading the webhook inbox').then(() => 'ok', () => 'unreachable');
        const forgesState = { gitlab: gitlab?.state ?? 'unconfigured', github: github?.state ?? 'unconfigured' };
        // A forge not read yet (unverified) is not ready either: it is read again in the background.
        const ready = redis === 'ok' && [forgesState.gitlab, forgesState.github].every((s) => s === 'ok' || s === 'unconfigured');
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not-ready', redis, ...forgesState });
      },
    },
  ];
  if (gitlab !== null) {
    routes.push(
      gitlab.route({
        enqueue,
        budget,
        observe: (outcome, event, latencyMs) => metrics.observeWebhook('gitlab', outcome, event, latencyMs),
        ...(upstream === null ? {} : { upstream: (header: string | undefined, payload: unknown) => withTimeout(upstream.schedule(header, payload), 3000, 'schedule') }),
      }),
    );
  }
  if (github !== null) {
    routes.push(github.route({ enqueue, budget, observe: (outcome, event, latencyMs) => metrics.observeWebhook('github', outcome, event, latencyMs) }));
  }

  const workers = full === null ? null : await startWorkersBeside(full, { config, server, env, log, enqueue, metrics });

  await connected(producer, 2000);
  const http: Server = createHttpServer(routes, log, admin.mounts, { maxConnections: config.httpMaxConnections });
  const address = await listen(http, config.port, config.host);
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}`;
  log.info({ url, gitlab: gitlab !== null, github: github !== null, selfHosted: server.selfHosted !== null, workers: options.runWorkers }, 'pyrelease is listening');

  return {
    port: address.port,
    url,
    close: async () => {
      // Stop taking webhooks first, then let running jobs finish.
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await workers?.close();
      // Queue closes need Redis, and hold no job: bounded, so that a Redis away cannot keep us.
      await settleWithin(Promise.all([upstream?.close(), observed.close()]), IDLE_CLOSE_MS);
      gitlab?.close();
      github?.close();
      metrics.close();
      producer.disconnect();
      queueConnection.disconnect();
    },
  };
}
