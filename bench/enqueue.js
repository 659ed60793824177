// What a webhook's durable write costs, the way the web process makes it, next to the way
// it was made before the event inbox: pushEvent (one script: SET NX on the delivery id +
// XADD to the inbox stream) against BullMQ's Queue.add with the job id plus a SET NX
// (the former enqueueEvent), both from dist/ on an auto-pipelined connection of their own,
// as src/main.ts opens it. Per call: the calling process's CPU, the wall time (with one in
// flight, a round trip), and Redis's own CPU (INFO cpu before and after).
//
// Then what PYRELEASE_REDIS_WAIT_REPLICAS=1 adds: pushEvent alone and pushEvent + WAIT 1,
// on a private primary with one replica that the bench starts (AOF every second, as
// docker-compose.yml runs Redis), the two interleaved.
//
//   npm run build && node bench/enqueue.js [--calls N] [--rounds N] [--replica-calls N] [--no-write]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const connection = (name, url = REDIS_URL) => new Redis(url, { maxRetriesPerRequest: 1, enableAutoPipelining: true, connectionName: name });

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a redis-server and adds it to `children` at once, so that a caller's clean-up
 * stops it even when it never became ready; rejects, with its output, if it is not ready
 * within 10 s or exits first.
 */
function startRedisServer(args, children) {
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server ${args.join(' ')} was not ready within 10 s:\n${out}`)), 10_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${out}`));
    });
  });
}

/**
 * A private primary and its replica, each in a temporary dir, the replica in sync when this
 * resolves. `close()` stops both and removes the dirs.
 */
export async function startReplicatedRedis() {
  const dirs = [await mkdtemp(join(tmpdir(), 'bench-primary-')), await mkdtemp(join(tmpdir(), 'bench-replica-'))];
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const children = [];
  const close = async () => {
    // SIGKILL after 5 s: a primary may wait up to its shutdown-timeout (10 s) for a replica.
    const stop = (c) =>
      new Promise((r) => {
        const kill = setTimeout(() => c.kill('SIGKILL'), 5000);
        c.once('exit', () => {
          clearTimeout(kill);
          r();
        });
        c.kill('SIGTERM');
      });
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? stop(c) : null)));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  };
  try {
    await startRedisServer(['--port', String(primaryPort), '--dir', dirs[0]], children);
    await startRedisServer(['--port', String(replicaPort), '--dir', dirs[1], '--replicaof', '127.0.0.1', String(primaryPort)], children);
    // One try per command: a replica that stopped answering fails the loop below, not hangs it.
    const replica = new Redis(replicaPort, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      for (let i = 0; !/master_link_status:up/.test(await replica.info('replication')); i++) {
        if (i > 100) throw new Error('the replica did not sync within 10 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      replica.disconnect();
    }
    return { url: `redis://127.0.0.1:${primaryPort}`, replicaUrl: `redis://127.0.0.1:${replicaPort}`, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** pushEvent as the web process makes it without and with PYRELEASE_REDIS_WAIT_REPLICAS=1, on the primary at `url`. */
async function replicaWays(url) {
  const { pushEvent, replicaAck } = await import('../dist/jobs/event-inbox.js');
  const way = (id, label, replicas) => ({
    id,
    label,
    open: (prefix) => {
      const redis = connection(`bench-enqueue-${id}`, url);
      const ack = replicaAck({ redisWaitReplicas: replicas });
      return { write: (i) => pushEvent(redis, prefix, eventFor(i), ack), close: async () => redis.disconnect() };
    },
  });
  return [way('primary', 'pushEvent (PYRELEASE_REDIS_WAIT_REPLICAS=0)', 0), way('replica-wait', 'pushEvent + WAIT 1 (PYRELEASE_REDIS_WAIT_REPLICAS=1)', 1)];
}

/** Each way at 1 and 50 in flight, interleaved over `rounds`, the best round (by client CPU) of each. */
async function compare(all, { calls, rounds, probe }) {
  const rows = [];
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
  return rows;
}

const tableRows = (rows) => [
  '| write | in flight | client CPU µs/call | wall µs/call | Redis CPU µs/call |',
  '|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.way.label} | ${r.inFlight} | ${r.clientCpuUs.toFixed(1)} | ${r.wallUs.toFixed(1)} | ${r.redisCpuUs.toFixed(1)} |`),
];

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
  const { values } = parseArgs({
    options: { calls: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' }, 'replica-calls': { type: 'string', default: '2000' }, 'no-write': { type: 'boolean', default: false } },
  });
  const calls = Number(values.calls);
  const replicaCalls = Number(values['replica-calls']);
  const rounds = Number(values.rounds);
  const probe = new Redis(REDIS_URL, { connectionName: 'bench-enqueue-probe' });
  const redisVersion = /redis_version:(\S+)/.exec(await probe.info('server'))?.[1] ?? 'unknown';
  let rows;
  try {
    rows = await compare(await ways(), { calls, rounds, probe });
  } finally {
    probe.disconnect();
  }
  // The replica's cost, on a pair of its own: Redis CPU is the primary's.
  const pair = await startReplicatedRedis();
  const pairProbe = new Redis(pair.url, { connectionName: 'bench-enqueue-pair-probe' });
  let replicaRows;
  try {
    replicaRows = await compare(await replicaWays(pair.url), { calls: replicaCalls, rounds, probe: pairProbe });
  } finally {
    pairProbe.disconnect();
    await pair.close();
  }
  const table = [
    `${calls.toLocaleString('en-US')} calls per round, best of ${rounds} (by client CPU), the two ways interleaved, Redis ${redisVersion} on ${REDIS_URL}. ${machineLine()}`,
    '',
    ...tableRows(rows),
    '',
    `The replica wait: ${replicaCalls.toLocaleString('en-US')} calls per round, best of ${rounds}, on a private redis-server ${redisVersion} primary with one replica (both on 127.0.0.1, AOF every second), the two interleaved; Redis CPU is the primary's.`,
    '',
    ...tableRows(replicaRows),
  ].join('\n');
  console.log(table);
  await writeBlock('enqueue', table);
  process.exit(0);
}

if (process.argv[1] === new URL(import.meta.url).pathname) await main();
