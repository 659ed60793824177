import { describe, expect, it } from 'vitest';
import type { MinimalJob } from 'bullmq';
import { retryAfterBackoff } from '../../src/jobs/backoff.js';
import { AppError } from '../../src/errors.js';

const job = { opts: { backoff: { type: 'retry-after', delay: 1000 } } } as unknown as MinimalJob;
const busy = (seconds: number | undefined) =>
  new AppError('index-unavailable', 'busy', { retryable: true, details: seconds === undefined ? {} : { retryAfterSeconds: seconds } });

describe('retry-after backoff', () => {
  it.each([
    [1, undefined, 1000],
    [2, undefined, 2000],
    [4, undefined, 8000],
    [1, 30, 30_000],
    [4, 3, 8000],
    [1, 999_999, 3600_000],
    [1, -5, 1000],
  ])('attempt %i with Retry-After %s waits %i ms', (attempt, seconds, expected) => {
    expect(retryAfterBackoff(attempt, 'retry-after', busy(seconds), job)).toBe(expected);
  });

  it('doubles from PYRELEASE_JOB_BACKOFF_MS up to 15 minutes, so the default 10 attempts retry for about an hour', () => {
    const defaults = { opts: { backoff: { type: 'retry-after', delay: 15_000 } } } as unknown as MinimalJob;
    const waits = Array.from({ length: 9 }, (_, i) => retryAfterBackoff(i + 1, 'retry-after', busy(undefined), defaults) as number);
    expect(waits).toEqual([15_000, 30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000]);
    expect(waits.reduce((a, b) => a + b, 0)).toBe(3_645_000);
    // A first delay above the cap is kept; a Retry-After longer than the cap is still honoured, up to an hour.
    const slow = { opts: { backoff: { type: 'retry-after', delay: 1_200_000 } } } as unknown as MinimalJob;
    expect([1, 3].map((n) => retryAfterBackoff(n, 'retry-after', busy(undefined), slow))).toEqual([1_200_000, 1_200_000]);
    expect(retryAfterBackoff(9, 'retry-after', busy(1800), defaults)).toBe(1_800_000);
  });

  it('ignores retry hints on errors that are not ours', () => {
    const err = Object.assign(new Error('x'), { details: { retryAfterSeconds: 50 } });
    expect(retryAfterBackoff(1, 'retry-after', err, job)).toBe(1000);
  });
});
