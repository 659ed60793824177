import { GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError } from '@gitbeaker/rest';
import { AppError, rateLimitDetails } from '../../errors.js';

/**
 * The one place where @gitbeaker/rest's errors become AppErrors. Errors are told apart
 * by HTTP status, never by GitLab's message text (which differs between versions).
 *
 *   401/403            forge-auth         permanent (a token without the `api` scope, revoked)
 *   404                forge-not-found    permanent
 *   429, 5xx, network  forge-unavailable  retryable
 *   other 4xx          forge-refused      permanent
 *
 * Rate limits: gitbeaker retries 429 and 502 by itself, 10 attempts in about a quarter
 * of a second (2^i * 0.25 ms apart), without reading Retry-After, then throws a
 * GitbeakerRetryError that names the last status only in its message. A 429 storm
 * therefore ends fast as a rate-limited forge-unavailable with retryAfterSeconds =
 * RATE_LIMIT_BACKOFF_SECONDS (GitLab's limits are counted per minute:
 * doc/security/rate_limits.md), which the job queue waits out (jobs/throttle.ts) instead
 * of hammering the forge; a 502 storm backs off as long and spends an attempt.
 *
 * The gitbeaker error is never attached as `cause`: its `cause.request` carries the
 * PRIVATE-TOKEN header, and loggers serialize causes.
 */
export const RATE_LIMIT_BACKOFF_SECONDS = 60;

const DESCRIPTION_LIMIT = 200;

/** The HTTP status of a gitbeaker request error, or null when there was no response. */
export function gitlabStatus(error: unknown): number | null {
  if (!(error instanceof GitbeakerRequestError)) return null;
  const cause = error.cause as { response?: { status?: unknown } } | undefined;
  return typeof cause?.response?.status === 'number' ? cause.response.status : null;
}

function retryAfterOf(error: GitbeakerRequestError): number | null {
  const cause = error.cause as { response?: { headers?: { get?: (name: string) => string | null } } } | undefined;
  const raw = cause?.response?.headers?.get?.('retry-after') ?? null;
  if (raw === null || !/^\d{1,6}$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

/** GitLab's own words, cut short and kept to one printable line (they go into logs). */
function describe(error: GitbeakerRequestError): string {
  const cause = error.cause as { description?: unknown } | undefined;
  const text = typeof cause?.description === 'string' ? cause.description : '';
  return [...text.replace(/[^\x20-\x7e\u00a0-\uffff]+/g, ' ')].slice(0, DESCRIPTION_LIMIT).join('');
}

export function translateGitlabError(error: unknown, action: string): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof GitbeakerRetryError) {
    // The one place a message is read: the error carries the last status only in its
    // text ("... last status code: 429. ..."). A 429 storm is a rate limit the queue
    // waits out; a 502 storm is an outage that spends attempts. Should the text change,
    // a 429 storm falls back to spending attempts: the old, safe behaviour.
    const limited = /\blast status code: 429\b/.test(error.message);
    return new AppError('forge-unavailable', `GitLab kept answering ${limited ? 429 : 502} to ${action}; gitbeaker gave up after its retries`, {
      retryable: true,
      details: limited ? { action, ...rateLimitDetails(RATE_LIMIT_BACKOFF_SECONDS) } : { action, retryAfterSeconds: RATE_LIMIT_BACKOFF_SECONDS },
    });
  }
  if (error instanceof GitbeakerTimeoutError) {
    return new AppError('forge-unavailable', `GitLab did not answer ${action} in time`, { retryable: true, details: { action } });
  }
  const status = gitlabStatus(error);
  if (status === null || !(error instanceof GitbeakerRequestError)) {
    // fetch's TypeError ("fetch failed"): refused or reset connections, DNS.
    return new AppError('forge-unavailable', `could not reach GitLab for ${action}`, { retryable: true, details: { action } });
  }
  const details = { action, status, gitlabMessage: describe(error) };
  if (status === 401 || status === 403) return new AppError('forge-auth', `GitLab refused our token (${status}) for ${action}`, { details });
  if (status === 404) return new AppError('forge-not-found', `GitLab found nothing (404) for ${action}`, { details });
  if (status === 429 || status >= 500) {
    const after = status === 429 ? (retryAfterOf(error) ?? RATE_LIMIT_BACKOFF_SECONDS) : null;
    return new AppError('forge-unavailable', `GitLab answered ${status} to ${action}`, {
      retryable: true,
      details: after === null ? details : { ...details, ...rateLimitDetails(after) },
    });
  }
  return new AppError('forge-refused', `GitLab refused ${action} (${status})`, { details });
}

/** Runs a read and turns GitLab's 404 into null; other errors are translated. */
export async function orNull<T>(action: string, run: () => Promise<T>): Promise<T | null> {
  try {
    return await run();
  } catch (error) {
    if (gitlabStatus(error) === 404) return null;
    throw translateGitlabError(error, action);
  }
}

/** Runs a call and translates whatever it throws. */
export async function translated<T>(action: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw translateGitlabError(error, action);
  }
}
