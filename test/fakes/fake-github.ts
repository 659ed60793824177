// An honest fake GitHub REST API on 127.0.0.1 for the adapter tests: the routes in
// fake-github-*-routes.ts (each file names the docs.github.com pages it follows), plus
// whatever route modules a test plugs in with `startFakeGithub({ routes })`. Served at
// the root like api.github.com (give Octokit `baseUrl: fake.url`).
//   auth:   `Authorization: token X` / `Bearer X` for repository routes (no header: 401
//           "Requires authentication"; unknown: 401 "Bad credentials"); /app routes take
//           the app's RS256 JWT instead; codeload URLs carry their own `token` parameter.
//   repos:  unknown owner/repo: 404 {"message":"Not Found"}; unknown routes: 404 too.
// Rate limit (docs "Rate limits for the REST API"): every answer to an authenticated
// request carries x-ratelimit-limit / -remaining / -used / -reset (epoch seconds) /
// -resource; each installation (and each user token) has `rateLimit` points an hour
// (5,000 by default) from its first request, and past them answers 403 with
// x-ratelimit-remaining 0. A 304 costs nothing. Conditional requests (docs "Best practices
// for using the REST API"): every 200 to a GET carries a weak ETag of its body, and a GET
// whose If-None-Match names it is answered 304 with no body.
// Faults: the next N requests to a route answer a primary rate limit (403 or 429 with
// x-ratelimit-remaining 0 and x-ratelimit-reset), a secondary rate limit (403 or 429 with
// retry-after and GitHub's "secondary rate limit" message) or a 500/502/503, optionally
// after performing the write: the lost response that @octokit/plugin-retry turns into a
// second write. Every request is logged for assertions.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyObject } from 'node:crypto';
import { appRoutes, verifyAppJwt } from './fake-github-app-routes.js';
import { checkRoutes } from './fake-github-check-routes.js';
import { commentRoutes } from './fake-github-comment-routes.js';
import { error, matchRoute, routeKey } from './fake-github-http.js';
import type { FakeRoute, Reply } from './fake-github-http.js';
import { installationRoutes } from './fake-github-installation-routes.js';
import { repoRoutes } from './fake-github-repo-routes.js';
import { newState } from './fake-github-state.js';
import type { FakeActor, FakeGithubState, FakeRepo } from './fake-github-state.js';

export interface FakeGithubOptions {
  /** Extra route modules, tried before the built-in ones. */
  routes?: readonly FakeRoute[];
  appId?: number;
  appSlug?: string;
  /** Points an hour per installation (and per user token); 5,000 as for an App installation on github.com. */
  rateLimit?: number;
}

export interface FakeRate {
  readonly limit: number;
  readonly used: number;
  readonly remaining: number;
  /** Epoch ms. */
  readonly resetAt: number;
}

export interface FaultSpec {
  /** `METHOD pattern`, e.g. `POST /repos/:owner/:repo/git/refs` (see routeKey). */
  route: string;
  status: 403 | 429 | 500 | 502 | 503;
  /** For 403/429: which rate limit (default primary). */
  limit?: 'primary' | 'secondary';
  count?: number;
  /** Secondary limits: the retry-after header, seconds. */
  retryAfter?: number;
  /** Primary limits: x-ratelimit-reset this many seconds from now. */
  resetIn?: number;
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
  readonly actor: string | null;
  readonly faulted: boolean;
  readonly authorization: string | null;
  /** Whether the request spent a rate-limit point (a 304 does not). */
  readonly counted: boolean;
}

export interface FakeGithub {
  readonly url: string;
  readonly state: FakeGithubState;
  readonly log: LoggedRequest[];
  /** A user (or another app's bot) with a personal token. */
  addUser(login: string, token: string, type?: 'User' | 'Bot', appId?: number | null): FakeActor;
  /** An installation token for this app's bot, without the JWT exchange (installation 1 unless given). */
  installationToken(installationId?: number): string;
  /** The rate limit of an installation (or of a user token's owner: `user:<id>`). */
  rate(bucket?: number | string): FakeRate;
  /** Sets how much of an installation's hour is spent, and when it resets: a low budget. */
  setRate(bucket: number | string, rate: { used?: number; resetIn?: number; limit?: number }): void;
  addInstallation(id: number): void;
  /** The public key app JWTs must verify against. */
  setAppKey(publicKey: KeyObject): void;
  addRepo(owner: string, name: string, defaultBranch?: string, installationId?: number | null): FakeRepo;
  fault(spec: FaultSpec): void;
  close(): Promise<void>;
}

const BODY_LIMIT = 1024 * 1024;
const RATE_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

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
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function faultReply(spec: FaultSpec, installation: string): Reply {
  if (spec.status >= 500) return error(spec.status, spec.status === 500 ? 'Server Error' : spec.status === 502 ? 'Bad Gateway' : 'Service Unavailable');
  if (spec.limit === 'secondary') {
    const reply = error(spec.status, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID FAKE:0000.', `${RATE_DOCS}#about-secondary-rate-limits`);
    return { ...reply, headers: { 'retry-after': String(spec.retryAfter ?? 60) } };
  }
  // A lasting limit resets when it ends (GitHub's reset is epoch seconds).
  const reset = spec.until !== undefined ? Math.ceil(spec.until / 1000) : Math.floor(Date.now() / 1000) + (spec.resetIn ?? 3600);
  const reply = error(spec.status, `API rate limit exceeded for installation ID ${installation}.`, `${RATE_DOCS}#about-the-primary-rate-limit`);
  return { ...reply, headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(reset), 'x-ratelimit-resource': 'core' } };
}

interface Bucket {
  limit: number;
  used: number;
  resetAt: number;
}

const etagOf = (payload: Buffer): string => `W/"${createHash('sha256').update(payload).digest('hex').slice(0, 40)}"`;

/** Whether an If-None-Match header names this ETag (a list, weak or strong alike). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const bare = (t: string): string => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

function rateHeaders(bucket: Bucket): Record<string, string> {
  return {
    'x-ratelimit-limit': String(bucket.limit),
    'x-ratelimit-remaining': String(Math.max(0, bucket.limit - bucket.used)),
    'x-ratelimit-used': String(Math.min(bucket.used, bucket.limit)),
    'x-ratelimit-reset': String(Math.ceil(bucket.resetAt / 1000)),
    'x-ratelimit-resource': 'core',
  };
}

/** The body as sent, and its ETag for a 200 to a GET. */
function payloadOf(reply: Reply): { payload: Buffer; type: string | null } {
  if (reply.raw !== undefined) return { payload: reply.raw, type: null };
  if (reply.body !== undefined) return { payload: Buffer.from(JSON.stringify(reply.body)), type: 'application/json; charset=utf-8' };
  return { payload: Buffer.alloc(0), type: null };
}

function send(res: ServerResponse, reply: Reply, requestId: number, payload: Buffer, type: string | null, extra: Record<string, string>): void {
  const headers: Record<string, string> = { 'x-github-request-id': `FAKE:${requestId}`, 'x-github-api-version-selected': '2022-11-28', ...extra, ...(reply.headers ?? {}) };
  if (type !== null) headers['Content-Type'] ??= type;
  headers['Content-Length'] = String(payload.length);
  res.writeHead(reply.status, headers);
  res.end(payload);
}

function credential(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const m = auth === undefined ? null : /^(?:token|bearer)\s+(\S+)$/i.exec(auth.trim());
  return m?.[1];
}

export async function startFakeGithub(options: FakeGithubOptions = {}): Promise<FakeGithub> {
  const state = newState(options.appId ?? 4242, options.appSlug ?? 'pyrelease');
  const routes: FakeRoute[] = [...(options.routes ?? []), ...appRoutes, ...installationRoutes, ...repoRoutes, ...commentRoutes, ...checkRoutes];
  const limit = options.rateLimit ?? 5000;
  const buckets = new Map<string, Bucket>();
  const bucketOf = (key: string): Bucket => {
    let bucket = buckets.get(key);
    const now = Date.now();
    if (bucket === undefined || bucket.resetAt <= now) {
      // The hour starts with the first request after the last one ended.
      bucket = { limit: bucket?.limit ?? limit, used: 0, resetAt: now + 3600_000 };
      buckets.set(key, bucket);
    }
    return bucket;
  };
  const bucketKey = (id: number | string): string => (typeof id === 'number' ? `installation:${id}` : id);
  const log: LoggedRequest[] = [];
  const faults: Array<FaultSpec & { left: number }> = [];
  let appKey: KeyObject | null = null;
  let origin = '';
  let requests = 0;

  type Answer = { reply: Reply; route: string | null; actor: string | null; faulted: boolean; bucket?: string };
  const answer = async (req: IncomingMessage): Promise<Answer> => {
    const target = new URL(req.url ?? '/', 'http://fake.invalid');
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    // GitHub Enterprise Server serves the REST API under /api/v3 (what GHE_HOST points
    // Probot at); github.com at the root. Both are answered.
    const path = rawPath.startsWith('/api/v3/') ? rawPath.slice('/api/v3'.length) : rawPath;
    const method = req.method ?? 'GET';
    let params: Record<string, string> | null = null;
    const route = routes.find((r) => r.method === method && (params = matchRoute(r.pattern, path)) !== null);
    const none = (reply: Reply, key: string | null = null): Answer => ({ reply, route: key, actor: null, faulted: false });
    if (route === undefined || params === null) return none(error(404, 'Not Found'));
    const key = routeKey(route);
    const found: Record<string, string> = params;
    const input = await readInput(req);
    const cred = credential(req);
    let actor: FakeActor | null = null;
    let bucket: string | undefined;
    if (route.auth === 'jwt') {
      if (cred === undefined || appKey === null || !verifyAppJwt(cred, state.appId, state.clientId, appKey, Math.floor(Date.now() / 1000))) {
        return none(error(401, 'A JSON web token could not be decoded'), key);
      }
      actor = state.actors.find((a) => a.id === state.botId) ?? null;
    } else if (route.auth !== 'none') {
      if (cred === undefined) return none(error(401, 'Requires authentication'), key);
      const id = state.tokens.get(cred);
      actor = id === undefined ? null : (state.actors.find((a) => a.id === id) ?? null);
      if (actor === null) return none(error(401, 'Bad credentials'), key);
      const installationId = state.tokenInstallations.get(cred);
      bucket = installationId === undefined ? `user:${actor.id}` : bucketKey(installationId);
      const spent = bucketOf(bucket);
      if (spent.used >= spent.limit) {
        const reply = faultReply({ route: key, status: 403, resetIn: Math.ceil((spent.resetAt - Date.now()) / 1000) }, String(installationId ?? actor.id));
        return { reply: { ...reply, headers: { ...(reply.headers ?? {}), ...rateHeaders(spent) } }, route: key, actor: actor.login, faulted: false, bucket };
      }
    }
    const withBucket = (a: Answer): Answer => (bucket === undefined ? a : { ...a, bucket });
    let repo: FakeRepo | undefined;
    if (found['owner'] !== undefined && found['repo'] !== undefined) {
      repo = state.repos.find((r) => r.owner.toLowerCase() === found['owner']?.toLowerCase() && r.name.toLowerCase() === found['repo']?.toLowerCase());
      if (repo === undefined) return withBucket({ ...none(error(404, 'Not Found'), key), actor: actor?.login ?? null });
    }
    const fault = faults.find((f) => f.route === key && (f.until === undefined ? f.left > 0 : Date.now() < f.until));
    if (fault !== undefined && fault.until === undefined) fault.left--;
    const installation = String([...state.installations][0] ?? 1);
    if (fault !== undefined && fault.afterWrite !== true) return withBucket({ reply: faultReply(fault, installation), route: key, actor: actor?.login ?? null, faulted: true });
    if (input === null) return withBucket({ reply: error(400, 'Problems parsing JSON'), route: key, actor: actor?.login ?? null, faulted: false });
    const reply = route.handle({ state, actor, token: cred ?? null, params: found, query: target.searchParams, input, repo: repo as FakeRepo, origin, path });
    if (fault !== undefined) return withBucket({ reply: faultReply(fault, installation), route: key, actor: actor?.login ?? null, faulted: true });
    return withBucket({ reply, route: key, actor: actor?.login ?? null, faulted: false });
  };

  const server = createServer((req, res) => {
    const id = ++requests;
    const authorization = req.headers.authorization ?? null;
    answer(req).then(
      ({ reply: answered, route, actor, faulted, bucket }) => {
        let reply = answered;
        let { payload, type } = payloadOf(reply);
        const extra: Record<string, string> = {};
        if ((req.method ?? 'GET') === 'GET' && reply.status === 200 && reply.body !== undefined) {
          extra['ETag'] = etagOf(payload);
          if (matches(req.headers['if-none-match'], extra['ETag'])) {
            reply = { status: 304 };
            payload = Buffer.alloc(0);
            type = null;
          }
        }
        // A 304 costs nothing; every other answer to an authenticated request costs a point.
        const counted = bucket !== undefined && reply.status !== 304;
        if (bucket !== undefined) {
          const spent = bucketOf(bucket);
          if (counted) spent.used++;
          Object.assign(extra, rateHeaders(spent));
        }
        log.push({ method: req.method ?? 'GET', url: req.url ?? '/', route, status: reply.status, actor, faulted, authorization, counted });
        send(res, reply, id, payload, type, extra);
      },
      (e: unknown) => {
        log.push({ method: req.method ?? 'GET', url: req.url ?? '/', route: null, status: 500, actor: null, faulted: false, authorization, counted: false });
        const reply = error(500, `fake: ${String(e)}`);
        const { payload, type } = payloadOf(reply);
        send(res, reply, id, payload, type, {});
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    state,
    log,
    addUser: (login, token, type = 'User', appId = null) => {
      const actor: FakeActor = { id: state.nextId(), login, type, appId };
      state.actors.push(actor);
      state.tokens.set(token, actor.id);
      return actor;
    },
    installationToken: (installationId = 1) => {
      const token = `ghs_fake${state.nextId()}`;
      state.tokens.set(token, state.botId);
      state.tokenInstallations.set(token, installationId);
      return token;
    },
    rate: (id = 1) => {
      const bucket = bucketOf(bucketKey(id));
      return { limit: bucket.limit, used: bucket.used, remaining: Math.max(0, bucket.limit - bucket.used), resetAt: bucket.resetAt };
    },
    setRate: (id, rate) => {
      const bucket = bucketOf(bucketKey(id));
      if (rate.limit !== undefined) bucket.limit = rate.limit;
      if (rate.used !== undefined) bucket.used = rate.used;
      if (rate.resetIn !== undefined) bucket.resetAt = Date.now() + rate.resetIn * 1000;
    },
    addInstallation: (id) => void state.installations.add(id),
    setAppKey: (key) => void (appKey = key),
    addRepo: (owner, name, defaultBranch = 'main', installationId = null) => {
      const repo: FakeRepo = {
        id: state.nextId(),
        owner,
        name,
        defaultBranch,
        commits: new Map(),
        branches: new Map([[defaultBranch, []]]),
        tags: new Map(),
        tagObjects: new Map(),
        pulls: new Map(),
        issueComments: [],
        commitComments: [],
        checkRuns: [],
        releases: [],
        rulesets: [],
        archives: new Map(),
        pushedAt: Date.now(),
        installationId,
      };
      state.repos.push(repo);
      return repo;
    },
    fault: (spec) => faults.push({ ...spec, left: spec.count ?? 1 }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
