// What a webhook's durable write costs, the way the web process makes it, next to the way
// it was made before the event inbox: pushEvent (one script: SET NX on the delivery id +
// XADD to the inbox stream) against BullMQ's Queue.add with the job id plus a SET NX
// (the former enqueueEvent), both from dist/ on an auto-pipelined connection of their own,
// as src/main.ts opens it. Per call: the calling process's CPU, the wall time (with one in
// flight, a round trip), and Redis's own CPU (INFO cpu before and after).
//
//   npm run build && node bench/enqueue.js [--calls N] [--rounds N] [--no-write]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { deleteKeys } from './tag-to-upload.js';
import { machineLine, writeBlock } from './readme-section.js';

const REDIS_URL = process.env.PYRELEASE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A distinct tag-push event per call, as the mapper makes it. */
export function eventFor(i) {
  return {
    kind: 'tag-pushed',
    repo: { platform: 'gitlab', id: '42', path: 'acme/sample', defaultBranch: 'main' },
    tag: `v1.0.${i}`,
    sha: 'a'.repeat(40),
    protected: true,
    meta: { deliveryId: `bench-${i}`, installationId: null },
  };
}

/** Redis's own CPU time so far, in microseconds (INFO cpu: used_cpu_sys + used_cpu_user, seconds). */
export function redisCpuMicros(info) {
  const field = (name) => {
    const match = new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info);
    if (match === null) throw new Error(`INFO cpu has no ${name}`);
    return Number(match[1]);
  };
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1e6;
}

/** `calls` writes with `inFlight` at a time; returns µs per call of client CPU, wall and Redis CPU. */
export async function measure(write, { calls, inFlight, probe }) {
  let next = 0;
  const redis0 = redisCpuMicros(await probe.info('cpu'));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < calls) await write(next++);
    }),
  );
  const wallUs = (performance.now() - t0) * 1000;
  const cpu = process.cpuUsage(cpu0);
  const redisUs = redisCpuMicros(await probe.info('cpu')) - redis0;
  return { clientCpuUs: (cpu.user + cpu.system) / calls, wallUs: wallUs / calls, redisCpuUs: redisUs / calls };
}

const connection = (name) => new Redis(REDIS_URL, { maxRetriesPerRequest: 1, enableAutoPipelining: true, connectionName: name });

/** The two ways, each on a fresh key prefix and a connection of its own. */
async function ways() {
  const { pushEvent } = await import('../dist/jobs/event-inbox.js');
  const { eventQueue } = await import('../dist/jobs/event-queue.js');
  const { eventJobId } = await import('../dist/jobs/event-job.js');
  return [
    {
      id: 'inbox',
      label: 'pushEvent: SET NX + XADD in one script (since 920c249)',
      open: (prefix) => {
        const redis = connection('bench-enqueue-inbox');
        return { write: (i) => pushEvent(redis, prefix, eventFor(i)), close: async () => redis.disconnect() };
      },
    },
    {
      id: 'bullmq',
      label: 'BullMQ Queue.add with the job id + SET NX (before)',
      open: (prefix) => {
        const redis = connection('bench-enqueue-bullmq');
        const queue = eventQueue(redis, { prefix, attempts: 3, backoffMs: 1000 });
        return {
          write: async (i) => {
            const event = eventFor(i);
            const jobId = eventJobId(event);
            await Promise.all([redis.set(`${prefix}:delivery:${jobId}`, '1', 'EX', 604800, 'NX'), queue.add(event.kind, { event }, { jobId })]);
          },
          close: async () => {
            await queue.close();
            redis.disconnect();
          },
        };
      },
    },
  ];
}

async function main() {
  const { values } = parseArgs({ options: { calls: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' }, 'no-write': { type: 'boolean', default: false } } });
  const calls = Number(values.calls);
  const rounds = Number(values.rounds);
  const probe = new Redis(REDIS_URL, { connectionName: 'bench-enqueue-probe' });
  const redisVersion = /redis_version:(\S+)/.exec(await probe.info('server'))?.[1] ?? 'unknown';
  const all = await ways();
  const rows = [];
  try {
    for (const inFlight of [1, 50]) {
      const results = new Map(all.map((w) => [w.id, []]));
      // Interleaved, so that load from elsewhere hits both ways alike; the best round is kept.
      for (let round = 0; round < rounds; round++) {
        for (const way of all) {
          const prefix = `{bench-enqueue-${randomBytes(4).toString('hex')}}`;
          const opened = way.open(prefix);
          try {
            for (let i = 0; i < 200; i++) await opened.write(calls + i); // warm-up, other ids
            results.get(way.id).push(await measure(opened.write, { calls, inFlight, probe }));
          } finally {
            await opened.close();
            await deleteKeys(probe, prefix);
          }
        }
      }
      for (const way of all) {
        const best = results.get(way.id).sort((a, b) => a.clientCpuUs - b.clientCpuUs)[0];
        rows.push({ way, inFlight, ...best });
        console.error(`${way.id} x${inFlight}: client CPU ${best.clientCpuUs.toFixed(1)} µs, wall ${best.wallUs.toFixed(1)} µs, Redis CPU ${best.redisCpuUs.toFixed(1)} µs per call`);
      }
    }
  } finally {
    probe.disconnect();
  }
  const table = [
    `${calls.toLocaleString('en-US')} calls per round, best of ${rounds} (by client CPU), the two ways interleaved, Redis ${redisVersion} on ${REDIS_URL}. ${machineLine()}`,
    '',
    '| write | in flight | client CPU µs/call | wall µs/call | Redis CPU µs/call |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.way.label} | ${r.inFlight} | ${r.clientCpuUs.toFixed(1)} | ${r.wallUs.toFixed(1)} | ${r.redisCpuUs.toFixed(1)} |`),
  ].join('\n');
  console.log(table);
  await writeBlock('enqueue', table);
  process.exit(0);
}

if (process.argv[1] === new URL(import.meta.url).pathname) await main();
