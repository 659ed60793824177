import { Cluster, Redis } from 'ioredis';
import { hashTag } from './config.js';
import type { Config } from './config.js';

/** Where a command looks when REDIS_URL is unset (redis-url.ts may find another). */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * A connection to Redis: one server, or a Redis Cluster. Both take the same commands, and
 * BullMQ takes either. Everything pyrelease writes shares the key prefix's hash tag, so on a
 * cluster every command and script of one deployment goes to one slot (config.ts refuses a
 * cluster with a prefix that has none).
 */
export type RedisClient = Redis | Cluster;

/** Where Redis is: REDIS_URL, and whether it names a node of a Redis Cluster (PYRELEASE_REDIS_CLUSTER). */
export interface RedisTarget {
  readonly url: string;
  readonly cluster: boolean;
}

export function redisTarget(config: Pick<Config, 'redisUrl' | 'redisCluster'>): RedisTarget {
  return { url: config.redisUrl ?? DEFAULT_REDIS_URL, cluster: config.redisCluster };
}

/** What pyrelease sets on its connections: the same names as ioredis's options. */
export interface ConnectionOptions {
  readonly connectionName: string;
  /** null: a command waits through a reconnect (BullMQ's blocking connections need that). */
  readonly maxRetriesPerRequest: number | null;
  readonly enableOfflineQueue?: boolean;
  readonly enableAutoPipelining?: boolean;
  readonly enableReadyCheck?: boolean;
  readonly connectTimeout?: number;
}

/** Opens a connection to the target: on a cluster the options of each node and of the cluster client. */
export function openRedis(target: RedisTarget, options: ConnectionOptions): RedisClient {
  return target.cluster ? new Cluster([seedNode(target.url)], clusterOptions(target.url, options)) : new Redis(target.url, { ...options });
}

/**
 * A connection that fails fast: a command while Redis is away is refused at once (a
 * webhook gets a 503 and the forge retries) instead of waiting in an offline queue.
 * Its errors are left to the owner's answers (503, /readyz), not logged per reconnect.
 */
export function openFailFast(target: RedisTarget, connectionName: string, extra: Pick<ConnectionOptions, 'enableAutoPipelining'> = {}): RedisClient {
  const redis = openRedis(target, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, connectionName, ...extra });
  redis.on('error', () => undefined);
  return redis;
}

/** Host and port of a redis:// or rediss:// URL (Redis's defaults where it names none); null for a malformed one. */
export function hostAndPort(url: string): { host: string; port: number } | null {
  try {
    const u = new URL(url);
    return { host: u.hostname === '' ? '127.0.0.1' : u.hostname.replace(/^\[|\]$/g, ''), port: u.port === '' ? 6379 : Number(u.port) };
  } catch {
    return null;
  }
}

/** The URL without its credentials, for log lines: `redis://:PASSWORD@host:port` -> `redis://host:port`. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
}

function seedNode(url: string): { host: string; port: number } {
  const at = hostAndPort(url);
  // config.ts has validated REDIS_URL as a URL.
  if (at === null) throw new Error('REDIS_URL is not a URL');
  return at;
}

/**
 * The seed URL names one node; the others are learned from CLUSTER SLOTS, so the
 * credentials and TLS of the URL must go to every node (redisOptions). The offline queue,
 * auto-pipelining and the ready check are the cluster client's own settings.
 */
export function clusterOptions(url: string, options: ConnectionOptions) {
  const u = new URL(url);
  const tls = u.protocol === 'rediss:';
  const { enableOfflineQueue, enableAutoPipelining, enableReadyCheck, ...perNode } = options;
  return {
    redisOptions: {
      ...perNode,
      ...(u.username === '' ? {} : { username: decodeURIComponent(u.username) }),
      ...(u.password === '' ? {} : { password: decodeURIComponent(u.password) }),
      ...(tls ? { tls: {} } : {}),
    },
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    ...(enableReadyCheck === undefined ? {} : { enableReadyCheck }),
    // Managed clusters (ElastiCache, Memorystore) put TLS on hostnames: resolving them to
    // addresses first would fail certificate checks, so ioredis is told to keep them.
    ...(tls ? { dnsLookup: (address: string, callback: (err: Error | null, address: string) => void) => callback(null, address) } : {}),
  };
}

/**
 * Whether the Redis at the URL is in the mode the settings say, asked once at start. A
 * cluster node taken for a single Redis answers PING (so /readyz would say ready) but
 * refuses most keys with MOVED, so every webhook would get a 503; a cluster client on a
 * single Redis never becomes ready. Either way the process should not start. null: the
 * modes agree, or Redis could not be asked (an unreachable Redis is reported elsewhere).
 */
export async function redisModeMismatch(target: RedisTarget, timeoutMs = 2000): Promise<string | null> {
  const probe = new Redis(target.url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, connectionName: 'pyrelease-mode-check' });
  probe.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = await Promise.race([
      probe.connect().then(() => probe.info('cluster')),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), timeoutMs);
      }),
    ]);
    if (info === null) return null;
    const enabled = /^cluster_enabled:1\s*$/m.test(String(info));
    if (enabled && !target.cluster) return 'REDIS_URL names a node of a Redis Cluster: set PYRELEASE_REDIS_CLUSTER=true (as one Redis, the cluster would refuse most keys with MOVED)';
    if (!enabled && target.cluster) return 'PYRELEASE_REDIS_CLUSTER=true, but the Redis at REDIS_URL does not run in cluster mode: unset PYRELEASE_REDIS_CLUSTER';
    return null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
}

/**
 * The hash slot of a key, as Redis Cluster computes it: CRC16 (XMODEM) of the key, or of
 * its hash tag when it has one, modulo 16384.
 */
export function keySlot(key: string): number {
  const hashed = hashTag(key) ?? key;
  let crc = 0;
  for (const byte of Buffer.from(hashed, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/**
 * The connection a command about `key` goes to: on a cluster, the client's connection to
 * the master of the key's slot as the client last learned it. For what only makes sense on
 * the connection that wrote (WAIT), and so cannot be sent through the cluster client, which
 * sends a command without keys to any node. undefined: the slot's master is not known yet.
 */
export function connectionFor(redis: RedisClient, key: string): Redis | undefined {
  if (redis instanceof Redis) return redis;
  const master = redis.slots[keySlot(key)]?.[0];
  return redis.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === master);
}
