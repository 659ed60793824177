import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubService } from '../helpers/github-service.js';

// bench/ is plain JS without type declarations: load it by URL and state the shape we use.
interface LoadResult {
  senders: number;
  requests: number;
  ok: number;
  non2xx: number;
  transportErrors: number;
  queued: number;
  errorCount: number;
  statuses: Record<string, number>;
  rps: number;
  elapsedMs: number;
  latencyMs: { min: number; mean: number; p50: number; p90: number; p99: number; max: number };
  warmup: { requests: number };
}
interface LoadGenerator {
  runLoad(options: Record<string, unknown>): Promise<LoadResult>;
  percentile(sorted: ArrayLike<number>, q: number): number;
}
const generatorUrl = new URL('../../bench/load-generator.js', import.meta.url).href;
const { runLoad, percentile } = (await import(generatorUrl)) as LoadGenerator;

/** A bare server like the bench's floor; every 4th request is a 503, to see errors counted. */
let server: Server;
let url = '';
const seen = { keys: new Set<string>(), tags: new Set<string>(), tokens: new Set<string>() };
beforeAll(async () => {
  let n = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ref: string };
      seen.keys.add(String(req.headers['idempotency-key']));
      seen.tags.add(body.ref);
      seen.tokens.add(String(req.headers['x-gitlab-token']));
      n += 1;
      const failing = req.url === '/flaky' && n % 4 === 0;
      res.writeHead(failing ? 503 : 200, { 'content-type': 'application/json' });
      res.end(failing ? '{"status":"unavailable"}' : '{"status":"queued"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('bench load generator', () => {
  it.each([
    { senders: 1, path: '/ok', errors: 0 },
    { senders: 8, path: '/ok', errors: 0 },
    { senders: 8, path: '/flaky', errors: 50 },
  ])('$senders sender(s) against $path: 200 requests, counts add up, percentiles ordered', async ({ senders, path, errors }) => {
    seen.keys.clear();
    seen.tags.clear();
    const r = await runLoad({ url, path, senders, requests: 200, durationMs: 8000, warmupMs: 0, secret: 's3cret', request: 'gitlab-tag-push' });
    expect(r.senders).toBe(senders);
    expect(r.requests).toBe(200);
    expect(r.ok + r.non2xx + r.transportErrors).toBe(r.requests);
    expect(r.errorCount).toBe(errors);
    expect(r.transportErrors).toBe(0);
    expect(r.queued).toBe(200 - errors);
    expect(Object.values(r.statuses).reduce((a, b) => a + b, 0)).toBe(r.requests);
    const l = r.latencyMs;
    expect(l.min).toBeGreaterThan(0);
    expect([l.min, l.p50, l.p90, l.p99, l.max]).toEqual([l.min, l.p50, l.p90, l.p99, l.max].sort((a, b) => a - b));
    expect(l.mean).toBeGreaterThanOrEqual(l.min);
    expect(l.mean).toBeLessThanOrEqual(l.max);
    // Requests in flight never overlap beyond the senders: total time is at least the sum of latencies / senders.
    expect(r.elapsedMs).toBeGreaterThanOrEqual((l.mean * r.requests) / senders - 1);
    expect(r.rps).toBeCloseTo(r.requests / (r.elapsedMs / 1000), 6);
    // Every request is a new delivery: its own Idempotency-Key and tag, the configured token.
    expect(seen.keys.size).toBe(200);
    expect(seen.tags.size).toBe(200);
    expect([...seen.tokens]).toEqual(['s3cret']);
  });

  it('stops at its time limit and counts a dead server as transport errors', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const started = performance.now();
    const r = await runLoad({ url: `http://127.0.0.1:${port}`, senders: 2, durationMs: 300, secret: 'x' });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(r.requests).toBeGreaterThan(0);
    expect(r.transportErrors).toBe(r.requests);
    expect(r.ok).toBe(0);
  });

  it.each([
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99, 10],
    [[7], 0.5, 7],
  ])('nearest-rank percentile of %j at %d is %d', (sorted, q, expected) => {
    expect(percentile(sorted, q)).toBe(expected);
  });
});

describe('github-push against pyrelease itself', () => {
  // The bench's GitHub rows are meant to measure new deliveries. pyrelease also
  // deduplicates GitHub deliveries by the body's digest, so one body under fresh delivery
  // ids was queued once and answered "duplicate" after that.
  it('every request is queued as a new delivery', async () => {
    const s = await githubService({ runWorkers: false });
    try {
      const r = await runLoad({ url: s.service.url, path: '/api/github/webhooks', senders: 4, requests: 120, durationMs: 20_000, warmupMs: 0, secret: s.secret, request: 'github-push' });
      expect({ requests: r.requests, ok: r.ok, queued: r.queued }).toEqual({ requests: 120, ok: 120, queued: 120 });
    } finally {
      await s.close();
    }
  });
});
