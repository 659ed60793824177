// A job that no worker can read (its stored JSON does not parse, or its data does not
// match the schema) must fail once, with a reason that quotes none of it, on every worker
// of the service. Written the way an attacker with Redis access would: a job added with
// BullMQ, then its hash overwritten with raw Redis. Real Redis, unique prefixes.
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Worker } from 'bullmq';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_QUEUE } from '../../src/jobs/event-job.js';
import { createEventWorker } from '../../src/jobs/event-worker.js';
import { PUBLISH_QUEUE } from '../../src/jobs/publish-job.js';
import type { PublishDeps } from '../../src/jobs/publish-processor.js';
import { createPublishWorker } from '../../src/jobs/publish-worker.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { SELF_HOSTED_QUEUE, SWEEP_QUEUE } from '../../src/jobs/queue-names.js';
import { startSweep } from '../../src/jobs/sweep-worker.js';
import type { SweepWorkerDeps } from '../../src/jobs/sweep-worker.js';
import { UNREADABLE_FIELD_PREFIX } from '../../src/jobs/unreadable-job.js';
import type { Logger } from '../../src/logger.js';
import type { ServiceDeps } from '../../src/service/handle-event.js';
import { createSelfHostedWorker } from '../../src/selfhosted/self-hosted-worker.js';
import type { SelfHostedDeps } from '../../src/selfhosted/self-hosted-worker.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

const SECRET = `glpat-${randomBytes(12).toString('hex')}`;
const closing: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closing.length > 0) await closing.pop()?.().catch(() => undefined);
});

interface Rig {
  readonly prefix: string;
  readonly connection: ReturnType<typeof redisConnection>;
  readonly lines: string[];
  readonly log: Logger;
  readonly settings: { prefix: string; concurrency: number; lockDurationMs: number; rateLimitMaxWaitMs: number };
}

function rig(): Rig {
  const prefix = `{pyrelease-unreadable-${randomBytes(6).toString('hex')}}`;
  const connection = redisConnection(TEST_REDIS_URL, 'pyrelease-test-unreadable');
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
  closing.push(async () => connection.disconnect());
  // A short lock: without the guard the job stalls (and is taken again) every second or two.
  return { prefix, connection, lines, log, settings: { prefix, concurrency: 1, lockDurationMs: 1500, rateLimitMaxWaitMs: 1000 } };
}

type Tamper = { field: 'data' | 'opts'; value: string };
const TAMPERS: ReadonlyArray<[string, Tamper]> = [
  ['data that is not JSON', { field: 'data', value: `{"platform":"local","token":"${SECRET}"` }],
  ['data that is not JSON and starts with the secret', { field: 'data', value: `${SECRET} platform=local` }],
  ['options that are not JSON', { field: 'opts', value: `{"attempts":3,"note":"${SECRET}"` }],
  ['options that are JSON null', { field: 'opts', value: 'null' }],
];

/** Adds a job the normal way, then overwrites one field of its hash with raw Redis. */
async function forge(r: Rig, queueName: string, jobName: string, tamper: Tamper | null, data: unknown = { placeholder: true }): Promise<{ queue: Queue; jobId: string }> {
  const queue = new Queue(queueName, { connection: r.connection, prefix: r.prefix });
  closing.push(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });
  const jobId = `forged-${randomBytes(4).toString('hex')}`;
  await queue.add(jobName, data, { jobId, attempts: 3 });
  if (tamper !== null) await r.connection.hset(`${r.prefix}:${queueName}:${jobId}`, tamper.field, tamper.value);
  return { queue, jobId };
}

async function expectFailedOnce(r: Rig, queue: Queue, jobId: string, reason: RegExp): Promise<void> {
  const deadline = Date.now() + 8000;
  let state = await queue.getJobState(jobId);
  while (state !== 'failed' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    state = await queue.getJobState(jobId);
  }
  const hash = await r.connection.hgetall(`${r.prefix}:${queue.name}:${jobId}`);
  expect({ state, attemptsStarted: hash['ats'], stalled: hash['stc'] ?? '0' }).toEqual({ state: 'failed', attemptsStarted: '1', stalled: '0' });
  expect(hash['failedReason']).toMatch(reason);
  // What BullMQ could not read is gone from its fields, so /releases and `pyrelease jobs` can list the job.
  const [job] = await queue.getJobs(['failed']);
  expect(job?.id).toBe(jobId);
  expect([hash['failedReason'], ...r.lines].join('\n')).not.toContain(SECRET);
  if (/could not be read/.test(hash['failedReason'] ?? '')) {
    // The operator hears of it: something wrote this queue by hand.
    expect(r.lines.some((l) => l.includes(`"jobId":"${jobId}"`) && l.includes('"code":"job-invalid"'))).toBe(true);
  }
}

function run(worker: Worker): void {
  void worker.run();
  closing.push(() => Promise.race([worker.close(true), new Promise((resolve) => setTimeout(resolve, 2000))]));
}

const nothing = (): never => {
  throw new Error('a job that cannot be read must never reach the service');
};

describe.each(TAMPERS)('a stored job with %s', (_name, tamper) => {
  it('fails once on the publish worker, and its original stays beside the job for the operator', async () => {
    const r = rig();
    const { queue, jobId } = await forge(r, PUBLISH_QUEUE, 'publish', tamper);
    run(createPublishWorker(r.connection, r.settings, { platformFor: nothing, build: nothing } as unknown as PublishDeps, r.log));
    await expectFailedOnce(r, queue, jobId, new RegExp(`^job-invalid: the stored job could not be read \\(${tamper.field}: not valid JSON\\)`));
    expect(await r.connection.hget(`${r.prefix}:${PUBLISH_QUEUE}:${jobId}`, `${UNREADABLE_FIELD_PREFIX}${tamper.field}`)).toBe(tamper.value);
  });

  it('fails once on the event worker', async () => {
    const r = rig();
    const { queue, jobId } = await forge(r, EVENT_QUEUE, 'tag-pushed', tamper);
    run(createEventWorker(r.connection, r.settings, { platformFor: nothing } as unknown as ServiceDeps, r.log));
    await expectFailedOnce(r, queue, jobId, /^job-invalid: the stored job could not be read/);
  });

  it('fails once on the self-hosted tagging worker', async () => {
    const r = rig();
    const { queue, jobId } = await forge(r, SELF_HOSTED_QUEUE, 'tag', tamper);
    run(createSelfHostedWorker(r.connection, r.settings, { platformFor: nothing } as unknown as SelfHostedDeps, r.log));
    await expectFailedOnce(r, queue, jobId, /^job-invalid: the stored job could not be read/);
  });

  it('fails once on the sweep worker', async () => {
    const r = rig();
    const { queue, jobId } = await forge(r, SWEEP_QUEUE, 'sweep', tamper);
    const knownRepos = { list: () => Promise.resolve([]), remember: nothing };
    const deps = { knownRepos, platformFor: nothing, publishedVersions: nothing, enqueueEvent: nothing, log: r.log } as unknown as SweepWorkerDeps;
    // An hour apart: the scheduler's own first sweep runs at once and must not be the one counted.
    const sweep = await startSweep(r.connection, { prefix: r.prefix, intervalMs: 3_600_000, tagsPerRepo: 1, maxAgeDays: 1 }, deps);
    closing.push(() => sweep.close());
    await expectFailedOnce(r, queue, jobId, /^job-invalid: the stored job could not be read/);
  });
});

describe('a job whose JSON reads but does not match its schema', () => {
  const data = { platform: 'local', [`key-${SECRET}`]: 1, sha: SECRET, version: SECRET };
  it.each([
    ['publish', PUBLISH_QUEUE, 'publish', (r: Rig) => createPublishWorker(r.connection, r.settings, { platformFor: nothing } as unknown as PublishDeps, r.log)],
    ['event', EVENT_QUEUE, 'tag-pushed', (r: Rig) => createEventWorker(r.connection, r.settings, { platformFor: nothing } as unknown as ServiceDeps, r.log)],
    ['self-hosted tagging', SELF_HOSTED_QUEUE, 'tag', (r: Rig) => createSelfHostedWorker(r.connection, r.settings, { platformFor: nothing } as unknown as SelfHostedDeps, r.log)],
  ] as const)('fails once on the %s worker, naming fields but quoting none of their contents', async (_name, queueName, jobName, make) => {
    const r = rig();
    const { queue, jobId } = await forge(r, queueName, jobName, null, data);
    run(make(r));
    await expectFailedOnce(r, queue, jobId, /^job-invalid: the .* job does not match its schema \(/);
  });

  it.each([['null'], ['"a string"'], ['[1,2]']])('fails once on the event worker when the data is %s (no TypeError, no retries)', async (value) => {
    const r = rig();
    const { queue, jobId } = await forge(r, EVENT_QUEUE, 'tag-pushed', { field: 'data', value });
    run(createEventWorker(r.connection, r.settings, { platformFor: nothing } as unknown as ServiceDeps, r.log));
    await expectFailedOnce(r, queue, jobId, /^job-invalid: the event job does not match its schema \(\(the job\): invalid_type\)/);
  });
});
