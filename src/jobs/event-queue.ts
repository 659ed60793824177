import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RepoEvent } from '../core/events.js';
import { EVENT_QUEUE, eventJobId } from './event-job.js';
import type { EventJobData } from './event-job.js';
import { jobOptions } from './queues.js';

export function eventQueue(connection: Redis, settings: { prefix: string; attempts: number; backoffMs: number }): Queue<EventJobData> {
  return new Queue<EventJobData>(EVENT_QUEUE, {
    connection,
    prefix: settings.prefix,
    defaultJobOptions: {
      ...jobOptions(settings),
      // Deliveries are many and small; a week of ids is enough to absorb redeliveries.
      removeOnComplete: { age: 7 * 24 * 3600, count: 50_000 },
    },
  });
}

/** How long a delivery id is remembered: as long as completed event jobs are kept. */
const DELIVERY_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Queues one job per delivery in one round trip: the add (a no-op for an id BullMQ
 * already has) and a SET NX on the delivery id go out together. The SET only tells
 * "new" from "duplicate" for the answer; the add always runs, so a delivery whose first
 * attempt failed half way is never taken for a duplicate and lost.
 * The event was validated by the forge mapper's schemas; the worker validates it again
 * on its way out of Redis.
 */
export async function enqueueEvent(queue: Queue<EventJobData>, redis: Redis, event: RepoEvent): Promise<{ jobId: string; created: boolean }> {
  const jobId = eventJobId(event);
  const [first] = await Promise.all([
    redis.set(`${queue.opts.prefix ?? 'bull'}:delivery:${jobId}`, '1', 'EX', DELIVERY_TTL_SECONDS, 'NX'),
    queue.add(event.kind, { event }, { jobId }),
  ]);
  return { jobId, created: first === 'OK' };
}
