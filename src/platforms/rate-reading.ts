import type { RateReading, RequestCost } from './platform.js';

type HeaderBag = Readonly<Record<string, string | number | undefined>> | { get(name: string): string | null };

function header(headers: HeaderBag | undefined, name: string): string | null {
  if (headers === undefined) return null;
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(name: string): string | null }).get(name);
  const value = (headers as Readonly<Record<string, string | number | undefined>>)[name];
  return value === undefined ? null : String(value);
}

const count = (raw: string | null): number | null => (raw !== null && /^\d{1,12}$/.test(raw.trim()) ? Number(raw.trim()) : null);

function reading(limit: number | null, remaining: number | null, resetSeconds: number | null): RateReading | null {
  if (limit === null || remaining === null || resetSeconds === null || limit === 0) return null;
  return { limit, remaining: Math.min(remaining, limit), resetAt: resetSeconds * 1000 };
}

/**
 * GitHub's primary rate limit (docs.github.com "Rate limits for the REST API"):
 * x-ratelimit-limit, -remaining, -used and -reset (epoch seconds) on every answer, a 304
 * included; a 304 to a conditional request does not count against the limit.
 */
export function githubRate(headers: HeaderBag | undefined): RateReading | null {
  return reading(count(header(headers, 'x-ratelimit-limit')), count(header(headers, 'x-ratelimit-remaining')), count(header(headers, 'x-ratelimit-reset')));
}

/**
 * GitLab's RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (epoch seconds), sent
 * where the instance's rate limits are on (doc/administration/settings/user_and_ip_rate_limits.md);
 * a self-managed instance without them sends none. Rack::Attack counts every request, a
 * 304 included.
 */
export function gitlabRate(headers: HeaderBag | undefined): RateReading | null {
  return reading(count(header(headers, 'ratelimit-limit')), count(header(headers, 'ratelimit-remaining')), count(header(headers, 'ratelimit-reset')));
}

export const NO_COST: RequestCost = { requests: 0, points: 0, rate: null };

/** Two costs added; the later reading wins. */
export function addCost(a: RequestCost, b: RequestCost): RequestCost {
  return { requests: a.requests + b.requests, points: a.points + b.points, rate: b.rate ?? a.rate };
}
