// Listings survive a job no worker has taken yet whose stored JSON does not parse
// (written with raw HSET, as unreadable-jobs.test.ts does): BullMQ's getJobs throws for
// the whole range on such a job, and a worker repairs it only when it takes it. `pyrelease
// jobs`, `pyrelease jobs --events`, /releases(.json) and bull-board list what they can
// read, and the unreadable job as a row with its id and state only. Real Redis.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { UNREADABLE_JOB_NAME } from '../../src/http/admin-queues.js';
import { adminHttp } from '../../src/http/admin-routes.js';
import { UNREADABLE_GROUP } from '../../src/http/release-page-data.js';
import { createHttpServer, listen } from '../../src/http/server.js';
import { EVENT_QUEUE } from '../../src/jobs/event-job.js';
import { PUBLISH_QUEUE } from '../../src/jobs/publish-job.js';
import { observedQueues } from '../../src/observability/observed-queues.js';
import type { ObservedQueues } from '../../src/observability/observed-queues.js';
import { SELF_HOSTED_QUEUE } from '../../src/jobs/queue-names.js';
import { captureIo } from '../helpers/cli-io.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

const SECRET = `glpat-${randomBytes(12).toString('hex')}`;
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const prefix = `{pyrelease-unreadable-list-${randomBytes(6).toString('hex')}}`;
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
const auth = { headers: { authorization: `Basic ${Buffer.from(`ops:${PASSWORD}`).toString('base64')}` } };
let queues: ObservedQueues;
let http: Server;
let url = '';

const good = {
  platform: 'gitlab', repo: '42', version: '1.0.0', project: 'sample', tag: 'v1.0.0', sha: 'a'.repeat(40), path: '.', registries: ['fake'], buildTool: 'build', dryRun: false, source: { kind: 'forge' }, deliveryId: null,
};

beforeAll(async () => {
  queues = observedQueues(redis, prefix, [EVENT_QUEUE, PUBLISH_QUEUE, SELF_HOSTED_QUEUE]);
  const [events, publish, tagging] = queues.queues;
  if (events === undefined || publish === undefined || tagging === undefined) throw new Error('queues');
  await publish.add('publish', good, { jobId: 'readable' });
  await publish.add('publish', { placeholder: true }, { jobId: 'bad-data' });
  await publish.add('publish', { placeholder: true }, { jobId: 'bad-opts', delay: 3_600_000 });
  await tagging.add('tag', { placeholder: true }, { jobId: 'bad-tagging' });
  await events.add('tag-pushed', { placeholder: true }, { jobId: 'bad-event' });
  // Written over with raw Redis, past BullMQ, as someone holding the Redis password could.
  await redis.hset(`${prefix}:${PUBLISH_QUEUE}:bad-data`, 'data', `{"platform":"local","token":"${SECRET}"`);
  await redis.hset(`${prefix}:${PUBLISH_QUEUE}:bad-opts`, 'opts', 'null');
  await redis.hset(`${prefix}:${SELF_HOSTED_QUEUE}:bad-tagging`, 'data', `${SECRET} release`);
  await redis.hset(`${prefix}:${EVENT_QUEUE}:bad-event`, 'opts', `{"note":"${SECRET}"`);
  const admin = await adminHttp({ env: { PYRELEASE_ADMIN_USER: 'ops', PYRELEASE_ADMIN_PASSWORD: PASSWORD }, queues: queues.queues, metrics: { render: () => Promise.resolve('') } });
  http = createHttpServer(admin.routes, pino({ level: 'silent' }), admin.mounts);
  url = `http://127.0.0.1:${(await listen(http, 0, '127.0.0.1')).port}`;
});

afterAll(async () => {
  http.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await queues.close();
  redis.disconnect();
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ env: { REDIS_URL: TEST_REDIS_URL, PYRELEASE_QUEUE_PREFIX: prefix } });
  const code = await main(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('pyrelease jobs with jobs that cannot be read', () => {
  it('lists the readable job, and each unreadable one first with its id and state only', async () => {
    const r = await cli(['jobs']);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    const lines = r.out.trim().split('\n');
    expect(lines.slice(0, 3).map((l) => /^\?\s+(\S+)\s+\(unreadable (\S+) job\)\s+(\S+)\s+job-unreadable: /.exec(l)?.slice(1)).sort()).toEqual([
      ['delayed', PUBLISH_QUEUE, 'bad-opts'],
      ['waiting', PUBLISH_QUEUE, 'bad-data'],
      ['waiting', SELF_HOSTED_QUEUE, 'bad-tagging'],
    ]);
    expect(lines[3]).toMatch(/waiting\s+42 1\.0\.0 {2}attempts=0 {2}readable$/);
    expect(lines).toHaveLength(4);
    expect(r.out).not.toContain(SECRET);
  });

  it('--json: one object per unreadable job saying so', async () => {
    const r = await cli(['jobs', '--json']);
    const rows = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.filter((row) => row['unreadable'] === true).map((row) => Object.keys(row).sort())).toEqual(Array(3).fill(['id', 'queue', 'reason', 'state', 'unreadable']));
    expect(rows.find((row) => row['id'] === 'readable')).toMatchObject({ state: 'waiting', repo: '42', version: '1.0.0' });
    expect(r.out).not.toContain(SECRET);
  });

  it('--events: the unreadable event job as a row', async () => {
    const r = await cli(['jobs', '--events']);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toMatch(/^\?\s+waiting\s+\? unreadable {2}attempts=0 {2}delivery= {2}bad-event {2}job-unreadable: /);
    expect(r.out).not.toContain(SECRET);
  });
});

describe('/releases and /releases.json with jobs that cannot be read', () => {
  it('group them apart with their id and state, and list the readable jobs as before', async () => {
    const res = await fetch(`${url}/releases.json`, auth);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    const body = JSON.parse(text) as { repositories: Array<{ repo: string; releases: Array<Record<string, unknown>> }> };
    expect(body.repositories.map((g) => g.repo)).toEqual([UNREADABLE_GROUP, 'gitlab:42']);
    expect(body.repositories[0]?.releases.map((r) => [r['jobId'], r['state'], r['unreadable']]).sort()).toEqual([
      ['bad-data', 'waiting', true],
      ['bad-opts', 'delayed', true],
    ]);
    expect(body.repositories[1]?.releases.map((r) => r['jobId'])).toEqual(['readable']);
    const html = await (await fetch(`${url}/releases`, auth)).text();
    expect(html).toContain('bad-data');
    expect(html).toContain('job-unreadable: ');
    expect(html).not.toContain(SECRET);
  });
});

describe('bull-board with jobs that cannot be read', () => {
  it.each(['waiting', 'delayed', 'latest'])('lists status %s, the unreadable job by its id with no data', async (status) => {
    const res = await fetch(`${url}/admin/queues/api/queues?activeQueue=${PUBLISH_QUEUE}&status=${status}&page=1&jobsPerPage=10`, auth);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain(SECRET);
    const publish = (JSON.parse(text) as { queues: Array<{ name: string; jobs: Array<{ id: string; name: string; data: unknown }> }> }).queues.find((q) => q.name === PUBLISH_QUEUE);
    const unreadable = publish?.jobs.filter((j) => j.name === UNREADABLE_JOB_NAME).map((j) => j.id).sort();
    expect(unreadable).toEqual(status === 'waiting' ? ['bad-data'] : status === 'delayed' ? ['bad-opts'] : ['bad-data', 'bad-opts']);
  });

  it("opens an unreadable job's page with its state and no data", async () => {
    const res = await fetch(`${url}/admin/queues/api/queues/${PUBLISH_QUEUE}/bad-data`, auth);
    const text = await res.text();
    expect(res.status).toBe(200);
    const page = JSON.parse(text) as { job: { data: unknown } };
    expect(page).toMatchObject({ status: 'waiting', job: { id: 'bad-data', name: UNREADABLE_JOB_NAME } });
    // toEqual, not toMatchObject: there a {} matches any data at all.
    expect(page.job.data).toEqual({});
    expect(text).not.toContain(SECRET);
  });
});
