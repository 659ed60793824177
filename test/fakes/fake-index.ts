// An honest fake package index on 127.0.0.1: the legacy upload API (twine's protocol)
// and the simple repository API, in two flavours. The rules it enforces, with their
// sources, are in fake-index-rules.ts; the pages in fake-index-simple.ts.
//   pypi:   POST /legacy/, GET /simple/, /simple/<name>/, files under /packages/
//           (pypi/warehouse forklift/legacy.py, docs/dev/api-reference/legacy.rst).
//   gitlab: POST /api/v4/projects/42/packages/pypi, GET .../simple/<name>, files under
//           .../files/<sha256>/<filename> (gitlabhq lib/api/pypi_packages.rb,
//           doc/user/packages/pypi_repository/index.md).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalizeName } from '../../src/core/names.js';
import { boundaryOf, parseMultipart } from './fake-index-multipart.js';
import { decideGitlab, decidePypi, tooLarge } from './fake-index-rules.js';
import type { IndexFlavour, IndexState, StoredEntry, StoredFile, UploadDecision } from './fake-index-rules.js';
import { negotiate, projectListHtml, projectListJson, projectPageHtml, projectPageJson } from './fake-index-simple.js';
import type { SimpleFile } from './fake-index-simple.js';

export type { IndexFlavour, StoredFile } from './fake-index-rules.js';

export interface FakeIndexOptions {
  flavour?: IndexFlavour;
  /** username -> password for Basic auth on uploads; omitted: uploads need no auth. */
  users?: Record<string, string>;
  /** Per-file limit; warehouse's default is 100 MiB (MAX_FILESIZE). */
  maxFileSize?: number;
  /** Reads need auth too, like a private GitLab project (401 without valid credentials). */
  privateReads?: boolean;
}

export interface FailSpec {
  status: number;
  afterStore?: boolean;
  retryAfter?: number;
  hang?: boolean;
}

export interface FakeIndex {
  readonly url: string;
  readonly uploadUrl: string;
  readonly simpleUrl: string;
  files(): StoredFile[];
  uploads: Array<{ status: number; filename: string | null }>;
  fail(n: number, how: FailSpec): void;
  deleteFile(filename: string): void;
  close(): Promise<void>;
}

const MIB = 1024 * 1024;
// Room for the metadata fields around the file (a long description) before the
// Content-Length alone proves the file too large.
const FORM_ALLOWANCE = MIB;

class TooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // Stop reading: warehouse gives up at the first chunk past the limit.
        req.off('data', onData);
        req.pause();
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function basicAuth(req: IncomingMessage): { user: string; password: string } | null {
  const header = req.headers.authorization;
  if (header === undefined || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export async function startFakeIndex(options: FakeIndexOptions = {}): Promise<FakeIndex> {
  const flavour = options.flavour ?? 'pypi';
  const state: IndexState = { flavour, maxFileSize: options.maxFileSize ?? 100 * MIB, entries: [], usedFilenames: new Set() };
  const uploads: FakeIndex['uploads'] = [];
  const failures: FailSpec[] = [];
  const base = flavour === 'pypi' ? '' : '/api/v4/projects/42/packages/pypi';
  const uploadPath = flavour === 'pypi' ? '/legacy/' : base;
  const simplePath = `${base}/simple/`;
  const filesPath = flavour === 'pypi' ? '/packages/' : `${base}/files/`;
  let origin = '';

  const authorized = (req: IncomingMessage): boolean => {
    if (options.users === undefined) return true;
    const creds = basicAuth(req);
    return creds !== null && Object.hasOwn(options.users, creds.user) && options.users[creds.user] === creds.password;
  };

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };

  // Warehouse puts the reason into the status line (_exc_with_message) and an HTML page
  // into the body; GitLab answers JSON {"message": ...} (Grape's params errors: "error").
  const refuse = (res: ServerResponse, status: number, message: string, key: 'message' | 'error' = 'message'): void => {
    if (flavour === 'pypi') {
      res.statusMessage = `${message}`.replace(/[^\x20-\x7e]/g, '?');
      send(res, status, `<html>\n <head>\n  <title>${status} ${message}</title>\n </head>\n <body>\n  <h1>${status} ${message}</h1>\n </body>\n</html>`, {
        'Content-Type': 'text/html; charset=UTF-8',
      });
    } else send(res, status, JSON.stringify({ [key]: message }), { 'Content-Type': 'application/json' });
  };

  const unauthorized = (res: ServerResponse, write: boolean): void => {
    if (flavour === 'pypi' && write) refuse(res, 403, 'Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.');
    else if (flavour === 'pypi') send(res, 401, 'Unauthorized', { 'WWW-Authenticate': 'Basic realm="fake index"' });
    else send(res, 401, JSON.stringify({ message: '401 Unauthorized' }), { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Basic realm="GitLab Packages Registry"' });
  };

  const answerUpload = async (req: IncomingMessage, res: ServerResponse, attempt: { status: number; filename: string | null }): Promise<void> => {
    const failure = failures.shift();
    if (failure?.hang === true) {
      req.resume();
      return; // never answered; close() drops the connection
    }
    const failNow = (): void => {
      if (failure === undefined) return;
      attempt.status = failure.status;
      const headers: Record<string, string> = failure.retryAfter === undefined ? {} : { 'Retry-After': String(failure.retryAfter) };
      send(res, failure.status, flavour === 'pypi' ? 'Service Unavailable' : JSON.stringify({ message: `${failure.status}` }), headers);
    };
    if (failure !== undefined && failure.afterStore !== true) {
      req.resume();
      req.on('end', failNow);
      return;
    }
    if (!authorized(req)) {
      req.resume();
      attempt.status = flavour === 'pypi' ? 403 : 401;
      unauthorized(res, true);
      return;
    }
    const limit = state.maxFileSize + FORM_ALLOWANCE;
    const declared = Number(req.headers['content-length']);
    let body: Buffer;
    try {
      if (Number.isFinite(declared) && declared > limit) throw new TooLarge();
      body = await readBody(req, limit);
    } catch (error) {
      if (!(error instanceof TooLarge)) throw error;
      attempt.status = 400;
      res.setHeader('Connection', 'close');
      res.on('finish', () => req.socket.destroy());
      refuse(res, 400, flavour === 'pypi' ? tooLarge('this project', state.maxFileSize) : '400 Bad request - File is too large');
      return;
    }
    const boundary = boundaryOf(req.headers['content-type']);
    const form = boundary === null ? null : parseMultipart(body, boundary);
    if (form === null) {
      attempt.status = 400;
      refuse(res, 400, flavour === 'pypi' ? 'Invalid or missing multipart/form-data body.' : 'content is missing', flavour === 'pypi' ? 'message' : 'error');
      return;
    }
    attempt.filename = form.files['content']?.filename ?? null;
    if (flavour === 'pypi' && (form.fields[':action']?.[0] ?? '') !== 'file_upload') {
      attempt.status = 400;
      refuse(res, 400, 'Invalid or missing :action; only file_upload is supported.');
      return;
    }
    const decision: UploadDecision = flavour === 'pypi' ? decidePypi(state, form) : decideGitlab(state, form);
    if (decision.kind === 'store') {
      state.entries.push(decision.entry);
      state.usedFilenames.add(decision.entry.filename);
    }
    if (failure !== undefined) {
      failNow();
      return;
    }
    attempt.status = decision.status;
    if (decision.kind === 'refuse') refuse(res, decision.status, decision.message, decision.key ?? 'message');
    else if (flavour === 'pypi') send(res, 200, '');
    else send(res, 201, JSON.stringify({ message: '201 Created' }), { 'Content-Type': 'application/json' });
  };

  const fileUrl = (e: StoredEntry): string => `${origin}${filesPath}${e.sha256}/${encodeURIComponent(e.filename)}`;

  const answerSimple = (req: IncomingMessage, res: ServerResponse, rest: string): void => {
    if (options.privateReads === true && !authorized(req)) return unauthorized(res, false);
    const chosen = negotiate(flavour, req.headers.accept);
    if (chosen === null) return send(res, 406, 'Not Acceptable');
    const headers = { 'Content-Type': chosen.type, Vary: 'Accept' };
    if (rest === '') {
      const names = [...new Set(state.entries.map((e) => e.project))].sort();
      return send(res, 200, chosen.json ? projectListJson(names) : projectListHtml(names), headers);
    }
    const raw = decodeURIComponent(rest.replace(/\/$/, ''));
    const name = canonicalizeName(raw);
    // warehouse redirects every non-normalized spelling (and a missing slash) to the
    // normalized URL; GitLab's finder looks the normalized name up directly.
    if (flavour === 'pypi' && (raw !== name || !rest.endsWith('/'))) {
      res.writeHead(301, { Location: `${simplePath}${encodeURIComponent(name)}/`, 'Content-Length': 0 });
      return void res.end();
    }
    const entries = state.entries.filter((e) => e.project === name);
    if (entries.length === 0) {
      return flavour === 'pypi' ? send(res, 404, 'Not Found') : send(res, 404, JSON.stringify({ message: '404 Package Not Found' }), { 'Content-Type': 'application/json' });
    }
    const files: SimpleFile[] = entries.map((e) => ({ filename: e.filename, url: fileUrl(e), sha256: e.sha256, size: e.size, version: e.version, requiresPython: e.requiresPython }));
    send(res, 200, chosen.json ? projectPageJson(name, files) : projectPageHtml(name, files), headers);
  };

  const answerFile = (req: IncomingMessage, res: ServerResponse, rest: string): void => {
    if (options.privateReads === true && !authorized(req)) return unauthorized(res, false);
    const slash = rest.indexOf('/');
    const sha256 = rest.slice(0, slash);
    const filename = decodeURIComponent(rest.slice(slash + 1));
    const entry = state.entries.find((e) => e.sha256 === sha256 && e.filename === filename);
    if (entry === undefined) return send(res, 404, 'Not Found');
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': entry.content.length });
    res.end(entry.content);
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const attemptUpload = req.method === 'POST' && (path === uploadPath || (flavour === 'gitlab' && path === `${uploadPath}/`));
    if (attemptUpload) {
      const attempt = { status: 0, filename: null as string | null };
      uploads.push(attempt);
      answerUpload(req, res, attempt).catch(() => {
        attempt.status = 500;
        if (!res.headersSent) send(res, 500, 'Internal Server Error');
      });
      return;
    }
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method Not Allowed');
    if (path === simplePath.slice(0, -1) || path.startsWith(simplePath)) return answerSimple(req, res, path.slice(simplePath.length));
    if (path.startsWith(filesPath)) return answerFile(req, res, path.slice(filesPath.length));
    send(res, 404, 'Not Found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    uploadUrl: `${origin}${flavour === 'pypi' ? '/legacy/' : base}`,
    simpleUrl: `${origin}${simplePath}`,
    files: () => state.entries.map(({ content: _c, requiresPython: _r, ...file }) => ({ ...file, fields: { ...file.fields } })),
    uploads,
    fail(n, how) {
      for (let i = 0; i < n; i++) failures.push({ ...how });
    },
    deleteFile(filename) {
      const i = state.entries.findIndex((e) => e.filename === filename);
      if (i >= 0) state.entries.splice(i, 1);
      // pypi keeps the name in its Filename table forever; GitLab frees it.
      if (flavour === 'gitlab') state.usedFilenames.delete(filename);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
