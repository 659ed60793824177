import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis-client.js';
import type { RepoEvent } from '../core/events.js';
import { inboxKey } from '../jobs/event-inbox.js';
import type { EventJobData } from '../jobs/event-job.js';
import { entryToJob } from '../jobs/inbox-pump.js';
import { readableJobs, UNREADABLE_JOB_TEXT } from '../jobs/readable-jobs.js';
import { rateLimitedWait } from '../jobs/throttle.js';
import type { RateLimitedWait } from '../jobs/throttle.js';

/** One webhook's way through pyrelease: still in the inbox, or its event job in a state. */
export interface EventRow {
  readonly id: string;
  /** `inbox`: stored and answered 200, not yet taken by a worker's pump. */
  readonly state: string;
  readonly queue: string;
  readonly repo: string;
  /** What the delivery was about: `tag v1.2.3`, `branch main`, `MR !12 opened`, `PR #12 updated`. */
  readonly what: string;
  readonly delivery: string;
  readonly attempts: number;
  readonly failedReason: string | null;
  /** A delayed job waiting out a forge's rate limit (jobs/throttle.ts). */
  readonly rateLimited: RateLimitedWait | null;
  /** null: a job that cannot be read (its stored JSON does not parse), so its time is not known either. */
  readonly createdAt: string | null;
}

/** A one-line description of an event; `unreadable` for an entry whose payload did not parse. */
export function describeEvent(event: RepoEvent | null | undefined): { repo: string; what: string; delivery: string } {
  if (event === null || event === undefined || typeof event !== 'object' || !('kind' in event)) return { repo: '?', what: 'unreadable', delivery: '' };
  const repo = `${event.repo.platform}:${event.repo.path}`;
  const delivery = event.meta.deliveryId;
  switch (event.kind) {
    case 'tag-pushed':
      return { repo, what: `tag ${event.tag}`, delivery };
    case 'branch-pushed':
      return { repo, what: `branch ${event.branch}`, delivery };
    case 'change-request':
      return { repo, what: `${event.repo.platform === 'gitlab' ? `MR !${event.number}` : `PR #${event.number}`} ${event.action}`, delivery };
  }
}

const EVENT_STATES = ['active', 'waiting', 'delayed', 'prioritized', 'failed', 'completed'] as const;

/** Event jobs of every event queue and the inbox entries no pump has taken yet, at most `limit` of each. */
export async function eventRows(redis: RedisClient, prefix: string, queues: ReadonlyArray<Queue<EventJobData>>, limit: number): Promise<EventRow[]> {
  const rows: EventRow[] = [];
  // Entries the pump has made into jobs are deleted from the stream: what is left is waiting for a worker.
  const entries = (await redis.xrevrange(inboxKey(prefix), '+', '-', 'COUNT', limit)) as Array<[string, string[]]>;
  for (const entry of entries) {
    const moved = entryToJob(entry);
    rows.push({
      id: moved.jobId,
      state: 'inbox',
      queue: 'inbox',
      ...describeEvent(moved.data.event),
      attempts: 0,
      failedReason: null,
      rateLimited: null,
      // A stream entry id is `<milliseconds>-<sequence>`, the time Redis stored the delivery.
      createdAt: new Date(Number(moved.id.split('-')[0])).toISOString(),
    });
  }
  for (const queue of queues) {
    for (const state of EVENT_STATES) {
      for (const listed of await readableJobs(queue, [state], 0, limit - 1)) {
        if (listed.unreadable) {
          // Id and state only: a job written by hand may hold anything.
          rows.push({ id: listed.id, state, queue: queue.name, repo: '?', what: 'unreadable', delivery: '', attempts: 0, failedReason: UNREADABLE_JOB_TEXT, rateLimited: null, createdAt: null });
          continue;
        }
        const { job } = listed;
        rows.push({
          id: job.id ?? '',
          state,
          queue: queue.name,
          ...describeEvent(job.data?.event),
          attempts: job.attemptsMade,
          failedReason: job.failedReason ?? null,
          rateLimited: rateLimitedWait(state, job.progress),
          createdAt: new Date(job.timestamp).toISOString(),
        });
      }
    }
  }
  return rows;
}
