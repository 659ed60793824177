import { Gitlab } from '@gitbeaker/rest';
import type { RedisClient } from '../redis-client.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { GitlabApi } from '../platforms/gitlab/gitlab-platform.js';
import { retagImage } from '../selfhosted/oci-retag.js';
import type { RegistryCredentials } from '../selfhosted/oci-auth.js';
import type { SelfHostedConfig } from '../selfhosted/self-hosted-config.js';
import { scheduleRelease, selfHostedQueue } from '../selfhosted/self-hosted-queue.js';
import { createSelfHostedWorker } from '../selfhosted/self-hosted-worker.js';
import { workerSettings } from '../jobs/publish-worker.js';
import type { RetagImage } from '../selfhosted/types.js';
import { releaseFromUpstreamHook } from '../selfhosted/upstream-hook.js';
import { ensurePollScheduler } from '../selfhosted/upstream-poll.js';
import type { Forges } from './forges.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Registry credentials named by `credentials-env: P`: P_TOKEN, or P_USERNAME and P_PASSWORD. */
export function registryCredentials(prefix: string | null, env: Env): RegistryCredentials {
  if (prefix === null) return null;
  const token = env[`${prefix}_TOKEN`];
  if (token !== undefined && token !== '') return { token };
  const username = env[`${prefix}_USERNAME`];
  const password = env[`${prefix}_PASSWORD`];
  return username !== undefined && username !== '' && password !== undefined ? { username, password } : null;
}

export function ociRetag(env: Env): RetagImage {
  return async (request) => {
    const result = await retagImage({
      registry: request.registry,
      repository: request.repository,
      sourceTag: request.sourceTag,
      targetTag: request.targetTag,
      credentials: registryCredentials(request.credentialsEnv, env),
    });
    return result.outcome;
  };
}

function upstreamApi(config: SelfHostedConfig, env: Env): GitlabApi {
  const token = config.upstream.tokenEnv === null ? undefined : env[config.upstream.tokenEnv];
  // A public upstream (gitlab.com's gitlab-org/gitlab) needs no token.
  return new Gitlab({ host: config.upstream.url, ...(token === undefined || token === '' ? {} : { token }) }) as unknown as GitlabApi;
}

/**
 * The web side of self-hosted tagging: a delivery from the upstream project (for
 * operators who administer it) is scheduled exactly like a polled release. Returns null
 * for every other delivery, which then goes through the usual mapping.
 */
export function upstreamHookScheduler(config: SelfHostedConfig, connection: RedisClient, settings: { prefix: string; attempts: number; backoffMs: number }) {
  const queue = selfHostedQueue(connection, settings);
  return {
    schedule: async (eventHeader: string | undefined, payload: unknown): Promise<{ jobId: string; created: boolean } | null> => {
      const tag = eventHeader === undefined ? null : releaseFromUpstreamHook(eventHeader, payload, config.upstream);
      if (tag === null) return null;
      const result = await scheduleRelease(tag, { queue, redis: connection, prefix: settings.prefix, config });
      if (!result.scheduled) return { jobId: `upstream-${tag}-not-selected`, created: false };
      return { jobId: result.jobs[0]?.jobId ?? `upstream-${tag}`, created: result.jobs.some((j) => j.created) };
    },
    close: () => queue.close(),
  };
}

/** The worker side: the poll scheduler and the tagging worker. */
export async function startSelfHosted(selfHosted: SelfHostedConfig, connection: RedisClient, config: Config, forges: Forges, env: Env, log: Logger): Promise<{ close(): Promise<void> }> {
  const settings = { prefix: config.queuePrefix, attempts: config.jobAttempts, backoffMs: config.jobBackoffMs };
  const queue = selfHostedQueue(connection, settings);
  await ensurePollScheduler(queue, selfHosted);
  const worker = createSelfHostedWorker(
    connection,
    workerSettings(config),
    {
      config: selfHosted,
      upstreamApi: upstreamApi(selfHosted, env),
      platformFor: (repo) => forges.platformForServiceRepo(repo),
      retagImage: ociRetag(env),
      schedule: { queue, redis: connection, prefix: config.queuePrefix },
    },
    log,
  );
  void worker.run();
  log.info({ upstream: `${selfHosted.upstream.url}/${selfHosted.upstream.project}`, repos: selfHosted.repos.length }, 'self-hosted tagging started');
  return {
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
}
