import type { Queue } from 'bullmq';
import { PUBLISH_QUEUE } from '../jobs/publish-job.js';
import { metricsRoutes } from '../observability/metrics-routes.js';
import type { ServiceMetrics } from '../observability/service-metrics.js';
import { adminCredentials, adminGate } from './admin-auth.js';
import { adminQueuesMount } from './admin-queues.js';
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
export function adminHttp(deps: AdminHttpDeps): { routes: Route[]; mounts: Mount[] } {
  const credentials = adminCredentials(deps.env);
  const gate = adminGate(credentials);
  const publish = deps.queues.find((q) => q.name === PUBLISH_QUEUE);
  return {
    routes: [...metricsRoutes({ metrics: deps.metrics }), ...(publish === undefined ? [] : releasePageRoutes({ publishQueue: publish, gate }))],
    // Without a password the dashboard is not even built: /admin/queues is an unknown path.
    mounts: credentials === null ? [] : [adminQueuesMount({ queues: deps.queues, gate })],
  };
}
