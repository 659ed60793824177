// An honest fake GitLab REST API (v4) on 127.0.0.1 for the adapter tests: the routes in
// fake-gitlab-*-routes.ts (each file names the gitlabhq doc/api pages it follows), plus
// whatever route modules a test plugs in with `startFakeGitlab({ routes })`.
//   auth:   `PRIVATE-TOKEN: <token>` or `Authorization: Bearer <token>`; otherwise
//           401 {"message":"401 Unauthorized"} (lib/api/helpers.rb unauthorized!)
//   :id     a numeric project id or the URL-encoded path (`group%2Fproject`);
//           unknown: 404 {"message":"404 Project Not Found"}
//   other:  unknown routes 404 {"error":"404 Not Found"} (Grape's catch-all)
// Conditional requests: a 200 JSON answer to a GET carries a weak ETag of its body and a
// GET whose If-None-Match names it is answered 304 with no body (Rails' Rack::ETag and
// Rack::ConditionalGet around the API); raw files and archives, which Workhorse serves,
// carry none. Rate limits (doc/administration/settings/user_and_ip_rate_limits.md, and
// gitlab.com's 2,000 authenticated API requests a minute): off by default, as on a
// self-managed instance; with `rateLimit` every authenticated answer carries
// RateLimit-Limit / -Observed / -Remaining / -Reset (epoch seconds) / -ResetTime, every
// request counts (a 304 too: Rack::Attack counts before the app answers), and past the
// limit the answer is 429 "Retry later" with Retry-After.
// Faults: the next N requests to a route answer 429 (with Retry-After) / 500 / 502 / 503,
// optionally after performing the write, which is the lost-response case a retrying
// client turns into a duplicate. Every request is logged for assertions.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { branchRoutes } from './fake-gitlab-branch-routes.js';
import { json, matchRoute, routeKey } from './fake-gitlab-http.js';
import type { FakeRoute, Reply } from './fake-gitlab-http.js';
import { notesRoutes } from './fake-gitlab-notes-routes.js';
import { projectRoutes } from './fake-gitlab-project-routes.js';
import { releaseRoutes } from './fake-gitlab-release-routes.js';
import { repoRoutes } from './fake-gitlab-repo-routes.js';
import { findProject, newState } from './fake-gitlab-state.js';
import type { FakeGitlabState, FakeProject, FakeUser } from './fake-gitlab-state.js';

export interface FakeGitlabOptions {
  /** Extra route modules, tried before the built-in ones. */
  routes?: readonly FakeRoute[];
  /** Authenticated API requests per user and window (gitlab.com: 2,000 a minute); unset: no limit and no RateLimit headers. */
  rateLimit?: { readonly limit: number; readonly windowSeconds?: number };
}

export interface FakeRate {
  readonly limit: number;
  readonly observed: number;
  readonly remaining: number;
  /** Epoch ms. */
  readonly resetAt: number;
}

export interface FaultSpec {
  /** `METHOD pattern`, e.g. `POST /projects/:id/repository/tags` (see routeKey). */
  route: string;
  status: 429 | 500 | 502 | 503;
  count?: number;
  retryAfter?: number;
  /** Perform the request first, then answer the fault (the response is lost). */
  afterWrite?: boolean;
  /** Answer every request of the route with the fault until this time (epoch ms) instead of `count` times: a limit that lasts. */
  until?: number;
}

export interface LoggedRequest {
  readonly method: string;
  /** The raw request target below the origin, still URL-encoded. */
  readonly url: string;
  readonly route: string | null;
  readonly status: number;
  readonly userId: number | null;
  readonly faulted: boolean;
  /** The If-None-Match the request came with, if any. */
  readonly ifNoneMatch: string | null;
}

export interface FakeGitlab {
  /** Origin to give @gitbeaker/rest as `host`. */
  readonly url: string;
  readonly state: FakeGitlabState;
  readonly log: LoggedRequest[];
  addUser(username: string, token: string): FakeUser;
  addProject(pathWithNamespace: string, defaultBranch?: string): FakeProject;
  /** A user's rate-limit window (with `rateLimit` set). */
  rate(userId: number): FakeRate;
  /** Sets how much of a user's window is spent: a low budget. */
  setRate(userId: number, rate: { observed?: number; resetIn?: number }): void;
  fault(spec: FaultSpec): void;
  close(): Promise<void>;
}

const BODY_LIMIT = 1024 * 1024;

async function readInput(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) return null;
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function tokenOf(req: IncomingMessage): string | undefined {
  const priv = req.headers['private-token'];
  if (typeof priv === 'string') return priv;
  const auth = req.headers.authorization;
  return auth !== undefined && /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
}

function faultReply(spec: FaultSpec): Reply {
  if (spec.status === 429) {
    // Rack::Attack's throttled response (doc/user/gitlab_com/_index.md, rate limits).
    return { status: 429, raw: Buffer.from('Retry later\n'), headers: { 'Content-Type': 'text/plain', 'Retry-After': String(spec.retryAfter ?? 60), 'RateLimit-Remaining': '0' } };
  }
  if (spec.status === 500) return json(500, { message: '500 Internal Server Error' });
  // 502/503 come from the proxy in front of Rails, as HTML.
  const text = spec.status === 502 ? '502 Bad Gateway' : '503 Service Unavailable';
  return { status: spec.status, raw: Buffer.from(`<html><body><h1>${text}</h1></body></html>`), headers: { 'Content-Type': 'text/html' } };
}

interface Window {
  observed: number;
  resetAt: number;
}

/** Sends the reply (a 304 where a JSON GET's ETag matches If-None-Match) and returns the status sent. */
function send(res: ServerResponse, reply: Reply, method: string, ifNoneMatch: string | undefined, extra: Record<string, string>): number {
  const headers: Record<string, string> = { ...extra, ...(reply.headers ?? {}) };
  let payload: Buffer = Buffer.alloc(0);
  let status = reply.status;
  if (reply.raw !== undefined) payload = reply.raw;
  else if (reply.body !== undefined) {
    payload = Buffer.from(JSON.stringify(reply.body));
    headers['Content-Type'] ??= 'application/json';
    if (method === 'GET' && status === 200) {
      // Rack::ETag: a weak ETag of the body (SHA-256, first 32 hex digits, as Rack 3 does).
      const etag = `W/"${createHash('sha256').update(payload).digest('hex').slice(0, 32)}"`;
      headers['ETag'] = etag;
      if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim() === etag)) {
        status = 304;
        payload = Buffer.alloc(0);
        delete headers['Content-Type'];
      }
    }
  }
  headers['Content-Length'] = String(payload.length);
  res.writeHead(status, headers);
  res.end(payload);
  return status;
}

export async function startFakeGitlab(options: FakeGitlabOptions = {}): Promise<FakeGitlab> {
  const state = newState();
  const routes: FakeRoute[] = [...(options.routes ?? []), ...projectRoutes, ...repoRoutes, ...notesRoutes, ...releaseRoutes, ...branchRoutes];
  const windows = new Map<number, Window>();
  const windowMs = (options.rateLimit?.windowSeconds ?? 60) * 1000;
  const windowOf = (userId: number): Window => {
    let w = windows.get(userId);
    const now = Date.now();
    if (w === undefined || w.resetAt <= now) {
      w = { observed: 0, resetAt: (Math.floor(now / windowMs) + 1) * windowMs };
      windows.set(userId, w);
    }
    return w;
  };
  const rateHeaders = (w: Window, limit: number): Record<string, string> => ({
    'RateLimit-Limit': String(limit),
    'RateLimit-Observed': String(w.observed),
    'RateLimit-Remaining': String(Math.max(0, limit - w.observed)),
    'RateLimit-Reset': String(Math.ceil(w.resetAt / 1000)),
    'RateLimit-ResetTime': new Date(w.resetAt).toUTCString(),
  });
  const log: LoggedRequest[] = [];
  const faults: Array<FaultSpec & { left: number }> = [];
  let origin = '';

  const answer = async (req: IncomingMessage): Promise<{ reply: Reply; route: string | null; userId: number | null; faulted: boolean }> => {
    const target = new URL(req.url ?? '/', 'http://fake.invalid');
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    if (!rawPath.startsWith('/api/v4/')) return { reply: json(404, { error: '404 Not Found' }), route: null, userId: null, faulted: false };
    const path = rawPath.slice('/api/v4'.length);
    let params: Record<string, string> | null = null;
    const route = routes.find((r) => r.method === method && (params = matchRoute(r.pattern, path)) !== null);
    if (route === undefined || params === null) return { reply: json(404, { error: '404 Not Found' }), route: null, userId: null, faulted: false };
    const key = routeKey(route);
    const input = await readInput(req);
    const token = tokenOf(req);
    const user = token === undefined ? undefined : state.users.find((u) => u.token === token);
    if (user === undefined) return { reply: json(401, { message: '401 Unauthorized' }), route: key, userId: null, faulted: false };
    if (options.rateLimit !== undefined) {
      const w = windowOf(user.id);
      w.observed++;
      if (w.observed > options.rateLimit.limit) {
        const wait = String(Math.max(1, Math.ceil((w.resetAt - Date.now()) / 1000)));
        return { reply: { status: 429, raw: Buffer.from('Retry later\n'), headers: { 'Content-Type': 'text/plain', 'Retry-After': wait } }, route: key, userId: user.id, faulted: false };
      }
    }
    const fault = faults.find((f) => f.route === key && (f.until === undefined ? f.left > 0 : Date.now() < f.until));
    if (fault !== undefined && fault.until === undefined) fault.left--;
    if (fault !== undefined && fault.afterWrite !== true) return { reply: faultReply(fault), route: key, userId: user.id, faulted: true };
    if (input === null) return { reply: json(400, { message: '400 Bad request - body is not valid' }), route: key, userId: user.id, faulted: false };
    const found: Record<string, string> = params;
    let project: FakeProject | undefined;
    if (found['id'] !== undefined) {
      project = findProject(state, found['id']);
      if (project === undefined) return { reply: json(404, { message: '404 Project Not Found' }), route: key, userId: user.id, faulted: false };
    }
    const merged = { ...Object.fromEntries(target.searchParams), ...input };
    const reply = route.handle({ state, user, params: found, input: merged, query: target.searchParams, project: project as FakeProject, origin, path });
    if (fault !== undefined) return { reply: faultReply(fault), route: key, userId: user.id, faulted: true };
    return { reply, route: key, userId: user.id, faulted: false };
  };

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const inm = req.headers['if-none-match'];
    answer(req).then(
      ({ reply, route, userId, faulted }) => {
        const extra = options.rateLimit !== undefined && userId !== null ? rateHeaders(windowOf(userId), options.rateLimit.limit) : {};
        const status = send(res, reply, method, inm, extra);
        log.push({ method, url: req.url ?? '/', route, status, userId, faulted, ifNoneMatch: inm ?? null });
      },
      (error: unknown) => {
        log.push({ method, url: req.url ?? '/', route: null, status: 500, userId: null, faulted: false, ifNoneMatch: inm ?? null });
        send(res, json(500, { message: `500 Internal Server Error (fake: ${String(error)})` }), method, undefined, {});
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    state,
    log,
    addUser: (username, token) => {
      const user: FakeUser = { id: state.nextId(), username, token };
      state.users.push(user);
      return user;
    },
    addProject: (pathWithNamespace, defaultBranch = 'main') => {
      const project: FakeProject = {
        id: state.nextId(),
        pathWithNamespace,
        defaultBranch,
        commits: new Map(),
        branches: new Map([[defaultBranch, []]]),
        tags: new Map(),
        protectedTags: [],
        mergeRequests: new Map(),
        notes: [],
        statuses: [],
        releases: new Map(),
        archives: new Map(),
        lastActivityAt: Date.now(),
        members: null,
      };
      state.projects.push(project);
      return project;
    },
    rate: (userId) => {
      const w = windowOf(userId);
      const limit = options.rateLimit?.limit ?? Number.POSITIVE_INFINITY;
      return { limit, observed: w.observed, remaining: Math.max(0, limit - w.observed), resetAt: w.resetAt };
    },
    setRate: (userId, rate) => {
      const w = windowOf(userId);
      if (rate.observed !== undefined) w.observed = rate.observed;
      if (rate.resetIn !== undefined) w.resetAt = Date.now() + rate.resetIn * 1000;
    },
    fault: (spec) => faults.push({ ...spec, left: spec.count ?? 1 }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
