import { AppError, rateLimitDetails } from '../../errors.js';
import { forgeFetch } from '../forge-fetch.js';
import { gitlabRate } from '../rate-reading.js';
import type { RateReading } from '../platform.js';
import { RATE_LIMIT_BACKOFF_SECONDS } from './gitlab-errors.js';

export interface RestAnswer {
  /** 200, or 304 when the ETag sent still matches. */
  readonly status: 200 | 304;
  readonly body: unknown;
  readonly etag: string | null;
  readonly nextPage: number | null;
  readonly rate: RateReading | null;
}

/**
 * Plain GETs against GitLab's REST API for what @gitbeaker/rest cannot do: send
 * If-None-Match and hand back the response headers (ETag, RateLimit-*, X-Next-Page).
 * GitLab answers API GETs with a weak ETag of the body and 304 to a matching
 * If-None-Match (Rails' Rack::ETag and Rack::ConditionalGet around the Grape API); unlike
 * GitHub, a 304 still counts against its rate limits (Rack::Attack counts requests).
 */
export interface GitlabRest {
  get(path: string, query: Readonly<Record<string, string>>, etag: string | null, action: string): Promise<RestAnswer>;
}

const TIMEOUT_MS = 30_000;

export function createGitlabRest(host: string, token: string): GitlabRest {
  const base = new URL('/api/v4/', host);
  return {
    get: async (path, query, etag, action) => {
      const url = new URL(path.replace(/^\//, ''), base);
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      const headers: Record<string, string> = { 'PRIVATE-TOKEN': token, accept: 'application/json' };
      if (etag !== null) headers['if-none-match'] = etag;
      const res = await forgeFetch(url, { headers }, action, TIMEOUT_MS);
      const rate = gitlabRate(res.headers);
      if (res.status === 304 && etag !== null) {
        await res.body?.cancel();
        return { status: 304, body: null, etag, nextPage: null, rate };
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw statusError(res.status, res.headers.get('retry-after'), action);
      }
      let body: unknown;
      try {
        body = await res.json();
      } catch (cause) {
        throw new AppError('forge-unavailable', `GitLab's answer to ${action} is not JSON`, { retryable: true, cause, details: { action } });
      }
      const next = res.headers.get('x-next-page') ?? '';
      return { status: 200, body, etag: res.headers.get('etag'), nextPage: /^\d{1,9}$/.test(next) ? Number(next) : null, rate };
    },
  };
}

/** The table of gitlab-errors.ts, for a status instead of a gitbeaker error. */
function statusError(status: number, retryAfter: string | null, action: string): AppError {
  const details = { action, status };
  if (status === 401 || status === 403) return new AppError('forge-auth', `GitLab refused our token (${status}) for ${action}`, { details });
  if (status === 404) return new AppError('forge-not-found', `GitLab found nothing (404) for ${action}`, { details });
  if (status === 429) {
    const after = retryAfter !== null && /^\d{1,6}$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : RATE_LIMIT_BACKOFF_SECONDS;
    return new AppError('forge-unavailable', `GitLab answered 429 to ${action}`, { retryable: true, details: { ...details, ...rateLimitDetails(after) } });
  }
  if (status >= 500) return new AppError('forge-unavailable', `GitLab answered ${status} to ${action}`, { retryable: true, details });
  return new AppError('forge-refused', `GitLab refused ${action} (${status})`, { details });
}
