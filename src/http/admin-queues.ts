import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
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
    queues: deps.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: deps.readOnly ?? false })),
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
