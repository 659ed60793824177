import { Queue } from 'bullmq';
import type { RedisClient } from '../redis-client.js';
import type { RepoEvent, RepoRef } from '../core/events.js';
import type { Logger } from '../logger.js';
import type { Platform } from '../platforms/platform.js';
import type { RepositoryDirectory } from '../platforms/repository-directory.js';
import type { ServiceDeps } from '../service/handle-event.js';
import type { SweepSettings } from '../service/sweep.js';
import { GuardedWorker } from './guarded-worker.js';
import type { KnownRepos } from './known-repos.js';
import { SWEEP_QUEUE } from './queue-names.js';
import { withoutErrorEcho } from './queues.js';
import { accountsOf, sweepAccount } from './sweep-account.js';
import type { PassTotals, SweepAccount } from './sweep-account.js';
import type { SweepStore } from './sweep-state.js';
import { repoField } from './sweep-state.js';

const SCHEDULER_ID = 'missed-release-tags';

export interface SweepWorkerDeps {
  readonly knownRepos: KnownRepos;
  platformFor(repo: RepoRef, installationId: number | null): Promise<Platform>;
  readonly publishedVersions: NonNullable<ServiceDeps['publishedVersions']>;
  readonly orgDefaults?: ServiceDeps['orgDefaults'];
  enqueueEvent(event: RepoEvent): Promise<{ jobId: string; created: boolean }>;
  /** GitHub: ask for failed deliveries since sinceMs to be sent again (GitHub never retries them). */
  redeliverFailed?(sinceMs: number): Promise<{ redelivered: number }>;
  /** Which of an account's repositories changed; null where the forge cannot say (then each is checked every pass). */
  directoryFor?(account: SweepAccount): Promise<RepositoryDirectory | null>;
  /** What the sweep remembers between passes, and what it spent; without it every pass checks every repository. */
  readonly store?: SweepStore;
  readonly log: Logger;
}

export interface SweepPassSettings extends Omit<SweepSettings, 'nowMs'> {
  /** Share of each account's rate limit the sweep may spend (PYRELEASE_SWEEP_BUDGET_SHARE). */
  readonly budgetShare?: number;
  /** How long an account's part of a pass may wait for short rate-limit windows to reset (default 5 minutes). */
  readonly maxPassMs?: number;
}

export type SweepPassResult = PassTotals & { readonly repos: number; readonly redelivered: number };

/** GitHub keeps hook deliveries for three days. */
const REDELIVERY_WINDOW_MS = 3 * 24 * 3600 * 1000;
export const DEFAULT_BUDGET_SHARE = 0.2;

/**
 * One pass over the known repositories, account by account (a GitHub App installation,
 * the GitLab token): ask the forge once which repositories changed, check only those and
 * the ones never checked, skip those whose config names no registry, and stop where the
 * account's rate-limit budget for sweeps runs out (sweep-account.ts). A repository that
 * fails is logged, skipped and retried next pass.
 */
export async function runSweepPass(deps: SweepWorkerDeps, settings: SweepPassSettings, nowMs: number): Promise<SweepPassResult> {
  const repos = await deps.knownRepos.list();
  const states = deps.store === undefined ? new Map() : await deps.store.repoStates(repos.map(repoField));
  const totals: PassTotals = { queued: 0, failed: 0, checked: 0, quiet: 0, noRegistry: 0, deferred: 0, requests: 0, points: 0, slowed: [] };
  for (const [account, members] of accountsOf(repos)) {
    await sweepAccount(deps, { ...settings, budgetShare: settings.budgetShare ?? DEFAULT_BUDGET_SHARE }, nowMs, account, members, states, totals);
  }
  let redelivered = 0;
  if (deps.redeliverFailed !== undefined) {
    try {
      redelivered = (await deps.redeliverFailed(nowMs - Math.min(REDELIVERY_WINDOW_MS, settings.maxAgeDays * 24 * 3600 * 1000))).redelivered;
    } catch (error) {
      deps.log.warn({ err: (error as Error).message }, 'could not redeliver failed GitHub deliveries');
    }
  }
  deps.log.info({ repos: repos.length, ...totals, redelivered }, 'sweep done');
  return { repos: repos.length, ...totals, redelivered };
}

/** One pass; the counts every caller reads. */
export async function runSweep(deps: SweepWorkerDeps, settings: SweepPassSettings, nowMs: number): Promise<{ repos: number; queued: number; failed: number }> {
  const { repos, queued, failed } = await runSweepPass(deps, settings, nowMs);
  return { repos, queued, failed };
}

/** The repeatable sweep job: one scheduler, so several service processes still sweep once per interval. */
export async function startSweep(
  connection: RedisClient,
  settings: SweepPassSettings & { prefix: string; intervalMs: number },
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
