import type { BackoffStrategy } from 'bullmq';
import { isAppError } from '../errors.js';

/** The job option that selects retryAfterBackoff (see jobOptions). */
export const RETRY_AFTER_BACKOFF = 'retry-after';

/** An index or forge may ask for more patience than our backoff; honour it up to an hour. */
export const MAX_RETRY_AFTER_MS = 3600_000;

/**
 * The longest wait our own doubling reaches. Without a cap the tenth attempt would come
 * over two hours after the ninth; with it the default 10 attempts from 15 s retry for
 * about an hour (15 s, 30 s, ... 8 min, then 15 min three times), which outlasts the
 * index and forge outages a release commonly meets (6 attempts without a cap gave up
 * after 8 minutes).
 */
export const MAX_BACKOFF_MS = 15 * 60_000;

/**
 * Exponential backoff, capped at MAX_BACKOFF_MS, that also honours Retry-After: an
 * AppError carrying `details.retryAfterSeconds` (a 503 from an index or a forge; rate
 * limits are waited out without an attempt, throttle.ts) waits at least that long.
 */
export const retryAfterBackoff: BackoffStrategy = (attemptsMade, _type, err, job) => {
  const backoff = job?.opts.backoff;
  const base = typeof backoff === 'object' && backoff !== null && typeof backoff.delay === 'number' ? backoff.delay : 1000;
  // A first delay set above the cap is kept: the cap only stops the doubling.
  const exponential = Math.min(Math.round(2 ** Math.max(0, attemptsMade - 1) * base), Math.max(MAX_BACKOFF_MS, base));
  const asked = isAppError(err) ? err.details['retryAfterSeconds'] : undefined;
  const retryAfter = typeof asked === 'number' && Number.isFinite(asked) && asked > 0 ? Math.min(asked * 1000, MAX_RETRY_AFTER_MS) : 0;
  return Math.max(exponential, retryAfter);
};
