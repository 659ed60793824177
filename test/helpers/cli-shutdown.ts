import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPrivateRedis } from './redis-server.js';
import type { PrivateRedis } from './redis-server.js';
import { spawnCli } from './worker-process.js';
import type { CliProcess } from './worker-process.js';

/** What a shutdown test undoes afterwards, last first. */
export type Cleanups = Array<() => Promise<unknown>>;

export async function runCleanups(cleanups: Cleanups): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

/** A private Redis (its own port and dir: these tests stop it) and a data dir, both removed afterwards. */
export async function privateSetup(cleanups: Cleanups): Promise<{ redis: PrivateRedis; env: Record<string, string> }> {
  const redis = await startPrivateRedis();
  const dataDir = await mkdtemp(join(tmpdir(), 'pyrelease-shutdown-'));
  cleanups.push(() => redis.close(), () => rm(dataDir, { recursive: true, force: true }));
  return { redis, env: { REDIS_URL: redis.url, PYRELEASE_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' } };
}

/** `pyrelease <args>` as a child, killed afterwards if the test left it running. */
export function startedCli(cleanups: Cleanups, args: string[], env: Record<string, string>): CliProcess {
  const proc = spawnCli(args, env);
  cleanups.push(async () => {
    proc.kill('SIGKILL');
    await proc.exited;
  });
  return proc;
}

/** Its exit code, or 'alive' when it has not exited within `ms`. */
export async function exitWithin(proc: CliProcess, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([proc.exited, new Promise<string>((r) => (timer = setTimeout(() => r('alive'), ms)))]).finally(() => clearTimeout(timer));
}

/** Sends `signal`, then: milliseconds until the exit, and the exit code (or 'alive' past `limitMs`). */
export async function timedStop(proc: CliProcess, signal: NodeJS.Signals, limitMs: number): Promise<{ ms: number; code: number | string }> {
  const sent = performance.now();
  proc.kill(signal);
  const code = await exitWithin(proc, limitMs);
  return { ms: performance.now() - sent, code };
}
