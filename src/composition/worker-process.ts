import type { Config } from '../config.js';
import type { RepoEvent } from '../core/events.js';
import { pushEvent, replicaAck } from '../jobs/event-inbox.js';
import type { Logger } from '../logger.js';
import { openFailFast, redisTarget } from '../redis-client.js';
import { createServiceMetrics } from '../observability/service-metrics.js';
import type { ServerConfig } from '../server-config.js';
import type { GithubSide } from './github-side.js';
import type { GitlabSide } from './gitlab-side.js';
import { forgeRouter } from './forges.js';
import { startServiceWorkers } from './service-workers.js';
import { withTimeout } from '../with-timeout.js';

/**
 * Each forge's side is loaded only when configured: a GitLab-only worker never loads Probot
 * and the Octokit machinery (about 25 MiB of RSS, bench/README.md, Memory without flags),
 * and a GitHub-only one never loads @gitbeaker.
 */
export function forgeSides(config: Config, log: Logger): Promise<[GitlabSide | null, GithubSide | null]> {
  return Promise.all([
    config.gitlabToken === undefined ? null : import('./gitlab-side.js').then((m) => m.connectGitlab(config, log)),
    config.github === null ? null : import('./github-side.js').then((m) => m.connectGithub(config, log)),
  ]);
}

/**
 * Composition root of a `pyrelease worker` process: every worker the service has
 * (forge events, sweep, publishing, self-hosted tagging), without the HTTP server.
 * Beside any number of `pyrelease serve --no-worker` processes on the same Redis.
 */
export async function startWorkerProcess(options: { config: Config; server: ServerConfig; env: Readonly<Record<string, string | undefined>>; log: Logger }): Promise<{ close(): Promise<void> }> {
  const { config, server, env, log } = options;
  const [gitlab, github] = await forgeSides(config, log);
  // The sweep queues events like the web side does.
  const producer = openFailFast(redisTarget(config), 'pyrelease-worker-producer');
  const enqueue = (event: RepoEvent) => withTimeout(pushEvent(producer, config.queuePrefix, event, replicaAck(config)), 3000, 'enqueue');
  // Counted here too (a worker has no /metrics of its own; the web process exposes queue state).
  const metrics = createServiceMetrics({ queues: [] });
  const workers = await startServiceWorkers({ config, server, env, log, forges: forgeRouter(gitlab, github), github, enqueue, metrics });
  log.info({ gitlab: gitlab !== null, github: github !== null, selfHosted: server.selfHosted !== null }, 'workers started');
  return {
    close: async () => {
      await workers.close();
      gitlab?.close();
      github?.close();
      metrics.close();
      producer.disconnect();
    },
  };
}
