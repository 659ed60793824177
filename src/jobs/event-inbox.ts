import type { RedisClient } from '../redis-client.js';
import type { RepoEvent } from '../core/events.js';
import { eventJobId } from './event-job.js';

/**
 * The event inbox: what a webhook's 200 stands on. The web process writes one Redis
 * stream entry per new delivery and answers; the inbox pump (inbox-pump.ts) in the
 * worker processes turns entries into event jobs with their deterministic ids.
 *
 * Why not add the BullMQ job in the request: with 50 writes in flight, BullMQ's add plus a
 * SET NX cost the calling process 64 µs of CPU per delivery (job serialisation, msgpack, a
 * long EVALSHA) and RedisClient 40 µs; this script 23 µs and 10 µs, and one at a time its round
 * trip is 147 µs instead of 414 (`node bench/enqueue.js`, bench/README.md, 2026-12-03). The
 * entry is as durable as a job: the same RedisClient, written by one command.
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
// delivery lost), and a repeat adds nothing. Both keys share the prefix's hash tag.
const PUSH_SCRIPT = `
if redis.call('SET', KEYS[1], '1', 'EX', ARGV[1], 'NX') then
  redis.call('XADD', KEYS[2], '*', 'job', ARGV[2], 'name', ARGV[3], 'data', ARGV[4])
  return 1
end
return 0`;

type WithPush = RedisClient & { pyreleasePushEvent(deliveryKey: string, inbox: string, ttl: number, jobId: string, name: string, data: string): Promise<number> };

function withPush(redis: RedisClient): WithPush {
  const r = redis as WithPush;
  // defineCommand sends EVALSHA and falls back to EVAL when RedisClient lost its script cache.
  if (typeof r.pyreleasePushEvent !== 'function') redis.defineCommand('pyreleasePushEvent', { numberOfKeys: 2, lua: PUSH_SCRIPT });
  return r;
}

/**
 * Queues a delivery once: `created` is false for a delivery id seen in the last
 * DELIVERY_TTL_SECONDS. The event was validated by the forge mapper's schemas; the
 * event worker validates it again on its way out of Redis.
 */
export async function pushEvent(redis: RedisClient, prefix: string, event: RepoEvent): Promise<{ jobId: string; created: boolean }> {
  const jobId = eventJobId(event);
  const added = await withPush(redis).pyreleasePushEvent(deliveryKey(prefix, jobId), inboxKey(prefix), DELIVERY_TTL_SECONDS, jobId, event.kind, JSON.stringify({ event }));
  return { jobId, created: added === 1 };
}

/** Entries not yet turned into jobs, and when the oldest of them was written. */
export async function inboxState(redis: RedisClient, prefix: string): Promise<{ length: number; oldestMs: number | null }> {
  const key = inboxKey(prefix);
  const [length, head] = await Promise.all([redis.xlen(key), redis.xrange(key, '-', '+', 'COUNT', 1)]);
  const id = head[0]?.[0];
  // A stream entry id is `<milliseconds>-<sequence>`, the time RedisClient wrote it.
  return { length, oldestMs: id === undefined ? null : Number(id.split('-')[0]) };
}
