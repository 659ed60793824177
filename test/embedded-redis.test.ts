import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findRedisServer, redisAnswers, redisCall, startEmbeddedRedis } from '../src/embedded-redis.js';
import type { EmbeddedRedis } from '../src/embedded-redis.js';
import { embeddedRedisDir, resolveRedisUrl } from '../src/redis-url.js';
import { freePort } from './helpers/redis-server.js';

// Real redis-server (Debian's, installed by .ci/run). Every test uses its own data dir
// and aims "the local default" at a closed port, never at the machine's Redis on 6379.
const binary = findRedisServer(process.env);
if (binary === null) throw new Error('these tests need redis-server (apt-get install redis-server)');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pyrelease-embedded-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function track(redis: EmbeddedRedis | null): EmbeddedRedis {
  if (redis === null) throw new Error('expected an embedded Redis');
  cleanups.push(() => redis.stop(2000));
  return redis;
}

function processExists(pid: number): boolean {
  // A zombie still "exists" for kill(0); ps tells a reaped process from a live one.
  try {
    const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return state !== '' && !state.startsWith('Z');
  } catch {
    return false;
  }
}

async function closedUrl(): Promise<string> {
  return `redis://127.0.0.1:${await freePort()}`;
}

describe('resolveRedisUrl', () => {
  it('starts a private redis-server on a loopback port with the AOF in DATA_DIR/redis and records its URL', async () => {
    const dir = await dataDir();
    const r = await resolveRedisUrl({ redisUrl: undefined, dataDir: dir }, { start: true, defaultUrl: await closedUrl(), redisServer: binary });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const redis = track(r.embedded);
    expect(r.source).toBe('embedded');
    expect(r.url).toMatch(/^redis:\/\/:[0-9a-f]{64}@127\.0\.0\.1:\d+$/);
    expect(r.url).not.toBe('redis://127.0.0.1:6379');
    expect((await readFile(join(dir, 'redis', 'url'), 'utf8')).trim()).toBe(r.url);
    const config = await Promise.all(
      ['appendonly', 'appendfsync', 'dir', 'bind', 'maxmemory-policy'].map((k) => redisCall(redis.port, ['CONFIG', 'GET', k], 1000, '127.0.0.1', redis.password)),
    );
    expect(config.map((c) => c?.split('\r\n')[4])).toEqual(['yes', 'everysec', embeddedRedisDir(dir), '127.0.0.1', 'noeviction']);
  });

  it('keeps keys across a stop and a start (append-only file)', async () => {
    const dir = await dataDir();
    const first = track(await startEmbeddedRedis({ binary, dir: join(dir, 'redis') }));
    expect(await redisCall(first.port, ['SET', 'pyrelease:test', 'kept'], 1000, '127.0.0.1', first.password)).toBe('+OK\r\n');
    await first.stop();
    expect(await redisAnswers(first.port)).toBe(false);
    const second = track(await startEmbeddedRedis({ binary, dir: join(dir, 'redis') }));
    expect(await redisCall(second.port, ['GET', 'pyrelease:test'], 1000, '127.0.0.1', second.password)).toBe('$4\r\nkept\r\n');
  });

  it('stops on close: the process is gone, its URL file removed, and the commands fall back', async () => {
    const dir = await dataDir();
    const defaultUrl = await closedUrl();
    const r = await resolveRedisUrl({ redisUrl: undefined, dataDir: dir }, { start: true, defaultUrl, redisServer: binary });
    if (!r.ok || r.embedded === null) throw new Error('not started');
    const { pid, port } = r.embedded;
    // What `pyrelease jobs` and `pyrelease worker` see while serve runs:
    const seen = await resolveRedisUrl({ redisUrl: undefined, dataDir: dir }, { defaultUrl });
    expect(seen).toEqual({ ok: true, url: r.url, embedded: null, source: 'url-file' });
    expect(processExists(pid)).toBe(true);
    await r.embedded.stop();
    await r.embedded.stop();
    expect(processExists(pid)).toBe(false);
    expect(await redisAnswers(port)).toBe(false);
    expect(existsSync(join(dir, 'redis', 'url'))).toBe(false);
    expect(await resolveRedisUrl({ redisUrl: undefined, dataDir: dir }, { defaultUrl })).toEqual({ ok: true, url: defaultUrl, embedded: null, source: 'default' });
  });

  it('reports a death: died settles when redis-server is killed, not when stopped', async () => {
    const dir = await dataDir();
    const redis = track(await startEmbeddedRedis({ binary, dir }));
    process.kill(redis.pid, 'SIGKILL');
    const exit = await redis.died;
    expect(exit.signal).toBe('SIGKILL');
    const other = track(await startEmbeddedRedis({ binary, dir }));
    await other.stop();
    const outcome = await Promise.race([other.died.then(() => 'died'), new Promise((r) => setTimeout(() => r('quiet'), 300))]);
    expect(outcome).toBe('quiet');
  });

  it('refuses with one message saying how to get Redis when no binary is found', async () => {
    const dir = await dataDir();
    const r = await resolveRedisUrl({ redisUrl: undefined, dataDir: dir }, { start: true, defaultUrl: await closedUrl(), redisServer: null });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toContain('apt-get install redis-server');
    expect(r.reason).toContain('REDIS_URL=');
    expect(existsSync(join(dir, 'redis', 'url'))).toBe(false);
  });

  it('finds no binary on an empty PATH only when none is in the sbin fallbacks either', () => {
    const found = findRedisServer({ PATH: '' });
    expect(found === null || found.endsWith('/redis-server')).toBe(true);
    expect(findRedisServer({ PATH: join(tmpdir(), 'nowhere') })).toBe(found);
  });

  it.each([
    ['serve, REDIS_URL set with nothing there', 'redis://127.0.0.1:1/0' as string | undefined, true],
    ['worker or jobs, REDIS_URL set', 'redis://127.0.0.1:1/0' as string | undefined, false],
    ['worker or jobs, REDIS_URL unset and nothing answers', undefined, false],
  ])('never starts one for %s', async (_name, redisUrl, start) => {
    const dir = await dataDir();
    const defaultUrl = await closedUrl();
    const r = await resolveRedisUrl({ redisUrl, dataDir: dir }, { start, defaultUrl, redisServer: binary });
    expect(r).toEqual({ ok: true, url: redisUrl ?? defaultUrl, embedded: null, source: redisUrl === undefined ? 'default' : 'env' });
    expect(existsSync(join(dir, 'redis'))).toBe(false);
  });

  it('uses a Redis answering at the default address instead of starting one', async () => {
    const dir = await dataDir();
    const other = track(await startEmbeddedRedis({ binary, dir: join(dir, 'elsewhere') }));
    const r = await resolveRedisUrl({ redisUrl: undefined, dataDir: dir }, { start: true, defaultUrl: other.url, redisServer: binary });
    expect(r).toEqual({ ok: true, url: other.url, embedded: null, source: 'default' });
    expect(existsSync(join(dir, 'redis', 'url'))).toBe(false);
  });

  it('stops an orphan left by a killed pyrelease (owner gone) and starts one it owns, keeping the data', async () => {
    const dir = await dataDir();
    const redisDir = embeddedRedisDir(dir);
    const orphan = track(await startEmbeddedRedis({ binary, dir: redisDir }));
    await redisCall(orphan.port, ['SET', 'k', 'v'], 1000, '127.0.0.1', orphan.password);
    await writeFile(join(redisDir, 'url'), `${orphan.url}\n`);
    await writeFile(join(redisDir, 'owner'), '999999999\n');
    const r = await resolveRedisUrl({ redisUrl: undefined, dataDir: dir }, { start: true, defaultUrl: await closedUrl(), redisServer: binary });
    if (!r.ok || r.embedded === null) throw new Error('not started');
    track(r.embedded);
    expect(r.url).not.toBe(orphan.url);
    expect(processExists(orphan.pid)).toBe(false);
    expect(await redisCall(r.embedded.port, ['GET', 'k'], 1000, '127.0.0.1', r.embedded.password)).toBe('$1\r\nv\r\n');
  });

  it('never shuts down a Redis of another dir that took a stale URL file\'s port', async () => {
    const dir = await dataDir();
    const stranger = track(await startEmbeddedRedis({ binary, dir: join(dir, 'stranger') }));
    const redisDir = embeddedRedisDir(dir);
    await startEmbeddedRedis({ binary, dir: redisDir }).then((r) => r.stop());
    await writeFile(join(redisDir, 'url'), `${stranger.url}\n`);
    await writeFile(join(redisDir, 'owner'), '999999999\n');
    const r = await resolveRedisUrl({ redisUrl: undefined, dataDir: dir }, { start: true, defaultUrl: await closedUrl(), redisServer: binary });
    if (r.ok && r.embedded !== null) track(r.embedded);
    expect(await redisAnswers(stranger.port)).toBe(true);
  });
});

// The wiring of `pyrelease serve` and `pyrelease jobs`, end to end, in a network namespace
// of its own: there nothing answers on 127.0.0.1:6379, as on a fresh machine, while the
// machine's Redis stays untouched. Needs the built dist/ (npm test builds it) and
// unprivileged user namespaces with iproute2's ip.
const netnsWorks = (() => {
  try {
    execFileSync('unshare', ['-rn', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!netnsWorks)('pyrelease serve with no Redis around', () => {
  const script = `
    ip link set lo up
    node bin/pyrelease.js serve > "$D/serve.log" 2>&1 & S=$!
    for i in $(seq 1 100); do [ -f "$D/data/redis/url" ] && break; sleep 0.1; done
    for i in $(seq 1 100); do grep -q 'pyrelease is listening' "$D/serve.log" && break; sleep 0.1; done
    node bin/pyrelease.js jobs > "$D/jobs.out" 2>&1; echo "jobs=$?"
    R=$(sed -n 's/.*"pid":\\([0-9]*\\).*started an embedded Redis.*/\\1/p' "$D/serve.log")
    if [ "$MODE" = kill-redis ]; then kill -KILL "$R"; else kill -TERM $S; fi
    wait $S; echo "serve=$?"
  `;

  it.each([
    ['SIGTERM: stops its Redis and exits 0', 'sigterm', 0],
    ['its Redis dies: logs it and exits non-zero', 'kill-redis', 1],
  ])('%s', async (_name, mode, status) => {
    const dir = await dataDir();
    const out = execFileSync('unshare', ['-rn', 'sh', '-c', script], {
      cwd: join(import.meta.dirname, '..'),
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, D: dir, MODE: mode, PYRELEASE_DATA_DIR: join(dir, 'data'), PORT: '0', LOG_LEVEL: 'info', PYRELEASE_SWEEP_INTERVAL_MS: '0', REDIS_URL: '' },
    });
    const log = await readFile(join(dir, 'serve.log'), 'utf8');
    const started = log.split('\n').filter((l) => l.includes('started an embedded Redis')).map((l) => JSON.parse(l) as { pid: number; redis: string });
    expect(started).toHaveLength(1);
    expect(out).toContain('jobs=0');
    expect(await readFile(join(dir, 'jobs.out'), 'utf8')).toBe('no jobs\n');
    expect(out).toContain(`serve=${status}`);
    if (mode === 'kill-redis') expect(log).toContain('the embedded Redis died');
    expect(processExists(started[0]?.pid ?? 0)).toBe(false);
    // Its record goes with it, so jobs and worker do not chase a dead port.
    expect(existsSync(join(dir, 'data', 'redis', 'url'))).toBe(false);
  }, 60_000);
});
