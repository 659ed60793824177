import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { RedisClient } from '../redis-client.js';
import type { Logger } from '../logger.js';
import type { EventJobData } from './event-job.js';
import { withTimeout } from '../with-timeout.js';
import { inboxKey } from './event-inbox.js';

/**
 * Moves the event inbox (event-inbox.ts) into the events queue. Every process that runs
 * an event worker runs one pump; any number share the inbox through one Redis consumer
 * group, so each entry goes to one pump at a time.
 *
 * At least once, never lost: an entry is acknowledged and deleted only after its job was
 * added. A pump killed in between leaves the entry pending under its name; another pump
 * claims it once it has been idle `claimIdleMs` and adds it again, which BullMQ ignores
 * for a job id it already has.
 */
export interface InboxPumpOptions {
  /** A connection of the pump's own: XREADGROUP blocks it. */
  readonly connection: RedisClient;
  readonly prefix: string;
  /** The queue for an event of this forge (undefined: unreadable entry), on another, non-blocking connection. */
  queueFor(platform: string | undefined): Pick<Queue<EventJobData>, 'addBulk'>;
  readonly log: Logger;
  /** A pending entry this idle belongs to a dead pump and is taken over. */
  readonly claimIdleMs?: number;
  readonly blockMs?: number;
  readonly batch?: number;
}

export const PUMP_GROUP = 'pumps';

type Entry = [id: string, fields: string[]];
interface Moved {
  readonly id: string;
  readonly name: string;
  readonly data: EventJobData;
  readonly jobId: string;
  readonly platform: string | undefined;
}

/** A stream entry -> the job it stands for. An unreadable entry still becomes a job, which the event worker fails visibly (`job-invalid`) rather than dropping it. */
export function entryToJob([id, fields]: Entry): Moved {
  const field = (name: string): string | undefined => {
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
    return undefined;
  };
  let data: EventJobData;
  try {
    data = JSON.parse(field('data') ?? 'null') as EventJobData;
  } catch {
    data = { event: null } as unknown as EventJobData;
  }
  if (data === null || typeof data !== 'object') data = { event: null } as unknown as EventJobData;
  const jobId = field('job') ?? `inbox-${id.replace(/[^0-9]/g, '-')}`;
  const platform = (data.event as { repo?: { platform?: unknown } } | null)?.repo?.platform;
  return { id, name: field('name') ?? 'unknown', data, jobId, platform: typeof platform === 'string' ? platform : undefined };
}

// Redis names an error by the first word of its reply (NOGROUP, BUSYGROUP): that word is its code.
function isNoGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOGROUP');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function startInboxPump(options: InboxPumpOptions): { readonly consumer: string; close(): Promise<void> } {
  const { connection: redis, prefix, queueFor, log } = options;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const blockMs = options.blockMs ?? 2000;
  const batch = options.batch ?? 100;
  const key = inboxKey(prefix);
  const consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  let stopping = false;
  let groupReady = false;
  let lastClaim = 0;
  let lastWarn = 0;
  // The connection's id (new after every reconnect), and whether a blocking read is out:
  // close() ends that read with CLIENT UNBLOCK. Not on a Redis Cluster: the read blocks on
  // the node of the inbox's slot while CLIENT ID would be asked of any node, so there
  // close() waits for the read to time out instead (at most blockMs).
  const single = redis instanceof Redis ? redis : null;
  let clientId: number | null = null;
  let blocked = false;
  redis.on('close', () => {
    clientId = null;
  });

  const ensureGroup = async (): Promise<void> => {
    if (groupReady) return;
    try {
      // From the start of the stream: entries written before any pump existed are kept for it.
      await redis.xgroup('CREATE', key, PUMP_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
    groupReady = true;
  };

  const move = async (entries: readonly Entry[]): Promise<void> => {
    if (entries.length === 0) return;
    const moved = entries.map(entryToJob);
    const byQueue = new Map<Pick<Queue<EventJobData>, 'addBulk'>, Moved[]>();
    for (const m of moved) {
      const queue = queueFor(m.platform);
      const jobs = byQueue.get(queue);
      if (jobs === undefined) byQueue.set(queue, [m]);
      else jobs.push(m);
    }
    for (const [queue, jobs] of byQueue) await queue.addBulk(jobs.map((m) => ({ name: m.name, data: m.data, opts: { jobId: m.jobId } })));
    const ids = moved.map((m) => m.id);
    await redis.multi().xack(key, PUMP_GROUP, ...ids).xdel(key, ...ids).exec();
    log.debug({ entries: ids.length }, 'inbox entries queued as event jobs');
  };

  // Entries of pumps that died before acknowledging, and names of pumps long gone.
  const reclaim = async (): Promise<void> => {
    let start = '0-0';
    do {
      const [next, entries] = (await redis.xautoclaim(key, PUMP_GROUP, consumer, claimIdleMs, start, 'COUNT', batch)) as [string, Array<Entry | null>];
      // Entries deleted while pending: Redis 7 drops them from the group, 6.2 lists them as null.
      const live = entries.filter((e): e is Entry => e !== null);
      if (live.length > 0) log.warn({ entries: live.length }, 'took over inbox entries of a pump that stopped before queueing them');
      await move(live);
      start = next;
    } while (start !== '0-0' && !stopping);
    const consumers = (await redis.xinfo('CONSUMERS', key, PUMP_GROUP)) as unknown[][];
    for (const row of consumers) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < row.length; i += 2) info.set(String(row[i]), row[i + 1]);
      const name = String(info.get('name'));
      if (name !== consumer && Number(info.get('pending')) === 0 && Number(info.get('idle')) > 10 * claimIdleMs) {
        await redis.xgroup('DELCONSUMER', key, PUMP_GROUP, name);
      }
    }
  };

  const step = async (): Promise<void> => {
    await ensureGroup();
    if (Date.now() - lastClaim >= claimIdleMs / 3) {
      lastClaim = Date.now();
      await reclaim();
    }
    if (single !== null) clientId ??= (await single.client('ID')) as number;
    if (stopping) return;
    blocked = true;
    let read: Array<[string, Entry[]]> | null;
    try {
      read = (await redis.xreadgroup('GROUP', PUMP_GROUP, consumer, 'COUNT', batch, 'BLOCK', blockMs, 'STREAMS', key, '>')) as Array<[string, Entry[]]> | null;
    } finally {
      blocked = false;
    }
    await move(read?.[0]?.[1] ?? []);
  };

  const loop = (async () => {
    while (!stopping) {
      try {
        await step();
      } catch (error) {
        // The stream was deleted (queues obliterated, Redis flushed): make the group again.
        if (isNoGroup(error)) groupReady = false;
        else if (Date.now() - lastWarn > 10_000) {
          lastWarn = Date.now();
          log.warn({ err: error instanceof Error ? error.message.slice(0, 200) : typeof error }, 'event inbox pump: Redis error, retrying');
        }
        if (!stopping) await sleep(isNoGroup(error) ? 0 : 1000);
      }
    }
  })();

  return {
    consumer,
    close: async () => {
      stopping = true;
      // End a blocked read at once rather than wait up to blockMs for it. CLIENT UNBLOCK
      // makes it return as if it timed out, so no entry is handed to a pump that is going.
      // Every wait here is bounded (Redis may be away) by withTimeout, which also clears its
      // timer, so a process that closes the pump is not kept alive by one.
      try {
        if (blocked && clientId !== null && single !== null) {
          const control = single.duplicate({ connectionName: 'pyrelease-inbox-close' });
          control.on('error', () => undefined);
          await withTimeout(control.client('UNBLOCK', clientId), 1000, 'unblocking the inbox read').finally(() => control.disconnect());
        }
      } catch {
        // The read then ends by itself within blockMs.
      }
      try {
        await withTimeout(loop, blockMs + 1000, 'the inbox pump stopping');
        const pending = (await withTimeout(redis.xpending(key, PUMP_GROUP, '-', '+', 1, consumer), 1000, 'reading the pump\'s pending entries')) as unknown[];
        // Only a name with nothing pending is removed: removing it would drop its pending entries from the group.
        if (pending.length === 0) await withTimeout(redis.xgroup('DELCONSUMER', key, PUMP_GROUP, consumer), 1000, 'removing the pump\'s name');
      } catch {
        // Redis away: the name stays, and a later pump removes it once it has long been idle.
      }
    },
  };
}
