import type { BackoffStrategy } from 'bullmq';
import { isAppError } from '../errors.js';

/** The job option that selects retryAfterBackoff (see jobOptions). */
export const RETRY_AFTER_BACKOFF = 'retry-after';

/** An index or forge may ask for more patience than our backoff; honour it up to an hour. */
export const MAX_RETRY_AFTER_MS = 3600_000;

/**
 * Exponential backoff that also honours Retry-After: an AppError carrying
 * `details.retryAfterSeconds` (429 / 503 from an index or a forge) waits at least that
 * long before the next attempt.
 */
export const retryAfterBackoff: BackoffStrategy = (attemptsMade, _type, err, job) => {
  const backoff = job?.opts.backoff;
  const base = typeof backoff === 'object' && backoff !== null && typeof backoff.delay === 'number' ? backoff.delay : 1000;
  const exponential = Math.round(2 ** Math.max(0, attemptsMade - 1) * base);
  const asked = isAppError(err) ? err.details['retryAfterSeconds'] : undefined;
  const retryAfter = typeof asked === 'number' && Number.isFinite(asked) && asked > 0 ? Math.min(asked * 1000, MAX_RETRY_AFTER_MS) : 0;
  return Math.max(exponential, retryAfter);
};
