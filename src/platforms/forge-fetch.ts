import { AppError } from '../errors.js';

/**
 * One plain HTTP request to a forge, for the few calls made without its client library
 * (a web process's bot lookups). A refused connection, a DNS failure or no answer within
 * timeoutMs is a retryable forge-unavailable; the caller judges the status.
 */
export async function forgeFetch(url: URL | string, init: { headers: Record<string, string> }, what: string, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw new AppError('forge-unavailable', timedOut ? `${what} got no answer within ${timeoutMs} ms` : `could not reach the forge for ${what}`, { retryable: true, cause: error });
  }
}
