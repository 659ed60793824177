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

  it('ignores retry hints on errors that are not ours', () => {
    const err = Object.assign(new Error('x'), { details: { retryAfterSeconds: 50 } });
    expect(retryAfterBackoff(1, 'retry-after', err, job)).toBe(1000);
  });
});
