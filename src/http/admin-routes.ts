import type { Queue } from 'bullmq';
import { PUBLISH_QUEUE } from '../jobs/publish-job.js';
import { metricsRoutes } from '../observability/metrics-routes.js';
import type { ServiceMetrics } from '../observability/service-metrics.js';
import { adminCredentials, adminGate } from './admin-auth.js';
import { releasePageRoutes } from './release-page.js';
import type { Mount, Route } from './server.js';

export interface AdminHttpDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Every queue the service uses; the release page reads the publish queue among them. */
  readonly queues: readonly Queue[];
  readonly metrics: Pick<ServiceMetrics, 'render'>;
}

/**
 * What an operator looks at: GET /metrics (open, counts only), and behind
 * PYRELEASE_ADMIN_USER / PYRELEASE_ADMIN_PASSWORD (404 when no password is set)
 * GET /releases, GET /releases.json and the queue dashboard under /admin/queues.
 */
export async function adminHttp(deps: AdminHttpDeps): Promise<{ routes: Route[]; mounts: Mount[] }> {
  const credentials = adminCredentials(deps.env);
  const gate = adminGate(credentials);
  const publish = deps.queues.find((q) => q.name === PUBLISH_QUEUE);
  return {
    routes: [...metricsRoutes({ metrics: deps.metrics }), ...(publish === undefined ? [] : releasePageRoutes({ publishQueue: publish, gate }))],
    // Without a password the dashboard is not even built (nor bull-board and Express
    // loaded, some 30 MB of a web process): /admin/queues is an unknown path.
    mounts: credentials === null ? [] : [(await import('./admin-queues.js')).adminQueuesMount({ queues: deps.queues, gate })],
  };
}
