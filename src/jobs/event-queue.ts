import { Queue } from 'bullmq';
import type { RedisClient } from '../redis-client.js';
import { EVENT_QUEUE } from './event-job.js';
import type { EventQueueName } from './event-job.js';
import type { EventJobData } from './event-job.js';
import { jobOptions, withoutErrorEcho } from './queues.js';

export function eventQueue(connection: RedisClient, settings: { prefix: string; attempts: number; backoffMs: number }, name: EventQueueName = EVENT_QUEUE): Queue<EventJobData> {
  return withoutErrorEcho(new Queue<EventJobData>(name, {
    connection,
    prefix: settings.prefix,
    defaultJobOptions: {
      ...jobOptions(settings),
      // Deliveries are many and small; a week of ids is enough to absorb redeliveries
      // (as long as event-inbox.ts remembers a delivery id).
      removeOnComplete: { age: 7 * 24 * 3600, count: 50_000 },
    },
  }));
}
