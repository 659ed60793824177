import type { ProbotOctokit } from 'probot';

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
  const once = (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number): boolean => retryCount < 1 && retryAfter <= maxWaitSeconds;
  return { onRateLimit: once, onSecondaryRateLimit: once };
}
