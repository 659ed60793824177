import { AppError, rateLimitDetails } from '../errors.js';

/**
 * HTTP plumbing shared by the OCI registry client: one status-to-AppError table, bounded
 * body reads, and requests that never follow redirects (a redirect could carry the
 * Authorization header to a host nobody configured).
 *
 *   401/403            forge-auth         permanent
 *   404                forge-not-found    permanent (only meaningful for the source manifest)
 *   429, 5xx, network  forge-unavailable  retryable, with Retry-After when the registry sent one
 *   other              forge-refused      permanent
 */

/** The distribution spec says registries SHOULD accept manifests of at least 4 MiB. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Token and error bodies are small; a larger answer is not a registry talking. */
export const MAX_SMALL_BODY_BYTES = 64 * 1024;

export type FetchFn = typeof fetch;

export interface HttpContext {
  readonly fetch: FetchFn;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
}

/** A fetch that turns a network failure or timeout into a retryable forge-unavailable. */
export async function send(ctx: HttpContext, url: URL, init: RequestInit, action: string): Promise<Response> {
  try {
    return await ctx.fetch(url, { ...init, redirect: 'manual', signal: ctx.signal });
  } catch {
    const timedOut = ctx.signal.aborted;
    const why = timedOut ? `no answer within ${ctx.timeoutMs} ms` : 'connection failed';
    // The cause is not attached: a fetch error may quote the request, headers included.
    throw new AppError('forge-unavailable', `container registry ${url.host}: ${action}: ${why}`, {
      retryable: true,
      details: { action, host: url.host, timedOut },
    });
  }
}

/** Reads at most `limit` bytes; a longer body is refused rather than buffered. */
export async function readCapped(response: Response, limit: number, action: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > limit) {
    await response.body?.cancel();
    throw new AppError('forge-refused', `container registry: ${action}: the body (${declared} bytes) is larger than ${limit} bytes`, { details: { action, limit } });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (response.body === null) return Buffer.alloc(0);
  for await (const chunk of response.body) {
    const buf = Buffer.from(chunk as Uint8Array);
    total += buf.length;
    if (total > limit) {
      throw new AppError('forge-refused', `container registry: ${action}: the body is larger than ${limit} bytes`, { details: { action, limit } });
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** The first `errors[].code` of a registry error body (MANIFEST_UNKNOWN, DENIED, ...), for details only. */
async function registryErrorCode(response: Response): Promise<string | null> {
  try {
    const body = JSON.parse((await readCapped(response, MAX_SMALL_BODY_BYTES, 'error body')).toString('utf8')) as unknown;
    const first = (body as { errors?: { code?: unknown }[] } | null)?.errors?.[0]?.code;
    return typeof first === 'string' && /^[A-Z_]{1,64}$/.test(first) ? first : null;
  } catch {
    return null;
  }
}

function retryAfterSeconds(response: Response): number | null {
  const raw = response.headers.get('retry-after')?.trim() ?? '';
  return /^\d{1,6}$/.test(raw) ? Number(raw) : null;
}

/** The AppError for an unexpected status; the body is read for the registry's error code only. */
export async function statusError(response: Response, url: URL, action: string): Promise<AppError> {
  const status = response.status;
  const registryCode = response.body === null ? null : await registryErrorCode(response);
  const details: Record<string, string | number | boolean | null> = { action, host: url.host, status, registryCode };
  const where = `container registry ${url.host}: ${action}: HTTP ${status}${registryCode === null ? '' : ` ${registryCode}`}`;
  if (status === 429 || status >= 500) {
    const after = retryAfterSeconds(response);
    if (status === 429) Object.assign(details, rateLimitDetails(after));
    else if (after !== null) details['retryAfterSeconds'] = after;
    return new AppError('forge-unavailable', where, { retryable: true, details });
  }
  if (status === 401 || status === 403) return new AppError('forge-auth', `${where} (credentials missing, wrong, or without pull and push rights)`, { details });
  if (status === 404) return new AppError('forge-not-found', where, { details });
  if (status >= 300 && status < 400) return new AppError('forge-refused', `${where} (redirects are not followed)`, { details });
  return new AppError('forge-refused', where, { details });
}
