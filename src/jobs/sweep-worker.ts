import { Queue } from 'bullmq';
import type { RedisClient } from '../redis-client.js';
import type { RepoEvent, RepoRef } from '../core/events.js';
import type { Logger } from '../logger.js';
import type { Platform } from '../platforms/platform.js';
import type { ServiceDeps } from '../service/handle-event.js';
import { sweepRepo } from '../service/sweep.js';
import type { SweepSettings } from '../service/sweep.js';
import { GuardedWorker } from './guarded-worker.js';
import type { KnownRepos } from './known-repos.js';
import { withoutErrorEcho } from './queues.js';

export const SWEEP_QUEUE = 'sweep';
const SCHEDULER_ID = 'missed-release-tags';

export interface SweepWorkerDeps {
  readonly knownRepos: KnownRepos;
  platformFor(repo: RepoRef, installationId: number | null): Promise<Platform>;
  readonly publishedVersions: NonNullable<ServiceDeps['publishedVersions']>;
  readonly orgDefaults?: ServiceDeps['orgDefaults'];
  enqueueEvent(event: RepoEvent): Promise<{ jobId: string; created: boolean }>;
  /** GitHub: ask for failed deliveries since sinceMs to be sent again (GitHub never retries them). */
  redeliverFailed?(sinceMs: number): Promise<{ redelivered: number }>;
  readonly log: Logger;
}

/** GitHub keeps hook deliveries for three days. */
const REDELIVERY_WINDOW_MS = 3 * 24 * 3600 * 1000;

/** One pass over every known repository; a repository that fails is logged and skipped. */
export async function runSweep(deps: SweepWorkerDeps, settings: Omit<SweepSettings, 'nowMs'>, nowMs: number): Promise<{ repos: number; queued: number; failed: number }> {
  let queued = 0;
  let failed = 0;
  const repos = await deps.knownRepos.list();
  for (const repo of repos) {
    try {
      const events = await sweepRepo(repo, await deps.platformFor(repo, repo.installationId), { publishedVersions: deps.publishedVersions, ...(deps.orgDefaults === undefined ? {} : { orgDefaults: deps.orgDefaults }) }, { ...settings, nowMs }, deps.log);
      for (const event of events) if ((await deps.enqueueEvent(event)).created) queued++;
    } catch (error) {
      failed++;
      deps.log.warn({ repo: repo.path, err: (error as Error).message }, 'sweep could not check a repository');
    }
  }
  let redelivered = 0;
  if (deps.redeliverFailed !== undefined) {
    try {
      redelivered = (await deps.redeliverFailed(nowMs - Math.min(REDELIVERY_WINDOW_MS, settings.maxAgeDays * 24 * 3600 * 1000))).redelivered;
    } catch (error) {
      deps.log.warn({ err: (error as Error).message }, 'could not redeliver failed GitHub deliveries');
    }
  }
  deps.log.info({ repos: repos.length, queued, failed, redelivered }, 'sweep done');
  return { repos: repos.length, queued, failed };
}

/** The repeatable sweep job: one scheduler, so several service processes still sweep once per interval. */
export async function startSweep(
  connection: RedisClient,
  settings: Omit<SweepSettings, 'nowMs'> & { prefix: string; intervalMs: number },
  deps: SweepWorkerDeps,
): Promise<{ close(): Promise<void> }> {
  const queue = withoutErrorEcho(new Queue(SWEEP_QUEUE, { connection, prefix: settings.prefix }));
  await queue.upsertJobScheduler(SCHEDULER_ID, { every: settings.intervalMs }, { name: 'sweep', opts: { removeOnComplete: 100, removeOnFail: 100 } });
  // The job's data is never read (a sweep is the same whoever queued it); the guard still
  // fails a job BullMQ itself cannot read, which would otherwise block the queue.
  const worker = new GuardedWorker(SWEEP_QUEUE, () => runSweep(deps, settings, Date.now()), { connection, prefix: settings.prefix, concurrency: 1 }, deps.log);
  worker.on('error', (error) => deps.log.warn({ err: error.message }, 'sweep worker connection error'));
  return {
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
}
