// The embedded Redis (`npm start` with no REDIS_URL) is the one a build reached on
// loopback to write a forged job (issue 14). It must refuse every client without its
// generated password, keep that password out of `ps`, the logs and other users' reach,
// and still be found by `pyrelease worker` and `pyrelease jobs`. Real redis-server.
import type * as ChildProcess from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findRedisServer, redisCall, startEmbeddedRedis } from '../src/embedded-redis.js';
import type { EmbeddedRedis } from '../src/embedded-redis.js';
import { embeddedRedisDir, resolveRedisUrl } from '../src/redis-url.js';
import { freePort } from './helpers/redis-server.js';

// Every argv given to spawn: redis-server rewrites its process title once it runs, so
// /proc/<pid>/cmdline read afterwards would hide a password passed as an argument (which
// `ps` shows to every user until then).
const spawned = vi.hoisted(() => [] as string[][]);
vi.mock('node:child_process', async (importOriginal) => {
  const original = await importOriginal<typeof ChildProcess>();
  const spawn = ((command: string, args: readonly string[], ...rest: unknown[]) => {
    spawned.push([command, ...args]);
    return (original.spawn as (...a: unknown[]) => unknown)(command, args, ...rest);
  }) as typeof original.spawn;
  return { ...original, spawn };
});

const binary = findRedisServer(process.env);
if (binary === null) throw new Error('these tests need redis-server (apt-get install redis-server)');

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pyrelease-embedded-auth-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function started(dir: string): Promise<EmbeddedRedis> {
  const redis = await startEmbeddedRedis({ binary: binary ?? '', dir });
  cleanups.push(() => redis.stop(2000));
  return redis;
}

const modeOf = async (path: string): Promise<string> => ((await stat(path)).mode & 0o777).toString(8);

describe('the embedded Redis asks for a password', () => {
  it('refuses TCP clients without it, or with another, before any command (the forged job cannot be written)', async () => {
    const redis = await started(join(await dataDir(), 'redis'));
    expect(redis.password).toMatch(/^[0-9a-f]{64}$/);
    // What the attacking setup.py did: connect to the port and write a job.
    for (const args of [['PING'], ['HSET', 'bull:publish:1', 'data', '{}'], ['LPUSH', 'bull:publish:wait', '1'], ['CONFIG', 'GET', 'requirepass']]) {
      expect(await redisCall(redis.port, args)).toMatch(/^-NOAUTH /);
    }
    expect(await redisCall(redis.port, ['PING'], 1000, '127.0.0.1', 'not-the-password')).toMatch(/^-WRONGPASS /);
    expect(await redisCall(redis.port, ['PING'], 1000, '127.0.0.1', redis.password)).toBe('+PONG\r\n');

    // The way any Node client would: BullMQ on ioredis, with and without the password.
    const anonymous = new Redis(`redis://127.0.0.1:${redis.port}`, { maxRetriesPerRequest: null, lazyConnect: true });
    anonymous.on('error', () => undefined);
    cleanups.push(async () => anonymous.disconnect());
    const queue = new Queue('publish', { connection: anonymous, prefix: '{forged}' });
    queue.on('error', () => undefined);
    cleanups.push(() => Promise.race([queue.close(), new Promise((r) => setTimeout(r, 1000))]));
    // ioredis's ready check meets NOAUTH and closes the connection: the add fails.
    await expect(queue.add('publish', { platform: 'local' })).rejects.toThrow();
    const client = new Redis(redis.url, { lazyConnect: true });
    cleanups.push(async () => client.disconnect());
    expect(await client.ping()).toBe('PONG');
    expect(await client.keys('*')).toEqual([]);
  });

  it('keeps the password off its command line, which every user of the machine can read', async () => {
    spawned.length = 0;
    const redis = await started(join(await dataDir(), 'redis'));
    expect(spawned.map((argv) => argv[0])).toEqual([binary]);
    expect(spawned.flat().join(' ')).not.toContain(redis.password);
    expect((await readFile(`/proc/${redis.pid}/cmdline`, 'utf8')).split('\0').join(' ')).not.toContain(redis.password);
  });

  it('makes its dir 0700 even when the dir was there, readable, before', async () => {
    const dir = join(await dataDir(), 'redis');
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    await started(dir);
    expect(await modeOf(dir)).toBe('700');
  });
});

describe('what `pyrelease serve` records for `worker` and `jobs`', () => {
  it('is a 0600 file that holds the password, the only way the other commands find it; no log line carries it', async () => {
    const dir = await dataDir();
    const redisDir = embeddedRedisDir(dir);
    await mkdir(redisDir, { recursive: true });
    // A leftover of a crash between write and rename, readable by all: never reused as is.
    await writeFile(join(redisDir, 'url.tmp'), 'stale\n', { mode: 0o644 });
    await chmod(join(redisDir, 'url.tmp'), 0o644);
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const defaultUrl = `redis://127.0.0.1:${await freePort()}`;
    const r = await resolveRedisUrl({ redisUrl: undefined, dataDir: dir }, { start: true, defaultUrl, redisServer: binary, log });
    if (!r.ok || r.embedded === null) throw new Error('not started');
    const embedded = r.embedded;
    cleanups.push(() => embedded.stop(2000));

    expect(await modeOf(join(redisDir, 'url'))).toBe('600');
    expect(await modeOf(join(redisDir, 'owner'))).toBe('600');
    expect((await readFile(join(redisDir, 'url'), 'utf8')).trim()).toBe(embedded.url);
    // `pyrelease worker` / `jobs` on the same data dir: they find it through the file.
    const seen = await resolveRedisUrl({ redisUrl: undefined, dataDir: dir }, { defaultUrl, log });
    expect(seen).toMatchObject({ ok: true, url: embedded.url, source: 'url-file' });
    // A pyrelease that was SIGKILLed: the next serve authenticates to stop the orphan.
    await writeFile(join(redisDir, 'owner'), '999999999\n');
    const next = await resolveRedisUrl({ redisUrl: undefined, dataDir: dir }, { start: true, defaultUrl, redisServer: binary, log });
    if (!next.ok || next.embedded === null) throw new Error('not restarted');
    const restarted = next.embedded;
    cleanups.push(() => restarted.stop(2000));
    expect(restarted.password).not.toBe(embedded.password);
    expect(await redisCall(embedded.port, ['PING'])).toBeNull();

    const logged = lines.join('\n');
    expect(logged).toContain('started an embedded Redis');
    expect(logged).toContain('stopping an embedded Redis left running');
    for (const secret of [embedded.password, restarted.password]) expect(logged).not.toContain(secret);
  });
});
