import { DelayedError } from 'bullmq';
import type { Job } from 'bullmq';
import { isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MAX_RETRY_AFTER_MS } from './backoff.js';

/**
 * Rate limits are waited out, not counted as failures. A forge or an index that answers
 * 429 (or GitHub's rate-limit 403) is up and has said when to come back; spending one of
 * PYRELEASE_JOB_ATTEMPTS on it would fail a release that meets a few limits in a row,
 * however short each (and GitHub's primary limit resets hourly). Such a job is moved to
 * BullMQ's delayed set until the asked time, which does not count an attempt and holds
 * no worker slot, for as long as the job is younger than PYRELEASE_RATE_LIMIT_MAX_WAIT_MS
 * (counted from its last retry by a maintainer, if any). Past that, a rate limit is an
 * ordinary failed attempt again, so a service that throttles for good still ends in a
 * failed job with its reason instead of a job that waits forever.
 */

/** When a rate limit did not say how long to wait: GitLab's and GitHub's limits are counted per minute. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/** How long the rate limit behind `error` asks us to wait, or null when `error` is no rate limit. */
export function rateLimitWaitMs(error: unknown): number | null {
  if (!isAppError(error) || !error.retryable || error.details['rateLimited'] !== true) return null;
  const asked = error.details['retryAfterSeconds'];
  if (typeof asked !== 'number' || !Number.isFinite(asked) || asked <= 0) return DEFAULT_RATE_LIMIT_WAIT_MS;
  return Math.min(asked * 1000, MAX_RETRY_AFTER_MS);
}

/**
 * When a job whose patience started at `sinceMs` (patienceStart) and that `error` stopped
 * at `nowMs` should run again without spending an attempt; null when it must take the
 * ordinary retry path.
 */
export function rateLimitedUntil(error: unknown, sinceMs: number, nowMs: number, maxWaitMs: number): number | null {
  const wait = rateLimitWaitMs(error);
  if (wait === null) return null;
  const until = nowMs + wait;
  return until - sinceMs <= maxWaitMs ? until : null;
}

/**
 * What a job records in its progress: `since`, when a maintainer's retry restarted its
 * patience (queues.ts enqueuePublish); `rateLimited`, the wait it is in (the release
 * page and `pyrelease jobs` read it).
 */
export interface RateLimitedProgress {
  readonly since?: number;
  readonly rateLimited?: { readonly until: number; readonly reason: string };
}

/** When the job's patience for rate limits started: when it was queued, or retried since. */
export function patienceStart(job: { readonly timestamp: number; readonly progress: unknown }): number {
  const since = (job.progress as RateLimitedProgress | null | undefined)?.since;
  return typeof since === 'number' && Number.isFinite(since) ? Math.max(since, job.timestamp) : job.timestamp;
}

export function rateLimitedProgress(progress: unknown): NonNullable<RateLimitedProgress['rateLimited']> | null {
  const r = (progress as { rateLimited?: { until?: unknown; reason?: unknown } } | null | undefined)?.rateLimited;
  return typeof r?.until === 'number' && typeof r.reason === 'string' ? { until: r.until, reason: r.reason } : null;
}

/** A rate-limit wait as the release page and `pyrelease jobs` show it: when (ISO text) and why. */
export interface RateLimitedWait {
  readonly until: string;
  readonly reason: string;
}

/**
 * A delayed job's rate-limit wait; null for any other job. The progress outlives the
 * wait, so a wait already over is not shown: the job may be delayed again for an
 * ordinary retry since.
 */
export function rateLimitedWait(state: string, progress: unknown, nowMs = Date.now()): RateLimitedWait | null {
  const r = state === 'delayed' ? rateLimitedProgress(progress) : null;
  return r === null || r.until <= nowMs ? null : { until: new Date(r.until).toISOString(), reason: r.reason };
}

/** How `pyrelease jobs` prints it. */
export function rateLimitedText(wait: RateLimitedWait | null): string {
  return wait === null ? '' : `  rate-limited, runs again at ${wait.until}: ${wait.reason}`;
}

/**
 * Called first in a processor's catch: when `error` is a rate limit within the job's
 * patience, moves the job to the delayed set and throws BullMQ's DelayedError (which
 * BullMQ takes as "already moved", not as a failure). Otherwise returns, and the caller
 * handles `error` as before. If the move itself fails (the lock was lost to another
 * worker, Redis went away) it also returns: the ordinary retry path is always safe.
 */
export async function waitOutRateLimit(job: Job, token: string | undefined, error: unknown, maxWaitMs: number, log: Logger): Promise<void> {
  const since = patienceStart(job);
  const until = rateLimitedUntil(error, since, Date.now(), maxWaitMs);
  if (until === null || !isAppError(error)) return;
  const reason = `${error.code}: ${error.message}`;
  try {
    await job.updateProgress({ since, rateLimited: { until, reason } } satisfies RateLimitedProgress);
    await job.moveToDelayed(until, token);
  } catch (moveError) {
    log.warn({ jobId: job.id, err: (moveError as Error).message }, 'could not move the rate-limited job to the delayed set; counting it as a failed attempt');
    return;
  }
  log.warn({ jobId: job.id, code: error.code, retryAt: new Date(until).toISOString(), attemptSpent: false }, `rate-limited, waiting: ${error.message}`);
  throw new DelayedError();
}
