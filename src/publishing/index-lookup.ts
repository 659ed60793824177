// Asks a package index which files a project already has, through the simple
// repository API (PEP 503 HTML / PEP 691 JSON), the way `uv publish --check-url` does:
// "already uploaded" is decided by file name and sha256, never by an upload error's
// text (twine 6.2 dropped --skip-existing outside PyPI because those texts differ).
import { z } from 'zod';
import { AppError } from '../errors.js';
import { canonicalizeName } from '../core/names.js';
import { parseSimpleHtml } from './simple-html.js';

export interface IndexFile {
  readonly filename: string;
  readonly sha256: string | null;
  readonly url: string | null;
}

export interface LookupOptions {
  readonly auth?: { username: string; password: string };
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export type FileState = { state: 'absent' } | { state: 'present'; sha256: string | null };

const ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';
const MAX_BYTES = 20 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const DEFAULT_TIMEOUT_MS = 30_000;
const SHA256 = /^[0-9a-fA-F]{64}$/;

// PEP 691: clients must refuse a major api-version they do not know; extra keys are fine.
const jsonPage = z.object({
  meta: z.object({ 'api-version': z.string().regex(/^1\.\d+$/, 'unsupported api-version') }),
  files: z.array(z.object({ filename: z.string().min(1), url: z.string(), hashes: z.record(z.string(), z.string()) })),
});

function unavailable(message: string, details: Record<string, string | number | boolean | null>, cause?: unknown, retryable = true): AppError {
  return new AppError('index-unavailable', message, { retryable, details, ...(cause === undefined ? {} : { cause }) });
}

function resolveUrl(href: string, base: string): string | null {
  try {
    const url = new URL(href, base);
    url.hash = '';
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function hashOf(value: string | undefined): string | null {
  return value !== undefined && SHA256.test(value) ? value.toLowerCase() : null;
}

function fromJson(text: string, pageUrl: string, where: Record<string, string>): IndexFile[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw unavailable(`The index answered invalid JSON for ${where['url']}`, where, cause);
  }
  const page = jsonPage.safeParse(data);
  if (!page.success) {
    const issue = page.error.issues[0];
    throw unavailable(`The index answered a malformed PEP 691 page for ${where['url']}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(), where);
  }
  return page.data.files.map((f) => ({ filename: f.filename, sha256: hashOf(f.hashes['sha256']), url: resolveUrl(f.url, pageUrl) }));
}

function fromHtml(text: string, pageUrl: string): IndexFile[] {
  return parseSimpleHtml(text).map((link) => {
    const hash = link.href.indexOf('#');
    const fragment = hash < 0 ? '' : link.href.slice(hash + 1);
    const sha = /^sha256=(.*)$/i.exec(fragment)?.[1];
    let filename = link.text;
    const url = resolveUrl(link.href, pageUrl);
    if (filename === '' && url !== null) filename = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
    return { filename, sha256: hashOf(sha), url };
  }).filter((f) => f.filename !== '');
}

async function readCapped(res: Response, where: Record<string, string>): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_BYTES) {
    await res.body?.cancel();
    throw unavailable(`The index page for ${where['url']} is larger than ${MAX_BYTES} bytes`, where, undefined, false);
  }
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BYTES) {
      await reader.cancel();
      throw unavailable(`The index page for ${where['url']} is larger than ${MAX_BYTES} bytes`, where, undefined, false);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Splits credentials out of the URL: fetch refuses them there, and they must never reach a message. */
function prepare(simpleUrl: string, project: string, auth: LookupOptions['auth']): { url: URL; authorization: string | null } {
  let base: URL;
  try {
    base = new URL(simpleUrl.endsWith('/') ? simpleUrl : `${simpleUrl}/`);
  } catch (cause) {
    throw new AppError('config-invalid', 'The simple index URL is not a valid URL', { cause });
  }
  let creds = auth ?? null;
  if (base.username !== '' || base.password !== '') {
    creds ??= { username: decodeURIComponent(base.username), password: decodeURIComponent(base.password) };
    base.username = '';
    base.password = '';
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new AppError('config-invalid', `The simple index URL must be http(s), not ${base.protocol}`);
  const url = new URL(`${encodeURIComponent(canonicalizeName(project))}/`, base);
  const authorization = creds === null ? null : `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
  return { url, authorization };
}

/** Every file the index lists for `project`; [] when the project does not exist (404). */
export async function listIndexFiles(simpleUrl: string, project: string, options: LookupOptions = {}): Promise<IndexFile[]> {
  const { url: start, authorization } = prepare(simpleUrl, project, options.auth);
  const doFetch = options.fetch ?? fetch;
  const signal = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const headers: Record<string, string> = { Accept: ACCEPT };
  if (authorization !== null) headers['Authorization'] = authorization;
  let url = start;
  try {
    for (let hop = 0; ; hop++) {
      const where = { url: url.href, project: canonicalizeName(project) };
      const res = await doFetch(url, { headers, redirect: 'manual', signal });
      if (res.status >= 300 && res.status < 400 && res.headers.has('location')) {
        await res.body?.cancel();
        const next = new URL(res.headers.get('location') ?? '', url);
        // Never follow the index elsewhere: the credentials would go along, and a
        // redirect to an internal address is the SSRF class of bug.
        if (next.origin !== start.origin) throw unavailable(`The index redirected ${url.href} to another origin (${next.origin}); not followed`, { ...where, location: next.origin }, undefined, false);
        if (hop >= MAX_REDIRECTS) throw unavailable(`The index redirected more than ${MAX_REDIRECTS} times for ${start.href}`, where, undefined, false);
        url = next;
        continue;
      }
      if (res.status === 404) {
        await res.body?.cancel();
        return [];
      }
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        throw new AppError('index-auth', `The index refused the credentials for ${url.href} (HTTP ${res.status})`, { retryable: false, details: { ...where, status: res.status } });
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        const transient = res.status === 429 || res.status >= 500;
        throw unavailable(`The index answered HTTP ${res.status} for ${url.href}`, { ...where, status: res.status }, undefined, transient);
      }
      const text = await readCapped(res, where);
      const type = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (type.endsWith('+json') || type === 'application/json') return fromJson(text, url.href, where);
      if (type.endsWith('+html') || type === 'text/html' || type === '') return fromHtml(text, url.href);
      throw unavailable(`The index answered ${type} for ${url.href}, neither PEP 691 JSON nor HTML`, { ...where, contentType: type });
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    const timedOut = signal.aborted;
    throw unavailable(
      timedOut ? `The index did not answer within ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms for ${url.href}` : `Could not reach the index at ${url.href}`,
      { url: url.href, project: canonicalizeName(project), reason: timedOut ? 'timeout' : 'network' },
      error,
    );
  }
}

/** Whether the index has exactly this file name (a file name is unique on an index), and its sha256. */
export async function lookupFile(simpleUrl: string, project: string, filename: string, options: LookupOptions = {}): Promise<FileState> {
  const found = (await listIndexFiles(simpleUrl, project, options)).find((f) => f.filename === filename);
  return found === undefined ? { state: 'absent' } : { state: 'present', sha256: found.sha256 };
}
