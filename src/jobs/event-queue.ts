import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RepoEvent } from '../core/events.js';
import { EVENT_QUEUE, eventJobId, repoEventSchema } from './event-job.js';
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

export async function enqueueEvent(queue: Queue<EventJobData>, event: RepoEvent): Promise<{ jobId: string; created: boolean }> {
  const parsed = repoEventSchema.parse(event);
  const jobId = eventJobId(parsed);
  if ((await queue.getJob(jobId)) !== undefined) return { jobId, created: false };
  await queue.add(parsed.kind, { event: parsed }, { jobId });
  return { jobId, created: true };
}
