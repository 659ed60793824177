// One legacy-protocol upload (twine's Repository._upload): a multipart POST of the form
// fields and the file, Basic auth, no redirects. The response is classified by status
// only: the index's text is kept for people, never used to decide anything (error
// texts differ per index and per version; "already exists" is decided by looking the
// file and its sha256 up in the simple index, see index-lookup.ts).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { openAsBlob } from 'node:fs';
import { AppError, rateLimitDetails } from '../errors.js';
import type { DistInfo } from './inspect.js';
import { uploadFields } from './upload-form.js';

export interface UploadRequest {
  readonly uploadUrl: string;
  readonly username: string;
  readonly password: string;
  readonly info: DistInfo;
  readonly timeoutMs: number;
  readonly fetch?: typeof globalThis.fetch;
  readonly userAgent?: string;
  /** Told the bytes of the body read for sending so far, and the total: progress for a terminal. */
  readonly onProgress?: (sent: number, total: number) => void;
}

export interface UploadResponse {
  readonly status: number;
  /** The index's answer, secrets removed, at most MAX_BODY characters. */
  readonly body: string;
}

const MAX_REASON = 500;
const MAX_BODY = 64 * 1024;

let cachedAgent: string | undefined;
/** `pyrelease/<version>`, from package.json (src/ and dist/ sit at the same depth). */
export function defaultUserAgent(): string {
  if (cachedAgent === undefined) {
    let version = '0.0.0';
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      if (typeof pkg.version === 'string') version = pkg.version;
    } catch {
      // A bundled copy without package.json still uploads; the version is only informative.
    }
    cachedAgent = `pyrelease/${version}`;
  }
  return cachedAgent;
}

// HTML5 multipart escaping of names (what undici's FormData and urllib3 do for quotes and newlines).
function quoteParam(value: string): string {
  return value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * The multipart body, built by hand rather than with FormData: FormData turns every
 * "\n" in a text value into "\r\n" (the HTML form rules), so descriptions would reach
 * the index changed. twine (requests_toolbelt) sends the bytes as they are; so do we.
 */
export async function multipartBody(fields: ReadonlyArray<readonly [string, string]>, info: DistInfo): Promise<{ body: Blob; contentType: string }> {
  const boundary = randomBytes(16).toString('hex');
  const parts: Array<string | Blob> = [];
  for (const [name, value] of fields) {
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${quoteParam(name)}"\r\n\r\n`, value, '\r\n');
  }
  const file = await openAsBlob(info.path, { type: 'application/octet-stream' });
  parts.push(
    `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="${quoteParam(info.filename)}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
    file,
    `\r\n--${boundary}--\r\n`,
  );
  return { body: new Blob(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * The body as a Blob that counts what fetch reads from it. Still a Blob, so fetch still
 * sends a Content-Length, as twine does: a ReadableStream body would go out chunked,
 * which not every index accepts. Reads run at most a buffer ahead of the socket, which
 * is close enough for a progress line.
 */
class ProgressBlob extends Blob {
  constructor(
    body: Blob,
    private readonly onProgress: (sent: number, total: number) => void,
  ) {
    super([body], { type: body.type });
  }

  override stream(): ReturnType<Blob['stream']> {
    let sent = 0;
    const total = this.size;
    const report = this.onProgress;
    return super.stream().pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          sent += chunk.byteLength;
          report(sent, total);
          controller.enqueue(chunk);
        },
      }),
    );
  }
}

/** Removes every form of the credentials we sent, then control characters. */
export function redact(text: string, username: string, password: string): string {
  const secrets = [
    Buffer.from(`${username}:${password}`).toString('base64'),
    password,
    encodeURIComponent(password),
    Buffer.from(password).toString('base64'),
  ].filter((s) => s.length >= 4);
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  // eslint-disable-next-line no-control-regex
  return out.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ');
}

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

async function readCapped(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
    if (total >= MAX_BODY) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY);
}

/** Retry-After as seconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

function parseUploadUrl(uploadUrl: string): URL {
  let url: URL;
  try {
    url = new URL(uploadUrl);
  } catch {
    throw new AppError('config-invalid', 'the upload URL is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppError('config-invalid', `the upload URL must be http(s), not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    // Never echo it: the userinfo may hold a token.
    throw new AppError('config-invalid', 'the upload URL must not contain credentials; pass a username and password instead');
  }
  return url;
}

export async function uploadDistribution(request: UploadRequest): Promise<UploadResponse> {
  const { info, username, password } = request;
  const url = parseUploadUrl(request.uploadUrl);
  const target = `${url.origin}${url.pathname}`;
  const doFetch = request.fetch ?? globalThis.fetch;
  const form = await multipartBody(uploadFields(info), info);
  const { contentType } = form;
  const body = request.onProgress === undefined ? form.body : new ProgressBlob(form.body, request.onProgress);
  const base = { filename: info.filename, url: target };

  let response: Response;
  let text: string;
  try {
    response = await doFetch(url, {
      method: 'POST',
      body,
      redirect: 'manual',
      headers: {
        authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
        'content-type': contentType,
        'user-agent': request.userAgent ?? defaultUserAgent(),
      },
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    text = redact(await readCapped(response), username, password);
  } catch (error) {
    const timedOut = error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError');
    const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
    const why = timedOut ? `no answer within ${request.timeoutMs} ms` : typeof cause === 'string' ? cause : 'connection failed';
    throw new AppError('network', redact(`uploading ${info.filename} to ${target} failed: ${why}`, username, password), {
      retryable: true,
      details: { ...base, timedOut },
    });
  }

  const status = response.status;
  if (status >= 200 && status < 300) return { status, body: text };
  const reason = shorten(redact(`${response.statusText} ${text}`, username, password), MAX_REASON);
  const details = { ...base, status, reason };
  if (status >= 300 && status < 400) {
    // twine raises RedirectDetected: an index never redirects an upload, so the URL is
    // probably wrong (http instead of https, a missing trailing path) or hostile.
    const location = response.headers.get('location');
    const where = location === null ? '' : ` to ${shorten(redact(location, username, password), 200)}`;
    throw new AppError('index-refused', `${target} answered ${status} (a redirect${where}) to the upload of ${info.filename}; the upload URL is probably wrong`, { details });
  }
  if (status === 401 || status === 403) {
    throw new AppError('index-auth', `${target} refused the credentials for ${info.filename}: ${status} ${reason}`, { details });
  }
  if (status === 429 || status >= 500) {
    const after = retryAfterSeconds(response.headers.get('retry-after'));
    throw new AppError('index-unavailable', `${target} could not take ${info.filename} now: ${status} ${reason}`, {
      retryable: true,
      details: status === 429 ? { ...details, ...rateLimitDetails(after) } : { ...details, retryAfterSeconds: after },
    });
  }
  throw new AppError('index-refused', `${target} refused ${info.filename}: ${status} ${reason}`, { details });
}
