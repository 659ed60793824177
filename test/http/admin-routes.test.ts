import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, rateLimitDetails } from '../../src/errors.js';
import { adminHttp } from '../../src/http/admin-routes.js';
import { waitOutRateLimit } from '../../src/jobs/throttle.js';
import { createHttpServer, listen } from '../../src/http/server.js';
import { observedQueues } from '../../src/observability/observed-queues.js';
import type { ObservedQueues } from '../../src/observability/observed-queues.js';
import { createServiceMetrics } from '../../src/observability/service-metrics.js';
import type { ServiceMetrics } from '../../src/observability/service-metrics.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface Site {
  readonly url: string;
  readonly http: Server;
  readonly metrics: ServiceMetrics;
}

const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
const prefix = `{pyrelease-admin-${randomBytes(6).toString('hex')}}`;
const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
let queues: ObservedQueues;
let open: Site;
let closed: Site;

async function site(env: Record<string, string>): Promise<Site> {
  const metrics = createServiceMetrics({ queues: queues.queues });
  const admin = await adminHttp({ env, queues: queues.queues, metrics });
  const http = createHttpServer(admin.routes, log, admin.mounts);
  const { port } = await listen(http, 0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, http, metrics };
}

const job = (version: string, tag: string) => ({
  platform: 'gitlab', repo: '42', version, project: 'sample', tag, sha: 'a'.repeat(40), path: '.', registries: ['fake'], buildTool: 'build', dryRun: false, source: { kind: 'forge' }, deliveryId: null,
});

beforeAll(async () => {
  queues = observedQueues(redis, prefix, ['events', 'publish']);
  const publish = queues.queues.find((q) => q.name === 'publish');
  if (publish === undefined) throw new Error('no publish queue');
  // Real jobs through a real worker: one published, one refused for good, one still waiting.
  const workerConnection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const worker = new Worker(
    'publish',
    async (j, token) => {
      const { version } = j.data as { version: string };
      if (version === '2.0.0') throw new UnrecoverableError('index-conflict: sample-2.0.0.tar.gz exists with other content');
      if (version === '4.0.0') {
        const throttled = new AppError('index-unavailable', 'pypi.org could not take sample-4.0.0.tar.gz now: 429 Too Many Requests', { retryable: true, details: rateLimitDetails(600) });
        await waitOutRateLimit(j, token, throttled, 3600_000, log);
        throw throttled;
      }
      return { version: '1.0.0', rebuilt: true, files: [{ registry: 'fake', filename: 'sample-1.0.0.tar.gz', sha256: 'f'.repeat(64), size: 1234, outcome: 'uploaded' }] };
    },
    { connection: workerConnection, prefix },
  );
  // Listen before adding: the worker is already running, and a job that finishes while
  // the next one is being added would otherwise never be counted (the hook then hung
  // until its timeout on a loaded machine).
  const finished = new Promise<void>((resolve) => {
    let n = 0;
    const done = () => (++n === 2 ? resolve() : undefined);
    worker.on('completed', done);
    worker.on('failed', done);
  });
  await publish.add('publish', job('1.0.0', 'v1.0.0<script>alert(1)</script>'), { jobId: 'p1' });
  await publish.add('publish', job('2.0.0', 'v2.0.0'), { jobId: 'p2', attempts: 1 });
  await publish.add('publish', job('4.0.0', 'v4.0.0'), { jobId: 'p4', attempts: 1 });
  await finished;
  // The rate-limited job emits neither: it moves itself to the delayed set.
  while ((await publish.getJobState('p4')) !== 'delayed') await new Promise((r) => setTimeout(r, 20));
  await worker.close();
  workerConnection.disconnect();
  await publish.add('publish', job('3.0.0', 'v3.0.0'), { jobId: 'p3' });
  open = await site({ PYRELEASE_ADMIN_USER: 'ops', PYRELEASE_ADMIN_PASSWORD: PASSWORD });
  closed = await site({});
});

afterAll(async () => {
  for (const s of [open, closed]) {
    s.http.close();
    s.metrics.close();
  }
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await queues.close();
  redis.disconnect();
});

const ADMIN_PATHS = ['/releases', '/releases.json', '/admin/queues', '/admin/queues/api/queues'];

describe('admin authentication', () => {
  it.each(ADMIN_PATHS)('%s does not exist without an admin password', async (path) => {
    expect((await fetch(`${closed.url}${path}`, { headers: { authorization: basic('admin', '') } })).status).toBe(404);
  });

  it.each(ADMIN_PATHS.flatMap((path) => [
    [path, 'no credentials', undefined],
    [path, 'a wrong password', basic('ops', 'nope')],
    [path, 'a wrong user', basic('admin', PASSWORD)],
    [path, 'a password prefix', basic('ops', PASSWORD.slice(0, -1))],
    [path, 'a Bearer token', `Bearer ${PASSWORD}`],
  ] as const))('%s answers 401 with a challenge to %s', async (path, _name, authorization) => {
    const res = await fetch(`${open.url}${path}`, authorization === undefined ? {} : { headers: { authorization } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="pyrelease", charset="UTF-8"');
  });

  it.each(ADMIN_PATHS)('%s answers 200 to the right credentials', async (path) => {
    const res = await fetch(`${open.url}${path}`, { headers: { authorization: basic('ops', PASSWORD) } });
    expect(res.status).toBe(200);
  });

  it('never logs the password or the Authorization header', async () => {
    await fetch(`${open.url}/releases`, { headers: { authorization: basic('ops', 'wrong-guess') } });
    expect(logLines.join('\n')).not.toContain(PASSWORD);
    expect(logLines.join('\n')).not.toContain('wrong-guess');
  });

  it('refuses a cross-origin write to the dashboard', async () => {
    const res = await fetch(`${open.url}/admin/queues/api/queues/publish/retry/failed`, {
      method: 'PUT',
      headers: { authorization: basic('ops', PASSWORD), origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
  });
});

describe('GET /releases and /releases.json', () => {
  const auth = { headers: { authorization: basic('ops', PASSWORD) } };

  it('lists the publish jobs newest first with files, states and failure hints', async () => {
    const body = (await (await fetch(`${open.url}/releases.json`, auth)).json()) as { repositories: Array<{ repo: string; releases: Array<Record<string, unknown>> }> };
    expect(body.repositories.map((r) => r.repo)).toEqual(['gitlab:42']);
    const rows = body.repositories[0]?.releases ?? [];
    expect(rows.map((r) => [r['version'], r['state']])).toEqual([['3.0.0', 'waiting'], ['4.0.0', 'delayed'], ['2.0.0', 'failed'], ['1.0.0', 'completed']]);
    expect(rows[3]?.['files']).toEqual([{ filename: 'sample-1.0.0.tar.gz', registry: 'fake', outcome: 'uploaded', size: 1234 }]);
    expect(rows[2]?.['failure']).toMatchObject({ code: 'index-conflict', hint: expect.stringContaining('bump the version') });
    expect(rows.map((r) => r['rateLimited'] !== null)).toEqual([false, true, false, false]);
  });

  it('shows a rate-limited job as waiting until the time the index asked for, with no failure and no attempt spent', async () => {
    const body = (await (await fetch(`${open.url}/releases.json`, auth)).json()) as { repositories: Array<{ releases: Array<Record<string, unknown>> }> };
    const row = body.repositories[0]?.releases.find((r) => r['version'] === '4.0.0');
    const limited = row?.['rateLimited'] as { reason: string; until: string };
    expect(limited.reason).toBe('index-unavailable: pypi.org could not take sample-4.0.0.tar.gz now: 429 Too Many Requests');
    // Retry-After 600 from the moment the job ran: in 10 minutes, give or take the test's run time.
    const inMs = Date.parse(limited.until) - Date.now();
    expect(inMs).toBeGreaterThan(540_000);
    expect(inMs).toBeLessThanOrEqual(600_000);
    expect(row?.['failure']).toBeNull();
    expect(row?.['attempts']).toBe(0);
    const html = await (await fetch(`${open.url}/releases`, auth)).text();
    expect(html).toContain(`Runs again at ${limited.until} by itself, without spending an attempt.`);
  });

  it('escapes every value and sends no script', async () => {
    const res = await fetch(`${open.url}/releases`, auth);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('v1.0.0&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('Fix: The index already holds a different file');
  });
});

describe('GET /metrics', () => {
  it('is open and serves the text format with queue counts read at scrape time', async () => {
    open.metrics.observeWebhook('gitlab', 'queued', 'Tag Push Hook', 3);
    open.metrics.observeWebhook('gitlab', 'unauthorized', undefined, 0.4);
    const res = await fetch(`${open.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    for (const line of [
      'pyrelease_jobs{queue="publish",state="completed"} 1',
      'pyrelease_jobs{queue="publish",state="failed"} 1',
      'pyrelease_jobs{queue="publish",state="waiting"} 1',
      'pyrelease_jobs{queue="events",state="waiting"} 0',
      'pyrelease_queues_up 1',
      'pyrelease_webhooks_total{platform="gitlab",event="tag_push_hook",outcome="queued"} 1',
      'pyrelease_webhooks_total{platform="gitlab",event="none",outcome="unauthorized"} 1',
      'pyrelease_webhook_ack_seconds_bucket{platform="gitlab",le="0.001"} 1',
      'pyrelease_webhook_ack_seconds_bucket{platform="gitlab",le="0.005"} 2',
      'pyrelease_webhook_ack_seconds_count{platform="gitlab"} 2',
      'pyrelease_queue_oldest_waiting_seconds{queue="events"} 0',
    ]) expect(text).toContain(`${line}\n`);
    const age = Number(/pyrelease_queue_oldest_waiting_seconds\{queue="publish"\} (\S+)/.exec(text)?.[1]);
    expect(age).toBeGreaterThan(0);
    expect(age).toBeLessThan(60);
    expect(text).toMatch(/pyrelease_process_resident_memory_bytes \d+\n/);
    expect(text).toMatch(/pyrelease_event_loop_delay_seconds\{stat="p99"\} [\d.e-]+\n/);
  });
});
