import { describe, expect, it } from 'vitest';
import { AppError, rateLimitDetails } from '../../src/errors.js';
import { DEFAULT_RATE_LIMIT_WAIT_MS, patienceStart, rateLimitedProgress, rateLimitedText, rateLimitedUntil, rateLimitedWait, rateLimitWaitMs } from '../../src/jobs/throttle.js';

const limited = (seconds: number | null, retryable = true) => new AppError('forge-unavailable', 'GitHub rate-limited creating the release (429)', { retryable, details: { status: 429, ...rateLimitDetails(seconds) } });

describe('rateLimitWaitMs', () => {
  it.each([
    ['Retry-After 30', limited(30), 30_000],
    ['no Retry-After', limited(null), DEFAULT_RATE_LIMIT_WAIT_MS],
    ['Retry-After 0', limited(0), DEFAULT_RATE_LIMIT_WAIT_MS],
    ['a reset 5 hours away, capped at the backoff\'s hour', limited(5 * 3600), 3600_000],
  ])('%s -> %i ms', (_name, error, expected) => {
    expect(rateLimitWaitMs(error)).toBe(expected);
  });

  it.each([
    ['a 503 with Retry-After (an outage, not a rate limit)', new AppError('index-unavailable', '503', { retryable: true, details: { status: 503, retryAfterSeconds: 30 } })],
    ['a rate limit marked permanent', limited(30, false)],
    ['a foreign error carrying the same details', Object.assign(new Error('x'), { retryable: true, details: { rateLimited: true, retryAfterSeconds: 30 } })],
    ['a string', 'rate limited'],
  ])('%s is no rate limit', (_name, error) => {
    expect(rateLimitWaitMs(error)).toBeNull();
  });
});

describe('rateLimitedUntil', () => {
  const queuedAt = Date.parse('2026-12-03T10:00:00Z');
  const hour = 3600_000;

  it('waits until now + Retry-After while the job stays within its patience', () => {
    const now = queuedAt + 10 * 60_000;
    expect(rateLimitedUntil(limited(60), queuedAt, now, hour)).toBe(now + 60_000);
  });

  it('waits up to exactly the patience, and not a millisecond past it', () => {
    expect(rateLimitedUntil(limited(60), queuedAt, queuedAt + hour - 60_000, hour)).toBe(queuedAt + hour);
    expect(rateLimitedUntil(limited(60), queuedAt, queuedAt + hour - 59_999, hour)).toBeNull();
  });

  it('with a patience of 0 every rate limit takes the ordinary retry path', () => {
    expect(rateLimitedUntil(limited(1), queuedAt, queuedAt, 0)).toBeNull();
  });

  it('never defers what is not a rate limit', () => {
    expect(rateLimitedUntil(new AppError('network', 'reset', { retryable: true }), queuedAt, queuedAt, hour)).toBeNull();
  });
});

describe('rateLimitedProgress', () => {
  it.each([
    [{ rateLimited: { until: 5, reason: 'r' } }, { until: 5, reason: 'r' }],
    [{ rateLimited: { until: '5', reason: 'r' } }, null],
    [{ rateLimited: { until: 5 } }, null],
    [42, null],
    [null, null],
    [undefined, null],
  ])('reads %j as %j', (progress, expected) => {
    expect(rateLimitedProgress(progress)).toEqual(expected);
  });
});

describe('rateLimitedWait', () => {
  const progress = { rateLimited: { until: Date.parse('2026-12-03T12:00:00Z'), reason: 'index-unavailable: 429' } };
  const before = Date.parse('2026-12-03T11:59:00Z');

  it('shows a delayed job\'s wait that is still ahead', () => {
    const wait = rateLimitedWait('delayed', progress, before);
    expect(wait).toEqual({ until: '2026-12-03T12:00:00.000Z', reason: 'index-unavailable: 429' });
    expect(rateLimitedText(wait)).toBe('  rate-limited, runs again at 2026-12-03T12:00:00.000Z: index-unavailable: 429');
  });

  it('shows nothing for a wait that is over (the job may be delayed for an ordinary retry since) or a job in another state', () => {
    expect(rateLimitedWait('delayed', progress, Date.parse('2026-12-03T12:00:00Z'))).toBeNull();
    expect(rateLimitedWait('active', progress, before)).toBeNull();
    expect(rateLimitedWait('completed', progress, before)).toBeNull();
    expect(rateLimitedText(null)).toBe('');
  });
});

describe('patienceStart', () => {
  it.each([
    ['a job never retried: when it was queued', undefined, 1000],
    ['a job retried later: the retry', { since: 5000 }, 5000],
    ['a retry stamp older than the job (a clock step): the job', { since: 500 }, 1000],
    ['a broken stamp', { since: 'soon' }, 1000],
    ['a rate-limited job never retried', { rateLimited: { until: 9000, reason: 'r' } }, 1000],
  ])('%s', (_name, progress, expected) => {
    expect(patienceStart({ timestamp: 1000, progress })).toBe(expected);
  });
});
