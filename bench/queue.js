// Jobs per second through pyrelease's publish queue, next to raw BullMQ on the same Redis.
//
//   ours: enqueuePublish (zod validation, deterministic id, getJob + add) and the real
//         createPublishWorker processor (validation again, runPublishJob): copy the source
//         archive, extract it safely, a no-op "build" that copies a prebuilt sdist and
//         wheel, keep the artifacts, inspect both files, look each up and upload it
//         (both no-ops: no network) and record it in the Redis ledger.
//   raw:  Queue.add with no job id, and a Worker whose processor is empty.
//
// Enqueue is measured alone (awaited one at a time, no worker running), then the worker
// is started and timed until every job completed. Best of 3 rounds; each round has its
// own key prefix on 127.0.0.1:6379 and is obliterated afterwards.
//
//   npm run build && node bench/queue.js [--jobs N] [--rounds N] [--no-write]
//
// 500 jobs per round by default: the pyrelease rows process ~60-80 jobs/s, and
// `npm run bench` must stay within a few minutes.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machineLine, writeBlock } from './readme-section.js';
import { Queue, Worker } from 'bullmq';
import { pino } from 'pino';
import { c as createTar } from 'tar';
import { createPublishWorker } from '../dist/jobs/publish-worker.js';
import { enqueuePublish, publishQueue, redisConnection } from '../dist/jobs/queues.js';
import { redisLedger } from '../dist/jobs/release-ledger.js';
import { redisBindings } from '../dist/jobs/publish-bindings.js';
import { registryEntrySchema } from '../dist/publishing/registries.js';

const REDIS_URL = process.env.PYRELEASE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const { values } = parseArgs({ options: { 'no-write': { type: 'boolean', default: false }, jobs: { type: 'string', default: '500' }, rounds: { type: 'string', default: '3' } } });
const JOBS = Number(values.jobs);
const ROUNDS = Number(values.rounds);
const CONCURRENCIES = [1, 10];
const silent = pino({ level: 'silent' });

async function fixtures(work) {
  // One real build up front; the benchmark's build step copies its output.
  const project = join(work, 'project');
  await cp(new URL('../test/fixtures/projects/setuptools-static', import.meta.url).pathname, project, { recursive: true });
  const dists = join(work, 'dists');
  execFileSync('/usr/bin/python3', ['-m', 'build', '--no-isolation', '--skip-dependency-check', '--outdir', dists, project], { stdio: 'ignore' });
  const names = await readdir(dists);
  const sdist = join(dists, names.find((n) => n.endsWith('.tar.gz')));
  const wheel = join(dists, names.find((n) => n.endsWith('.whl')));
  // A small forge-style source archive: one top directory.
  const top = join(work, 'archive-root', 'sample-static-0000');
  await mkdir(top, { recursive: true });
  await writeFile(join(top, 'pyproject.toml'), '[project]\nname = "sample-static"\nversion = "1.4.0"\n');
  await writeFile(join(top, 'README.md'), '# sample\n');
  const archive = join(work, 'source.tar.gz');
  await createTar({ gzip: true, file: archive, cwd: join(work, 'archive-root'), portable: true }, ['sample-static-0000']);
  return { sdist, wheel, archive };
}

function ourDeps(fx, dataDir, connection, prefix) {
  const entry = registryEntrySchema.parse({ 'upload-url': 'http://127.0.0.1:9/legacy/', 'simple-url': 'http://127.0.0.1:9/simple/' });
  return {
    dataDir,
    registries: { bench: entry },
    // The bench's local jobs are granted the target, as an operator would grant a repository.
    policy: { targets: { bench: { kind: 'grants', grants: [{ gitlab: [], github: [], local: ['acme/sample'], projects: ['*'], sharedProjects: [] }] } }, extendsAllowed: [] },
    bindings: redisBindings(connection, prefix),
    forgeSources: {},
    build: async (request) => {
      const sdist = join(request.outDir, 'sample-static-1.4.0.tar.gz');
      const wheel = join(request.outDir, 'sample_static-1.4.0-py3-none-any.whl');
      await cp(fx.sdist, sdist);
      await cp(fx.wheel, wheel);
      return { sdist, wheels: [wheel], log: '', durationMs: 0 };
    },
    buildSettings: { isolation: false, timeoutMs: 60_000, maxLogBytes: 1024, sandbox: 'none' },
    ports: {
      credentials: async () => ({ username: '__token__', password: 'bench' }),
      lookupFile: async () => ({ state: 'absent' }),
      upload: async () => undefined,
    },
    ledger: redisLedger(connection, prefix),
    log: silent,
  };
}

const sha = (i) => i.toString(16).padStart(40, '0');

async function drain(worker, jobs) {
  return new Promise((resolve, reject) => {
    let done = 0;
    worker.on('completed', () => {
      done += 1;
      if (done === jobs) resolve();
    });
    worker.on('failed', (job, error) => reject(new Error(`job ${job?.id} failed: ${error.message}`)));
  });
}

async function roundOurs(fx, concurrency, round) {
  const prefix = `{pyrelease-bench-${process.pid}-ours-${concurrency}-${round}}`;
  const connection = redisConnection(REDIS_URL, 'pyrelease-bench');
  const queue = publishQueue(connection, { redisUrl: REDIS_URL, prefix, attempts: 1, backoffMs: 0 });
  const dataDir = await mkdtemp(join(tmpdir(), 'pyrelease-bench-data-'));
  try {
    const t0 = performance.now();
    for (let i = 0; i < JOBS; i++) {
      await enqueuePublish(queue, {
        platform: 'local', repo: 'acme/sample', project: null, tag: 'v1.4.0', sha: sha(i), registries: ['bench'],
        buildTool: 'build', version: '1.4.0', source: { kind: 'archive', path: fx.archive },
      });
    }
    const enqueued = performance.now() - t0;
    const worker = createPublishWorker(connection, { prefix, concurrency, lockDurationMs: 30_000 }, ourDeps(fx, dataDir, connection, prefix), silent, { sources: 'forge-or-local' });
    const finished = drain(worker, JOBS);
    const t1 = performance.now();
    void worker.run();
    await finished;
    const processed = performance.now() - t1;
    await worker.close();
    return { enqueue: JOBS / (enqueued / 1000), process: JOBS / (processed / 1000) };
  } finally {
    await queue.obliterate({ force: true });
    await connection.del(`${prefix}:ledger:bench`);
    await queue.close();
    connection.disconnect();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function roundRaw(concurrency, round) {
  const prefix = `{pyrelease-bench-${process.pid}-raw-${concurrency}-${round}}`;
  const connection = redisConnection(REDIS_URL, 'pyrelease-bench-raw');
  const queue = new Queue('publish', { connection, prefix });
  try {
    const t0 = performance.now();
    for (let i = 0; i < JOBS; i++) await queue.add('publish', { i });
    const enqueued = performance.now() - t0;
    const worker = new Worker('publish', async () => undefined, { connection, prefix, concurrency, autorun: false });
    const finished = drain(worker, JOBS);
    const t1 = performance.now();
    void worker.run();
    await finished;
    const processed = performance.now() - t1;
    await worker.close();
    return { enqueue: JOBS / (enqueued / 1000), process: JOBS / (processed / 1000) };
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

function best(results) {
  return { enqueue: Math.max(...results.map((r) => r.enqueue)), process: Math.max(...results.map((r) => r.process)) };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');

const work = await mkdtemp(join(tmpdir(), 'pyrelease-bench-'));
try {
  const fx = await fixtures(work);
  const rows = [];
  for (const concurrency of CONCURRENCIES) {
    const ours = [];
    const raw = [];
    // Interleaved, so that load from other processes hits both alike.
    for (let round = 0; round < ROUNDS; round++) {
      ours.push(await roundOurs(fx, concurrency, round));
      raw.push(await roundRaw(concurrency, round));
    }
    rows.push({ name: 'pyrelease (enqueuePublish + publish worker, no-op build/lookup/upload)', concurrency, ...best(ours) });
    rows.push({ name: 'raw BullMQ (Queue.add + empty processor)', concurrency, ...best(raw) });
  }
  const redis = redisConnection(REDIS_URL, 'pyrelease-bench-info');
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  redis.disconnect();
  const lines = [
    `${fmt(JOBS)} jobs per round, best of ${ROUNDS}, Redis ${redisVersion} on ${REDIS_URL.replace(/\/\/[^@]*@/, '//')}. ${machineLine()}`,
    '',
    '| queue | concurrency | enqueue jobs/s (awaited one at a time) | processed jobs/s |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.concurrency} | ${fmt(r.enqueue)} | ${fmt(r.process)} |`),
  ];
  console.log(lines.join('\n'));
  await writeBlock('queue', lines.join('\n'));
} finally {
  await rm(work, { recursive: true, force: true });
}
