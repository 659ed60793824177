import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from './config.js';
import { findRedisServer, redisAnswers, redisCall, startEmbeddedRedis } from './embedded-redis.js';
import type { EmbeddedRedis } from './embedded-redis.js';
import { DEFAULT_REDIS_URL, hostAndPort, redactRedisUrl } from './redis-client.js';
import type { Logger } from './logger.js';

/**
 * The one place that decides which Redis a command talks to:
 *   1. REDIS_URL, when set: used as is, nothing is ever started;
 *   2. PYRELEASE_DATA_DIR/redis/url, when the embedded Redis it names answers;
 *   3. 127.0.0.1:6379, when something answers there;
 *   4. `serve` only (start: true): a private redis-server, whose URL goes to that file.
 * Commands that do not start one (worker, jobs) fall back to 127.0.0.1:6379.
 * The embedded Redis's URL holds its password: the file is 0600 in a 0700 dir, readable
 * only by the user that runs pyrelease, and log lines carry the URL without it.
 */
export type RedisResolution =
  | { readonly ok: true; readonly url: string; readonly embedded: EmbeddedRedis | null; readonly source: 'env' | 'url-file' | 'default' | 'embedded' }
  | { readonly ok: false; readonly reason: string };

export interface ResolveRedisOptions {
  /** Start an embedded redis-server when nothing answers (pyrelease serve). */
  readonly start?: boolean;
  /** The redis-server binary; undefined: looked up on PATH; null: there is none. */
  readonly redisServer?: string | null;
  /** Where "the local default" is; tests aim it at a closed port. */
  readonly defaultUrl?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly log?: Logger;
}

export const REDIS_MISSING_MESSAGE = (dataDir: string): string =>
  `pyrelease: no Redis: REDIS_URL is not set, nothing answers on 127.0.0.1:6379, and no redis-server binary was found to start one in ${dataDir}.
Either install Redis (Debian/Ubuntu: apt-get install redis-server; pyrelease then starts a private one by itself),
or point pyrelease at a running Redis: REDIS_URL=redis://host:6379 npx pyrelease serve
`;

export function embeddedRedisDir(dataDir: string): string {
  return join(resolve(dataDir), 'redis');
}

const urlFile = (dir: string): string => join(dir, 'url');
const ownerFile = (dir: string): string => join(dir, 'owner');

/** Host, port and password of a redis:// URL; null for a malformed one. */
function endpoint(url: string): { host: string; port: number; password: string | undefined } | null {
  const at = hostAndPort(url);
  if (at === null) return null;
  const password = decodeURIComponent(new URL(url).password);
  return { ...at, password: password === '' ? undefined : password };
}

async function answers(url: string): Promise<boolean> {
  const at = endpoint(url);
  if (at === null) return false;
  // With a password it must also be accepted: a recorded Redis that is gone, whose port
  // another Redis took meanwhile, is not the one recorded.
  if (at.password !== undefined) return (await redisCall(at.port, ['PING'], 1000, at.host, at.password)) === '+PONG\r\n';
  return redisAnswers(at.port, at.host);
}

async function readText(path: string): Promise<string | null> {
  return readFile(path, 'utf8').then((t) => t.trim(), () => null);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Readable by this user only (the URL holds the password), and never half-written. */
async function writePrivately(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  // writeFile's mode applies only to a file it creates: a leftover could be readable.
  await rm(tmp, { force: true });
  await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
  await rename(tmp, path);
}

export async function resolveRedisUrl(config: Pick<Config, 'redisUrl' | 'dataDir'>, options: ResolveRedisOptions = {}): Promise<RedisResolution> {
  if (config.redisUrl !== undefined) return { ok: true, url: config.redisUrl, embedded: null, source: 'env' };
  const dir = embeddedRedisDir(config.dataDir);
  const recorded = await readText(urlFile(dir));
  const at = recorded === null ? null : endpoint(recorded);
  if (recorded !== null && at !== null && (await answers(recorded))) {
    const owner = Number(await readText(ownerFile(dir)));
    if (!options.start || (Number.isInteger(owner) && owner !== process.pid && alive(owner))) {
      options.log?.info({ redis: redactRedisUrl(recorded) }, 'using the embedded Redis of this data directory');
      return { ok: true, url: recorded, embedded: null, source: 'url-file' };
    }
    // Its pyrelease is gone (killed with SIGKILL): stop the orphan if it really is ours
    // (same dir; the port may since belong to another Redis) and start one we own.
    const reply = await redisCall(at.port, ['CONFIG', 'GET', 'dir'], 1000, at.host, at.password);
    if (reply?.includes(`\r\n${dir}\r\n`) === true) {
      options.log?.warn({ redis: redactRedisUrl(recorded) }, 'stopping an embedded Redis left running by an earlier pyrelease');
      await redisCall(at.port, ['SHUTDOWN'], 5000, at.host, at.password);
    }
  }
  const defaultUrl = options.defaultUrl ?? DEFAULT_REDIS_URL;
  if (await answers(defaultUrl)) return { ok: true, url: defaultUrl, embedded: null, source: 'default' };
  if (!options.start) return { ok: true, url: defaultUrl, embedded: null, source: 'default' };

  const binary = options.redisServer === undefined ? findRedisServer(options.env ?? process.env) : options.redisServer;
  if (binary === null) return { ok: false, reason: REDIS_MISSING_MESSAGE(config.dataDir) };
  let started: EmbeddedRedis;
  try {
    started = await startEmbeddedRedis({ binary, dir });
  } catch (error) {
    return { ok: false, reason: `pyrelease: cannot start the embedded Redis (${binary}) in ${dir}: ${(error as Error).message}\nSet REDIS_URL to use another Redis.\n` };
  }
  await writePrivately(ownerFile(dir), `${process.pid}\n`);
  await writePrivately(urlFile(dir), `${started.url}\n`);
  options.log?.info({ redis: redactRedisUrl(started.url), dir, pid: started.pid, auth: 'password' }, 'started an embedded Redis (REDIS_URL unset, nothing on 127.0.0.1:6379)');
  const embedded: EmbeddedRedis = {
    ...started,
    stop: async (timeoutMs) => {
      await started.stop(timeoutMs);
      // Only our own record: a later pyrelease may have written its own meanwhile.
      if ((await readText(urlFile(dir))) === started.url) {
        await rm(urlFile(dir), { force: true });
        await rm(ownerFile(dir), { force: true });
      }
    },
  };
  return { ok: true, url: started.url, embedded, source: 'embedded' };
}
