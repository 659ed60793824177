import type { RedisClient } from '../redis-client.js';
import type { RepoEvent } from '../core/events.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { connectionFor } from '../redis-client.js';
import { eventJobId } from './event-job.js';

/**
 * The event inbox: what a webhook's 200 stands on. The web process writes one Redis
 * stream entry per new delivery and answers; the inbox pump (inbox-pump.ts) in the
 * worker processes turns entries into event jobs with their deterministic ids.
 *
 * Why not add the BullMQ job in the request: with 50 writes in flight, BullMQ's add plus a
 * SET NX cost the calling process 64 µs of CPU per delivery (job serialisation, msgpack, a
 * long EVALSHA) and Redis 40 µs; this script 23 µs and 10 µs, and one at a time its round
 * trip is 147 µs instead of 414 (`node bench/enqueue.js`, bench/README.md, 2026-12-03). The
 * entry is as durable as a job: the same Redis, written by one command.
 */

/** Stream of deliveries waiting to become event jobs; outside BullMQ's `<prefix>:events:*` keys. */
export function inboxKey(prefix: string): string {
  return `${prefix}:inbox:events`;
}

/** A delivery id is remembered this long: as long as completed event jobs are kept. */
export const DELIVERY_TTL_SECONDS = 7 * 24 * 3600;

function deliveryKey(prefix: string, jobId: string): string {
  return `${prefix}:delivery:${jobId}`;
}

// The SET NX and the XADD in one script: both happen or neither, so a delivery is never
// remembered as seen without its entry (a duplicate of it would then be dropped and the
// delivery lost), and a repeat adds nothing. A delivery may have further names
// (KEYS[3..]: a GitHub body's digest); it is a repeat when its id or any of them was seen,
// and a new one remembers them all. Every key shares the prefix's hash tag.
// A repeat still writes (the TTLs again): WAIT counts replicas up to this connection's
// last write, so after a repeat it also covers the first write, which another web process
// may have made and which may not have reached a replica yet.
const PUSH_SCRIPT = `
local seen = redis.call('EXISTS', KEYS[1]) == 1
for i = 3, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then seen = true end
end
if not seen then
  redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
  for i = 3, #KEYS do redis.call('SET', KEYS[i], '1', 'EX', ARGV[1]) end
  redis.call('XADD', KEYS[2], '*', 'job', ARGV[2], 'name', ARGV[3], 'data', ARGV[4])
  return 1
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
for i = 3, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
return 0`;

// The number of keys varies (the delivery's further names), so it is the first argument.
type WithPush = RedisClient & { pyreleasePushEventNamed(numKeys: number, ...keysThenArgs: Array<string | number>): Promise<number> };

function withPush(redis: RedisClient): WithPush {
  const r = redis as WithPush;
  // defineCommand sends EVALSHA and falls back to EVAL when Redis lost its script cache.
  if (typeof r.pyreleasePushEventNamed !== 'function') redis.defineCommand('pyreleasePushEventNamed', { lua: PUSH_SCRIPT });
  return r;
}

/** How many Redis replicas must hold a delivery before it counts as stored, and how long to wait for them. */
export interface ReplicaAck {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/** The settings' replica acknowledgement: WAIT's 1 s fits well inside the 3 s an enqueue may take. */
export function replicaAck(config: Pick<Config, 'redisWaitReplicas'>): ReplicaAck {
  return { replicas: config.redisWaitReplicas, timeoutMs: 1000 };
}

/** Further names a delivery is deduplicated by, beside its job id (a GitHub body's digest). */
export interface DeliveryNames {
  readonly sameAs: readonly string[];
}

/**
 * Queues a delivery once: `created` is false for a delivery id, or any of `names.sameAs`,
 * seen in the last DELIVERY_TTL_SECONDS. The event was validated by the forge mapper's schemas; the
 * event worker validates it again on its way out of Redis.
 *
 * With `ack.replicas` > 0 the write is followed by WAIT on the same connection: Redis
 * replicates asynchronously, and a master that dies before its replica has a write loses
 * it in the failover. Fewer replicas in time rejects (a 503; the forge resends, and the
 * resend's WAIT covers this write). Not one pipeline: ioredis does not follow a cluster's
 * MOVED for a pipeline whose WAIT succeeded on the old node, and stays on it for good.
 */
export async function pushEvent(
  redis: RedisClient,
  prefix: string,
  event: RepoEvent,
  ack: ReplicaAck = { replicas: 0, timeoutMs: 0 },
  names: DeliveryNames = { sameAs: [] },
): Promise<{ jobId: string; created: boolean }> {
  const jobId = eventJobId(event);
  const key = deliveryKey(prefix, jobId);
  const keys = [key, inboxKey(prefix), ...names.sameAs.map((name) => deliveryKey(prefix, name))];
  const added = await withPush(redis).pyreleasePushEventNamed(keys.length, ...keys, DELIVERY_TTL_SECONDS, jobId, event.kind, JSON.stringify({ event }));
  if (ack.replicas > 0) await waitForReplicas(redis, key, ack);
  return { jobId, created: added === 1 };
}

async function waitForReplicas(redis: RedisClient, key: string, ack: ReplicaAck): Promise<void> {
  // WAIT counts the replicas that have this connection's writes: it must go where the
  // script went (on a cluster, the connection to the slot's master).
  const connection = connectionFor(redis, key);
  const acked = connection === undefined ? 0 : await connection.wait(ack.replicas, ack.timeoutMs);
  if (acked < ack.replicas) {
    throw new AppError('network', `${acked} of ${ack.replicas} Redis replicas had the delivery within ${ack.timeoutMs} ms`, { retryable: true });
  }
}

/** Entries not yet turned into jobs, and when the oldest of them was written. */
export async function inboxState(redis: RedisClient, prefix: string): Promise<{ length: number; oldestMs: number | null }> {
  const key = inboxKey(prefix);
  const [length, head] = await Promise.all([redis.xlen(key), redis.xrange(key, '-', '+', 'COUNT', 1)]);
  const id = head[0]?.[0];
  // A stream entry id is `<milliseconds>-<sequence>`, the time Redis wrote it.
  return { length, oldestMs: id === undefined ? null : Number(id.split('-')[0]) };
}
