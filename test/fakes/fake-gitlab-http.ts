// Routing primitives of the fake GitLab: routes are plain data (method, GitLab's
// documented path pattern, handler), so more route modules can be plugged in later
// (`startFakeGitlab({ routes: [...extra] })`). Handlers return a reply instead of
// writing to the socket, which lets the server perform a write and then answer a fault
// instead (the lost-response case).
import type { FakeGitlabState, FakeProject, FakeUser } from './fake-gitlab-state.js';

export interface Reply {
  status: number;
  body?: unknown;
  /** Raw bytes (archives, raw files), sent as is. */
  raw?: Buffer;
  headers?: Record<string, string>;
}

export interface RouteContext {
  readonly state: FakeGitlabState;
  readonly user: FakeUser;
  /** Path parameters, decoded once (so `a%2Fb` becomes `a/b`). */
  readonly params: Readonly<Record<string, string>>;
  /** Query and body parameters merged, as Grape does (body wins). */
  readonly input: Readonly<Record<string, unknown>>;
  readonly query: URLSearchParams;
  /** The project named by `:id`, when the route has one. */
  readonly project: FakeProject;
  /** Origin and raw path of the request, for Link headers. */
  readonly origin: string;
  readonly path: string;
}

export interface FakeRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below /api/v4 with `:name` segments, e.g. `/projects/:id/repository/tags/:tag_name`. */
  readonly pattern: string;
  handle(ctx: RouteContext): Reply;
}

/** `METHOD pattern`: how faults and the request log name a route. */
export function routeKey(route: Pick<FakeRoute, 'method' | 'pattern'>): string {
  return `${route.method} ${route.pattern}`;
}

/** Matches on the raw (still encoded) path, so `%2F` stays inside one segment like in Rails. */
export function matchRoute(pattern: string, rawPath: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = rawPath.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    const g = got[i] ?? '';
    if (w.startsWith(':')) {
      if (g === '') return null;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null;
      }
    } else if (w !== g) return null;
  }
  return params;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

/** GitLab's error body: `{"message": "404 Project Not Found"}` (lib/api/helpers.rb not_found!). */
/** Model validation errors carry an object: `{"message": {"name": ["has already been taken"]}}`. */
export function message(status: number, text: string | Record<string, string[]>): Reply {
  return { status, body: { message: text } };
}

export const notFound = (what: string): Reply => message(404, `404 ${what} Not Found`);

export function badRequest(text: string): Reply {
  return message(400, text);
}

/**
 * Offset pagination as doc/api/rest/_index.md describes it: page / per_page (default 20,
 * max 100), X-Total, X-Total-Pages, X-Page, X-Per-Page, X-Next-Page, X-Prev-Page and a
 * Link header with rel="next" / "prev" / "first" / "last".
 */
export function paginate<T>(ctx: RouteContext, items: readonly T[], present: (item: T) => unknown): Reply {
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.get('per_page') ?? '20') || 20));
  const page = Math.max(1, Number(ctx.query.get('page') ?? '1') || 1);
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (p: number): string => {
    const q = new URLSearchParams(ctx.query);
    q.set('page', String(p));
    q.set('per_page', String(perPage));
    return `${ctx.origin}/api/v4${ctx.path}?${q.toString()}`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${link(page - 1)}>; rel="prev"`);
  if (page < totalPages) links.push(`<${link(page + 1)}>; rel="next"`);
  links.push(`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`);
  return json(200, slice.map(present), {
    'X-Total': String(items.length),
    'X-Total-Pages': String(totalPages),
    'X-Page': String(page),
    'X-Per-Page': String(perPage),
    'X-Next-Page': page < totalPages ? String(page + 1) : '',
    'X-Prev-Page': page > 1 ? String(page - 1) : '',
    Link: links.join(', '),
  });
}

export function str(input: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const v = input[key];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}
