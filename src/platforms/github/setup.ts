import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, basename } from 'node:path';
import { ProbotOctokit } from 'probot';
import { z } from 'zod';
import { buildManifest, createAppUrl, manifestPage } from './setup-manifest.js';

/**
 * `pyrelease github setup`: Probot's manifest flow (probot src/apps/setup.ts,
 * ManifestCreation), run as a short-lived local server instead of inside the service:
 * a page on 127.0.0.1 posts app.yml to GitHub, GitHub sends the browser back with a
 * one-time `code`, and POST /app-manifests/{code}/conversions returns the App's id,
 * private key and webhook secret, which go to files (mode 0600), never to stdout.
 */

/** What GitHub answers to a conversion (REST "Create a GitHub App from a manifest"), the fields we keep. */
const conversionSchema = z.looseObject({
  id: z.number().int().positive(),
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/),
  html_url: z.url({ protocol: /^https?$/ }),
  pem: z.string().includes('PRIVATE KEY'),
  webhook_secret: z.string().min(1),
});
export type AppConversion = z.infer<typeof conversionSchema>;

export type ConversionResult = { readonly ok: true; readonly app: AppConversion } | { readonly ok: false; readonly reason: string };

const CODE = /^[A-Za-z0-9_-]{1,200}$/;

/** The one-time code -> the App's credentials. Not retried: a code works once. */
export async function convertManifestCode(apiUrl: string, code: string): Promise<ConversionResult> {
  if (!CODE.test(code)) return { ok: false, reason: 'the code from GitHub is malformed' };
  const octokit = new ProbotOctokit({ baseUrl: apiUrl, retry: { enabled: false }, throttle: { enabled: false } });
  let data: unknown;
  try {
    data = (await octokit.request('POST /app-manifests/{code}/conversions', { code })).data;
  } catch (error) {
    // Octokit reports a connection failure as a RequestError with status 500 and no
    // response: only an error that carries a response is GitHub's answer. Status only:
    // an error text could echo what we sent.
    const { status, response } = error as { status?: unknown; response?: unknown };
    if (typeof status !== 'number' || response === undefined) return { ok: false, reason: 'GitHub could not be reached' };
    return { ok: false, reason: `GitHub refused the code (HTTP ${status}); codes expire after an hour and work once` };
  }
  const parsed = conversionSchema.safeParse(data);
  return parsed.success ? { ok: true, app: parsed.data } : { ok: false, reason: 'GitHub answered without an App id, slug, key or webhook secret' };
}

export interface CredentialFiles {
  readonly envFile: string;
  readonly keyFile: string;
}

/** Keys this writes in the env file; PRIVATE_KEY is dropped because PRIVATE_KEY_PATH replaces it. */
const OWNED_KEYS = ['APP_ID', 'APP_SLUG', 'PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'WEBHOOK_SECRET'];

/**
 * The key to its own file and APP_ID, APP_SLUG, PRIVATE_KEY_PATH and WEBHOOK_SECRET into
 * the env file, keeping its other lines. Both are written to a temporary file created
 * with mode 0600 and renamed over the target, so no reader ever sees a wider mode or
 * half a file. The OAuth client secret is not kept: pyrelease does not sign users in.
 */
export async function writeAppCredentials(app: AppConversion, files: CredentialFiles): Promise<void> {
  await writePrivate(files.keyFile, app.pem.endsWith('\n') ? app.pem : `${app.pem}\n`);
  let existing = '';
  try {
    existing = await readFile(files.envFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const kept = existing.split('\n').filter((line) => line.trim() !== '' && !OWNED_KEYS.includes(line.replace(/^\s*export\s+/, '').split('=')[0]?.trim() ?? ''));
  const ours = [`APP_ID=${app.id}`, `APP_SLUG=${app.slug}`, `PRIVATE_KEY_PATH=${dotenvQuote(files.keyFile)}`, `WEBHOOK_SECRET=${dotenvQuote(app.webhook_secret)}`];
  await writePrivate(files.envFile, [...kept, ...ours].join('\n') + '\n');
}

async function writePrivate(path: string, content: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, content, { mode: 0o600, flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function dotenvQuote(value: string): string {
  return /^[A-Za-z0-9_./:@+-]+$/.test(value) ? value : `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface ManifestFlowOptions {
  readonly appYml: Readonly<Record<string, unknown>>;
  readonly webhookUrl: string;
  readonly webUrl: string;
  readonly apiUrl: string;
  readonly org: string | null;
  readonly files: CredentialFiles;
  readonly name?: string | undefined;
  readonly homepageUrl?: string | undefined;
  /** 0 picks a free port. */
  readonly port: number;
  readonly timeoutMs: number;
  /** Called once the local page is up, with its URL (the command prints it). */
  onListening(url: string): void;
}

export type ManifestFlowResult =
  | { readonly ok: true; readonly appId: number; readonly slug: string; readonly installUrl: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Serves the page on 127.0.0.1 until GitHub sends the browser back (or the timeout),
 * then converts the code and writes the files. Only requests whose Host is this
 * server's own address are answered (a page elsewhere cannot drive it through DNS
 * rebinding), and the callback must carry the random `state` the page sent.
 */
export async function runManifestFlow(options: ManifestFlowOptions): Promise<ManifestFlowResult> {
  const state = randomBytes(16).toString('hex');
  let settle: (result: ManifestFlowResult) => void = () => undefined;
  const done = new Promise<ManifestFlowResult>((resolve) => {
    settle = resolve;
  });
  let finished = false;
  let page = '';
  let origin = '';

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) text(res, 500, 'setup failed');
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const host = req.headers.host ?? '';
    if (`http://${host}` !== origin && `http://${host}` !== origin.replace('127.0.0.1', 'localhost')) return text(res, 421, 'wrong host');
    const url = new URL(req.url ?? '/', origin);
    if (req.method !== 'GET') return text(res, 405, 'method not allowed');
    if (url.pathname === '/') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': `default-src 'none'; form-action ${new URL(options.webUrl).origin}`,
        'cache-control': 'no-store',
      });
      res.end(page);
      return;
    }
    if (url.pathname !== '/callback') return text(res, 404, 'not found');
    if (finished) return text(res, 409, 'setup has already finished');
    const code = url.searchParams.get('code');
    if (url.searchParams.get('state') !== state || code === null) return text(res, 400, 'state or code missing or wrong: start again from the setup page');
    finished = true;
    const converted = await convertManifestCode(options.apiUrl, code);
    if (!converted.ok) {
      text(res, 502, `${converted.reason}\n`, () => settle({ ok: false, reason: converted.reason }));
      return;
    }
    await writeAppCredentials(converted.app, options.files);
    const installUrl = `${converted.app.html_url}/installations/new`;
    res.writeHead(302, { location: installUrl, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    // Settled once the answer is out: the server closes right after.
    res.end(`App created. Install it: ${installUrl}\n`, () => settle({ ok: true, appId: converted.app.id, slug: converted.app.slug, installUrl }));
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const action = createAppUrl(options.webUrl, options.org, state);
  if (action === null) {
    server.close();
    return { ok: false, reason: 'the organisation name is not valid' };
  }
  const manifest = buildManifest({ appYml: options.appYml, webhookUrl: options.webhookUrl, redirectUrl: `${origin}/callback`, name: options.name, homepageUrl: options.homepageUrl });
  page = manifestPage(action, manifest);
  const timer = setTimeout(() => settle({ ok: false, reason: `no answer from GitHub within ${Math.round(options.timeoutMs / 1000)} s` }), options.timeoutMs);
  options.onListening(`${origin}/`);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function text(res: ServerResponse, status: number, body: string, sent?: () => void): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body, sent);
}
