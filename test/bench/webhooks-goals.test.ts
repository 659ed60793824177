import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startPrivateRedis } from '../helpers/redis-server.js';

// bench/ is plain JS without type declarations: load it by URL and state the shape we use.
interface Row {
  id: string;
  label: string;
  senders: number;
  result: { latencyMs: { p50: number; p99: number }; errorCount: number; rps: number };
}
interface Memory {
  kind: string;
  idle: number;
  atReady: number;
}
interface Running {
  url: string;
  stats(): Promise<{ stored: number }>;
  close(): Promise<void>;
}
interface WebhooksBench {
  goalVerdicts(rows: Row[], memory: Memory[]): string[];
  startDurableFloor(options: { redisUrl?: string; prefix: string }): Promise<Running>;
}
const { goalVerdicts, startDurableFloor } = (await import(new URL('../../bench/webhooks.js', import.meta.url).href)) as WebhooksBench;

const REDIS_URL = 'redis://127.0.0.1:6379';
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
afterAll(() => redis.disconnect());

function row(id: string, senders: number, p50: number, p99: number, errorCount = 0): Row {
  return { id, label: id, senders, result: { latencyMs: { p50, p99 }, errorCount, rps: 1000 } };
}

describe('bench/webhooks.js: the goals as the tracker states them', () => {
  const probot = [row('github-probot', 1, 0.2, 1.0), row('github-probot', 50, 6, 16)];

  it('meets "faster than Probot" only when p50 and p99 are lower at every sender count', () => {
    const faster = goalVerdicts([...probot, row('github-pyrelease', 1, 0.19, 0.9), row('github-pyrelease', 50, 5, 15)], []);
    expect(faster[0]).toMatch(/faster than a no-op Probot app .*\*\*met\*\*/);
    const slowerAtOne = goalVerdicts([...probot, row('github-pyrelease', 1, 0.3, 0.9), row('github-pyrelease', 50, 5, 15)], []);
    expect(slowerAtOne[0]).toMatch(/\*\*not met\*\*/);
    expect(slowerAtOne[0]).toContain('1 sender(s): p50 0.30 vs 0.20 ms');
  });

  it('says where the durable floor itself is behind the no-op app: the goal is out of reach there', () => {
    const [, floorLine] = goalVerdicts([...probot, row('github-pyrelease', 1, 0.3, 2), row('durable-floor', 1, 0.21, 0.6), row('durable-floor', 50, 4, 9)], []);
    expect(floorLine).toContain('not ahead of the no-op app at 1 sender(s)');
    expect(floorLine).toContain('1 sender(s): p50 0.21 vs 0.20 ms, p99 0.60 vs 1.00 ms');
    const [, within] = goalVerdicts([...probot, row('durable-floor', 1, 0.15, 0.6), row('durable-floor', 50, 4, 9)], []);
    expect(within).toContain('within reach here');
  });

  it('decides the p99 goal at 50 senders per forge, errors included, and the memory goal in MB', () => {
    const lines = goalVerdicts([row('gitlab-pyrelease', 50, 5, 14.9), row('github-pyrelease', 50, 5, 14.9, 3)], [{ kind: 'pyrelease', idle: 99.9e6, atReady: 90e6 }]);
    expect(lines.find((l) => l.includes('(gitlab-pyrelease)'))).toMatch(/\*\*met\*\*/);
    expect(lines.find((l) => l.includes('(github-pyrelease)'))).toMatch(/\*\*not met\*\*.*errors 3/);
    expect(lines.find((l) => l.startsWith('- Web process'))).toMatch(/\*\*met\*\*, 99\.9 MB/);
    expect(goalVerdicts([], [{ kind: 'pyrelease', idle: 100e6, atReady: 90e6 }]).find((l) => l.startsWith('- Web process'))).toMatch(/\*\*not met\*\*/);
    const withFloor = goalVerdicts([row('gitlab-pyrelease', 50, 5, 20), row('durable-floor', 50, 4, 18.25)], []);
    expect(withFloor.find((l) => l.includes('(gitlab-pyrelease)'))).toContain("p99 = 20.00 ms, errors 0 (the durable floor's own p99 in this run: 18.25 ms)");
  });
});

describe('bench/webhooks.js: the durable floor server', () => {
  it('answers 200 only once Redis holds the delivery id, and removes its stream when closed', async () => {
    const prefix = `{pyrelease-test-floor-${randomBytes(4).toString('hex')}}`;
    const floor = await startDurableFloor({ redisUrl: REDIS_URL, prefix });
    try {
      const body = JSON.stringify({ ref: 'refs/tags/v1.2.3', n: randomBytes(8).toString('hex') });
      const github = await fetch(`${floor.url}/api/github/webhooks`, { method: 'POST', body, headers: { 'x-github-delivery': 'd-1' } });
      expect(github.status).toBe(200);
      expect(await github.json()).toEqual({ status: 'queued' });
      const gitlab = await fetch(`${floor.url}/webhooks/gitlab`, { method: 'POST', body, headers: { 'idempotency-key': 'k-2' } });
      expect(gitlab.status).toBe(200);
      const entries = await redis.xrange(`${prefix}:floor`, '-', '+');
      expect(entries.map(([, fields]) => fields)).toEqual([['delivery', 'd-1'], ['delivery', 'k-2']]);
      expect(await floor.stats()).toEqual({ stored: 2 });
    } finally {
      await floor.close();
    }
    expect(await redis.exists(`${prefix}:floor`)).toBe(0);
  });

  it('answers 503, not 200, while its Redis is gone', async () => {
    const own = await startPrivateRedis();
    const floor = await startDurableFloor({ redisUrl: own.url, prefix: '{pyrelease-test-floor-down}' });
    try {
      await own.kill();
      const response = await fetch(`${floor.url}/api/github/webhooks`, { method: 'POST', body: '{}', headers: { 'x-github-delivery': 'd-3' } });
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'unavailable' });
    } finally {
      await floor.close().catch(() => undefined);
      await own.close();
    }
  });

  it('refuses to start without a Redis, rather than measure answers that store nothing', async () => {
    const port = await freePort();
    await expect(startDurableFloor({ redisUrl: `redis://127.0.0.1:${port}`, prefix: '{x}' })).rejects.toThrow(/no Redis/);
  });
});
