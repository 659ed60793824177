import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Job } from 'bullmq';
import type { JobType, Queue } from 'bullmq';
import { readableJob, readableJobs } from '../jobs/readable-jobs.js';
import type { AdminGate } from './admin-auth.js';
import { sendJson } from './server.js';
import type { Mount } from './server.js';

export const ADMIN_QUEUES_PATH = '/admin/queues';

export interface AdminQueuesDeps {
  readonly queues: readonly Queue[];
  readonly gate: AdminGate;
  /** true: look only (no retry, clean, promote, add). */
  readonly readOnly?: boolean;
}

// A page that changes jobs is a target for cross-site requests riding on the browser's
// cached Basic credentials: a write must come from this origin (or from no browser).
function sameOrigin(req: IncomingMessage): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  if (req.headers['sec-fetch-site'] === 'cross-site' || req.headers['sec-fetch-site'] === 'same-site') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** The name bull-board shows for a job whose stored data or options are not JSON. */
export const UNREADABLE_JOB_NAME = 'unreadable: its stored data or options are not valid JSON';

/**
 * Stands in for a job BullMQ cannot read: its id only, no data, no options. A real Job of
 * the queue, so that the board can still show its state and (unless read-only) remove it.
 */
function unreadableStandIn(queue: Queue, id: string): Job {
  const job = new Job(queue, UNREADABLE_JOB_NAME, {}, {}, id);
  // The time it was added is in the hash that cannot be read: say nothing rather than now.
  job.timestamp = 0;
  return job;
}

/**
 * bull-board's adapter, listing through readable-jobs.ts: BullMQ's getJobs throws for a
 * whole page when one job in it cannot be read, and the board would show none of them.
 */
class ReadableBullMQAdapter extends BullMQAdapter {
  readonly #queue: Queue;

  constructor(queue: Queue, readOnly: boolean) {
    super(queue, { readOnlyMode: readOnly });
    this.#queue = queue;
  }

  override async getJobs(statuses: Parameters<BullMQAdapter['getJobs']>[0], start = 0, end = -1): Promise<Job[]> {
    const listed = await readableJobs(this.#queue, statuses as JobType[], start, end);
    return listed.map((l) => (l.unreadable ? unreadableStandIn(this.#queue, l.id) : l.job));
  }

  override async getJob(id: string): Promise<Job | undefined> {
    const job = await readableJob(this.#queue, id);
    return job === 'unreadable' ? unreadableStandIn(this.#queue, id) : job;
  }
}

/**
 * bull-board at /admin/queues, through its Express adapter: the Express app it builds
 * is itself a node:http handler, so it runs under our server without an Express server
 * of ours. The gate answers first (404 with no admin password, 401 without the right
 * credentials); the app then sees paths relative to the mount, as Express's own
 * `app.use(prefix, ...)` would give it.
 */
export function adminQueuesMount(deps: AdminQueuesDeps): Mount {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(ADMIN_QUEUES_PATH);
  createBullBoard({
    queues: deps.queues.map((q) => new ReadableBullMQAdapter(q, deps.readOnly ?? false)),
    // @bull-board/express 9.10.1 pins its own @bull-board/api 9.10.1 beside our 9.10.2: the
    // same interface from two declarations. Pinning api to the adapter's version removes this cast.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'pyrelease' } },
  });
  const app = serverAdapter.getRouter() as unknown as (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

  return {
    prefix: ADMIN_QUEUES_PATH,
    handler: (req, res) => {
      if (!deps.gate(req, res)) return;
      if (!sameOrigin(req)) {
        req.resume();
        sendJson(res, 403, { error: 'cross-origin request refused' });
        return;
      }
      const url = req.url ?? '/';
      const rest = url.slice(ADMIN_QUEUES_PATH.length);
      req.url = rest === '' || rest.startsWith('?') ? `/${rest}` : rest;
      res.setHeader('cache-control', 'no-store');
      res.setHeader('x-frame-options', 'DENY');
      app(req, res, () => sendJson(res, 404, { error: 'not found' }));
    },
  };
}
