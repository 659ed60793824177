import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from '../../src/observability/service-metrics.js';
import { recordWait } from '../../src/observability/waits.js';
import { boundedThrottle } from '../../src/platforms/github/github-octokit.js';

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

function capture(): { lines: Array<{ obj: object; msg: string }>; log: { info(obj: object, msg: string): void } } {
  const lines: Array<{ obj: object; msg: string }> = [];
  return { lines, log: { info: (obj, msg) => void lines.push({ obj, msg }) } };
}

describe('recordWait', () => {
  it('logs a wait over a second with its reason and counts it in /metrics', async () => {
    const metrics = createServiceMetrics({ queues: [] });
    const before = await metrics.render();
    const { lines, log } = capture();
    expect(recordWait('comment-lock', 2.34, log, { lock: 'comment:gitlab:7:cr:5' })).toBe(true);
    const after = await metrics.render();
    metrics.close();
    const count = 'pyrelease_waits_seconds_count{reason="comment-lock"}';
    const sum = 'pyrelease_waits_seconds_sum{reason="comment-lock"}';
    expect(sample(after, count) - sample(before, count)).toBe(1);
    expect(sample(after, sum) - sample(before, sum)).toBeCloseTo(2.34, 5);
    expect(after).toContain('# TYPE pyrelease_waits_seconds histogram');
    expect(lines).toEqual([{ obj: { wait: 'comment-lock', seconds: 2.3, lock: 'comment:gitlab:7:cr:5' }, msg: 'waiting 2.3 s: waiting for another job to finish writing the same comment' }]);
  });

  it('neither logs nor counts a wait of a second or less', async () => {
    const metrics = createServiceMetrics({ queues: [] });
    const series = 'pyrelease_waits_seconds_count{reason="github-shared-pacing"}';
    const before = sample(await metrics.render(), series);
    const { lines, log } = capture();
    expect([recordWait('github-shared-pacing', 1, log), recordWait('github-shared-pacing', 0, log)]).toEqual([false, false]);
    expect(sample(await metrics.render(), series)).toBe(before);
    metrics.close();
    expect(lines).toEqual([]);
  });
});

describe("GitHub's rate limit, waited out by the throttling plugin", () => {
  it('is logged with the request (no query string) when the wait is over a second', () => {
    const { lines, log } = capture();
    const throttle = boundedThrottle(10);
    expect(throttle.onRateLimit(4, { method: 'POST', url: '/repos/acme/one/issues/1/comments?per_page=1' }, { log }, 0)).toBe(true);
    expect(throttle.onSecondaryRateLimit(0.5, { method: 'GET', url: '/x' }, { log }, 0)).toBe(true);
    // Not retried (too long): no wait, nothing logged.
    expect(throttle.onRateLimit(60, { method: 'GET', url: '/y' }, { log }, 0)).toBe(false);
    expect(lines).toEqual([{ obj: { wait: 'github-rate-limit', seconds: 4, request: 'POST /repos/acme/one/issues/1/comments' }, msg: "waiting 4 s: waiting out GitHub's rate limit before retrying" }]);
  });
});
