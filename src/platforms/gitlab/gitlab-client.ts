import { Gitlab } from '@gitbeaker/rest';
import { recordWait } from '../../observability/waits.js';
import type { WaitLog } from '../../observability/waits.js';

type Client = InstanceType<typeof Gitlab<false>>;

/** off: send every request, GitLab's 429 and Retry-After decide. gitlab.com: also pace on the client. */
export type GitlabClientRateLimits = 'off' | 'gitlab.com';

export interface GitlabClientOptions {
  readonly host: string;
  readonly token: string;
  readonly rateLimits?: GitlabClientRateLimits;
  readonly log?: WaitLog;
  /** The pacing window; 60 s as gitlab.com counts. Shorter in tests only. */
  readonly windowMs?: number;
}

/**
 * gitlab.com's per-user limits (per minute) on the endpoints pyrelease calls, the entries of
 * @gitbeaker/requester-utils' DEFAULT_RATE_LIMITS that apply to it: repository archives
 * (`projects/*\/repository/archive*`: 5) and new merge request notes (POST
 * `projects/*\/merge_requests/*\/notes`: 300). Keyed by gitbeaker resource and method.
 */
export const GITLAB_COM_LIMITS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  Repositories: { showArchive: 5 },
  MergeRequestNotes: { create: 300 },
};

/**
 * The one place a @gitbeaker/rest client is built for acting on projects.
 *
 * gitbeaker applies gitlab.com's limits on the client for every host unless told
 * otherwise, and waits for them silently: past the fifth archive in a minute a publish job
 * held its worker slot for up to 60 s with no log line, on self-managed instances that have
 * no such limit. `rateLimits: {}` turns that off: gitbeaker then matches no rule and gives
 * each request a fresh limiter of its own (getMatchingRateLimiter), so none waits. Rate
 * limits are then GitLab's to enforce: a 429 becomes a retryable error with its
 * Retry-After (gitlab-errors.ts), and the job queue waits it out (jobs/throttle.ts).
 *
 * `gitlab.com` restores pacing for the endpoints above, in this process, and every wait
 * longer than a second is logged and counted (pyrelease_waits_seconds).
 */
export function createGitlabClient(options: GitlabClientOptions): Client {
  const api = new Gitlab({ host: options.host, token: options.token, rateLimits: {} });
  return options.rateLimits === 'gitlab.com' ? pacedClient(api, options.windowMs ?? 60_000, options.log) : api;
}

/** Reserves the next start within `limit` starts per window; returns how long to wait for it. */
export function slidingWindow(limit: number, windowMs: number, now: () => number = Date.now): () => number {
  const starts: number[] = [];
  return () => {
    const t = now();
    const oldest = starts.length < limit ? undefined : starts[starts.length - limit];
    const at = oldest === undefined ? t : Math.max(t, oldest + windowMs);
    starts.push(at);
    if (starts.length > limit) starts.splice(0, starts.length - limit);
    return at - t;
  };
}

type AnyFn = (...args: unknown[]) => unknown;

function pacedClient(api: Client, windowMs: number, log: WaitLog | undefined): Client {
  const resources = new Map<string, object>();
  const pacedResource = (name: string, resource: object, rules: Readonly<Record<string, number>>): object => {
    const takers = new Map(Object.entries(rules).map(([method, limit]) => [method, slidingWindow(limit, windowMs)]));
    return new Proxy(resource, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        const take = typeof prop === 'string' ? takers.get(prop) : undefined;
        if (take === undefined) return (value as AnyFn).bind(target);
        return async (...args: unknown[]) => {
          const ms = take();
          if (ms > 0) {
            recordWait('gitlab-client-pacing', ms / 1000, log, { endpoint: `${name}.${String(prop)}` });
            await new Promise((resolve) => setTimeout(resolve, ms));
          }
          return (value as AnyFn).apply(target, args);
        };
      },
    });
  };
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      const rules = typeof prop === 'string' ? GITLAB_COM_LIMITS[prop] : undefined;
      if (rules === undefined || typeof value !== 'object' || value === null) return value;
      let wrapped = resources.get(prop as string);
      if (wrapped === undefined) resources.set(prop as string, (wrapped = pacedResource(prop as string, value, rules)));
      return wrapped;
    },
  });
}
