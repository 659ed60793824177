import type { ProbotOctokit } from 'probot';
import { recordWait } from '../../observability/waits.js';
import type { WaitLog } from '../../observability/waits.js';

/** What the adapter needs of an installation's Octokit (Probot's, with its plugins). */
export type GithubOctokit = Pick<InstanceType<typeof ProbotOctokit>, 'request' | 'paginate'>;

export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
}

/**
 * Throttle handlers for the composition root. Probot's defaults retry every rate limit
 * after waiting for it, however long (a primary limit resets hourly), which would hold a
 * worker for up to an hour. These wait once, and only for a short limit; otherwise the
 * 403/429 reaches the adapter, becomes a retryable forge-unavailable with
 * retryAfterSeconds, and the job queue backs off instead.
 */
export function boundedThrottle(maxWaitSeconds = 10): {
  onRateLimit: (retryAfter: number, options: unknown, octokit: unknown, retryCount: number) => boolean;
  onSecondaryRateLimit: (retryAfter: number, options: unknown, octokit: unknown, retryCount: number) => boolean;
} {
  const once = (retryAfter: number, options: unknown, octokit: unknown, retryCount: number): boolean => {
    const retry = retryCount < 1 && retryAfter <= maxWaitSeconds;
    // The plugin waits retryAfter seconds when told to retry; Probot's Octokit carries its log.
    // Method and path only: a query string is no business of the log.
    if (retry) recordWait('github-rate-limit', retryAfter, (octokit as { log?: WaitLog } | null)?.log, routeOf(options));
    return retry;
  };
  return { onRateLimit: once, onSecondaryRateLimit: once };
}

function routeOf(options: unknown): Record<string, string> {
  const o = (options ?? {}) as { method?: unknown; url?: unknown };
  return typeof o.method === 'string' && typeof o.url === 'string' ? { request: `${o.method} ${o.url.split('?')[0] ?? ''}` } : {};
}
