import type { Route } from '../http/server.js';
import { CONTENT_TYPE } from './metrics.js';
import type { ServiceMetrics } from './service-metrics.js';

/**
 * GET /metrics. Unauthenticated, as Prometheus scrapes usually are: it carries counts
 * and queue names, never a repository, version or secret. Keep the port off the public
 * internet or put the scrape behind the reverse proxy's own auth.
 */
export function metricsRoutes(deps: { readonly metrics: Pick<ServiceMetrics, 'render'> }): Route[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      handler: async (_req, res) => {
        const text = await deps.metrics.render();
        res.writeHead(200, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
        res.end(text);
      },
    },
  ];
}
