import { AppError, rateLimitDetails } from '../../errors.js';

/**
 * The one place where Octokit's errors become AppErrors. Told apart by HTTP status and
 * GitHub's rate-limit headers, never by message text (one documented exception below).
 *
 *   401                                     forge-auth         permanent
 *   403/429 + x-ratelimit-remaining: 0      forge-unavailable  retryable, retryAfterSeconds from x-ratelimit-reset
 *   403/429 + retry-after                   forge-unavailable  retryable (secondary limit), retryAfterSeconds = retry-after
 *   other 403                               forge-auth         permanent (missing permission, suspended app)
 *   429 without headers                     forge-unavailable  retryable, RATE_LIMIT_BACKOFF_SECONDS
 *   404                                     forge-not-found    permanent
 *   5xx, no response (network)              forge-unavailable  retryable
 *   other 4xx                               forge-refused      permanent
 *
 * docs.github.com "Rate limits for the REST API": a primary limit answers 403 or 429 with
 * x-ratelimit-remaining 0 (wait until x-ratelimit-reset, epoch seconds); a secondary limit
 * answers 403 or 429 with "an error message that indicates that you exceeded a secondary
 * rate limit" and, usually, retry-after; without retry-after, wait at least a minute. A
 * secondary-limit 403 without retry-after can only be told from a permission 403 by that
 * message, so it is tested with the same pattern @octokit/plugin-throttling uses.
 *
 * Octokit's RequestError is never attached as `cause`: its `request` holds the headers
 * (the token is redacted there, but a `cause` chain also reaches bodies and URLs), and
 * loggers serialize causes.
 */
export const RATE_LIMIT_BACKOFF_SECONDS = 60;
const MESSAGE_LIMIT = 200;

interface HttpErrorLike {
  readonly status: number;
  readonly response?: { readonly headers?: Record<string, string | number | undefined>; readonly data?: unknown };
}

function isHttpError(error: unknown): error is HttpErrorLike {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number';
}

/** The HTTP status of an Octokit request error, or null when no response came back. */
export function githubStatus(error: unknown): number | null {
  if (!isHttpError(error) || error.response === undefined) return null;
  return error.status;
}

function header(error: HttpErrorLike, name: string): string | null {
  const value = error.response?.headers?.[name];
  return value === undefined ? null : String(value);
}

function githubMessage(error: HttpErrorLike): string {
  const data = error.response?.data;
  const text = typeof data === 'object' && data !== null && typeof (data as { message?: unknown }).message === 'string' ? (data as { message: string }).message : '';
  return [...text.replace(/[^\x20-\x7e\u00a0-\uffff]+/g, ' ')].slice(0, MESSAGE_LIMIT).join('');
}

const seconds = (raw: string | null): number | null => (raw !== null && /^\d{1,12}$/.test(raw.trim()) ? Number(raw.trim()) : null);

/** Seconds to wait when this is a rate-limit answer; null when it is not one. */
export function rateLimitWait(error: unknown, nowMs: number): number | null {
  if (!isHttpError(error) || (error.status !== 403 && error.status !== 429)) return null;
  const retryAfter = seconds(header(error, 'retry-after'));
  if (retryAfter !== null) return Math.max(1, retryAfter);
  if (header(error, 'x-ratelimit-remaining') === '0') {
    const reset = seconds(header(error, 'x-ratelimit-reset'));
    // One second past the reset, as GitHub's docs advise.
    return reset === null ? RATE_LIMIT_BACKOFF_SECONDS : Math.max(1, reset - Math.floor(nowMs / 1000) + 1);
  }
  if (error.status === 429 || /\bsecondary rate\b/i.test(githubMessage(error))) return RATE_LIMIT_BACKOFF_SECONDS;
  return null;
}

export function translateGithubError(error: unknown, action: string): AppError {
  if (error instanceof AppError) return error;
  const status = githubStatus(error);
  if (status === null || !isHttpError(error)) {
    // Octokit wraps fetch failures (refused, reset, DNS) in a RequestError with status 500
    // and no response; anything else without a response is a bug worth a retry too.
    return new AppError('forge-unavailable', `could not reach GitHub for ${action}`, { retryable: true, details: { action } });
  }
  const details = { action, status, githubMessage: githubMessage(error) };
  const wait = rateLimitWait(error, Date.now());
  if (wait !== null) {
    return new AppError('forge-unavailable', `GitHub rate-limited ${action} (${status})`, { retryable: true, details: { ...details, ...rateLimitDetails(wait) } });
  }
  if (status === 401 || status === 403) return new AppError('forge-auth', `GitHub refused our credentials (${status}) for ${action}`, { details });
  if (status === 404) return new AppError('forge-not-found', `GitHub found nothing (404) for ${action}`, { details });
  if (status >= 500) return new AppError('forge-unavailable', `GitHub answered ${status} to ${action}`, { retryable: true, details });
  return new AppError('forge-refused', `GitHub refused ${action} (${status})`, { details });
}

/** Runs a read and turns the given statuses (404 by default) into null; other errors are translated. */
export async function orNull<T>(action: string, run: () => Promise<T>, absent: readonly number[] = [404]): Promise<T | null> {
  try {
    return await run();
  } catch (error) {
    const status = githubStatus(error);
    if (status !== null && absent.includes(status)) return null;
    throw translateGithubError(error, action);
  }
}

/** Runs a call and translates whatever it throws. */
export async function translated<T>(action: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw translateGithubError(error, action);
  }
}
