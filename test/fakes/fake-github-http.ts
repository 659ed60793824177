// Routing primitives of the fake GitHub REST API. Routes are plain data (method,
// GitHub's documented path with `:name` segments, handler) so that other pieces can plug
// more in (`startFakeGithub({ routes })`). A trailing `*name` segment takes the rest of
// the path (contents paths, git refs), as GitHub accepts `/` in those either raw or as
// `%2F`. Handlers return a reply instead of writing to the socket, which lets the server
// perform a write and then answer a fault instead (the lost-response case).
import type { FakeActor, FakeGithubState, FakeRepo } from './fake-github-state.js';

export interface Reply {
  status: number;
  body?: unknown;
  /** Raw bytes (tarballs), sent as is. */
  raw?: Buffer;
  headers?: Record<string, string>;
}

export interface RouteContext {
  readonly state: FakeGithubState;
  /** Who the token or JWT belongs to; null only on routes with `auth: 'none'`. */
  readonly actor: FakeActor | null;
  /** The token the request came with (installation and personal tokens), or null. */
  readonly token: string | null;
  /** Path parameters, decoded once (so `tags%2Fv1` becomes `tags/v1`). */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The JSON body (an object), or {} when there was none. */
  readonly input: Readonly<Record<string, unknown>>;
  /** The repository named by `:owner/:repo`, when the route has them. */
  readonly repo: FakeRepo;
  /** Origin and raw path of the request, for Link and Location headers. */
  readonly origin: string;
  readonly path: string;
}

export interface FakeRoute {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  readonly pattern: string;
  /** 'token': an installation or user token; 'jwt': the app's JWT; 'none': codeload URLs. */
  readonly auth?: 'token' | 'jwt' | 'none';
  /** GitHub's docs page, for documentation_url in error bodies. */
  readonly docs?: string;
  handle(ctx: RouteContext): Reply;
}

/** `METHOD pattern`: how faults and the request log name a route. */
export function routeKey(route: Pick<FakeRoute, 'method' | 'pattern'>): string {
  return `${route.method} ${route.pattern}`;
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** Matches the raw (still encoded) path; `%2F` stays inside one segment like in Rails. */
export function matchRoute(pattern: string, rawPath: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = rawPath.split('/');
  const rest = want[want.length - 1]?.startsWith('*') === true;
  if (rest ? got.length < want.length : got.length !== want.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    if (w.startsWith('*')) {
      const tail = got.slice(i).map(decode);
      if (tail.some((s) => s === null || s === '')) return null;
      params[w.slice(1)] = tail.join('/');
      return params;
    }
    const g = got[i] ?? '';
    if (w.startsWith(':')) {
      const value = decode(g);
      if (value === null || value === '') return null;
      params[w.slice(1)] = value;
    } else if (w !== g) return null;
  }
  return params;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

/**
 * GitHub's error body (docs: "Troubleshooting the REST API" / "Client errors"):
 * `{"message", "documentation_url", "status"}`; validation failures add `errors`.
 */
export function error(status: number, message: string, docs = 'https://docs.github.com/rest', errors?: unknown[]): Reply {
  return json(status, { message, ...(errors === undefined ? {} : { errors }), documentation_url: docs, status: String(status) });
}

export const notFound = (docs?: string): Reply => error(404, 'Not Found', docs);

/** 422 "Validation Failed" with one `{resource, code, field}` error, as for a duplicate release. */
export function validationFailed(resource: string, code: string, field: string, docs?: string): Reply {
  return error(422, 'Validation Failed', docs, [{ resource, code, field }]);
}

/**
 * Page-number pagination (docs "Using pagination in the REST API"): `per_page` (default
 * 30, max 100) and `page`; the Link header carries rel="next"/"last"/"first"/"prev" and
 * nothing else tells a client where the end is.
 */
export function paginate<T>(ctx: RouteContext, items: readonly T[], present: (item: T) => unknown, wrap?: (page: unknown[]) => unknown): Reply {
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.get('per_page') ?? '30') || 30));
  const page = Math.max(1, Number(ctx.query.get('page') ?? '1') || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number): string => {
    const q = new URLSearchParams(ctx.query);
    q.set('per_page', String(perPage));
    q.set('page', String(p));
    return `${ctx.origin}${ctx.path}?${q.toString()}`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${link(page - 1)}>; rel="prev"`, `<${link(1)}>; rel="first"`);
  if (page < last) links.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
  const slice = items.slice((page - 1) * perPage, page * perPage).map(present);
  return json(200, wrap === undefined ? slice : wrap(slice), links.length === 0 ? {} : { Link: links.join(', ') });
}

export function str(input: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const v = input[key];
  return typeof v === 'string' ? v : undefined;
}
