import type { AdminGate } from './admin-auth.js';
import { recentReleases } from './release-page-data.js';
import type { PublishQueueLike } from './release-page-data.js';
import { renderReleasePage } from './release-page-html.js';
import { sendJson } from './server.js';
import type { Route } from './server.js';

export interface ReleasePageDeps {
  readonly publishQueue: PublishQueueLike;
  /** The admin gate: the page shows repository ids, versions and failure reasons, so it follows PYRELEASE_ADMIN_PASSWORD (404 without one). */
  readonly gate: AdminGate;
  readonly limit?: number;
}

// A strict policy: no script, no frames, styles inline only.
const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** GET /releases (HTML) and GET /releases.json: read-only. */
export function releasePageRoutes(deps: ReleasePageDeps): Route[] {
  const limit = deps.limit ?? 50;
  return [
    {
      method: 'GET',
      path: '/releases',
      handler: async (req, res) => {
        if (!deps.gate(req, res)) return;
        const text = renderReleasePage(await recentReleases(deps.publishQueue, limit));
        res.writeHead(200, { ...HTML_HEADERS, 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
    },
    {
      method: 'GET',
      path: '/releases.json',
      handler: async (req, res) => {
        if (!deps.gate(req, res)) return;
        sendJson(res, 200, { repositories: await recentReleases(deps.publishQueue, limit) }, { 'cache-control': 'no-store' });
      },
    },
  ];
}
