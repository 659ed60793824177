// The project listing of the fake GitLab, after gitlabhq doc/api/projects.md "List all
// projects": GET /projects with
//   membership=true        only projects the user is a member of
//   last_activity_after    only projects whose last_activity_at is after this time (ISO 8601)
//   simple=true            the short representation (id, names, paths, default_branch,
//                          created_at, last_activity_at, web_url)
//   order_by (id, created_at, last_activity_at; default created_at), sort (asc / desc, default desc)
// and offset pagination (page, per_page up to 100, X-Next-Page, Link). last_activity_at
// moves lazily, at most once an hour (fake-gitlab-state.ts recordActivity).
import { json, paginate } from './fake-gitlab-http.js';
import type { FakeRoute, RouteContext } from './fake-gitlab-http.js';
import type { FakeProject } from './fake-gitlab-state.js';

export function presentSimpleProject(p: FakeProject): Record<string, unknown> {
  const name = p.pathWithNamespace.split('/').pop();
  return {
    id: p.id,
    name,
    name_with_namespace: p.pathWithNamespace.split('/').join(' / '),
    path: name,
    path_with_namespace: p.pathWithNamespace,
    default_branch: p.defaultBranch,
    created_at: '2026-01-01T00:00:00.000Z',
    last_activity_at: new Date(p.lastActivityAt).toISOString(),
    web_url: `http://gitlab.invalid/${p.pathWithNamespace}`,
  };
}

function list(ctx: RouteContext): ReturnType<typeof paginate> {
  let projects = [...ctx.state.projects];
  if (ctx.query.get('membership') === 'true') projects = projects.filter((p) => p.members === null || p.members.has(ctx.user.id));
  const after = ctx.query.get('last_activity_after');
  if (after !== null) {
    const at = Date.parse(after);
    if (Number.isNaN(at)) return json(400, { error: 'last_activity_after is invalid' });
    projects = projects.filter((p) => p.lastActivityAt > at);
  }
  const orderBy = ctx.query.get('order_by') ?? 'created_at';
  const key = (p: FakeProject): number => (orderBy === 'last_activity_at' ? p.lastActivityAt : p.id);
  const sign = (ctx.query.get('sort') ?? 'desc') === 'asc' ? 1 : -1;
  projects.sort((a, b) => sign * (key(a) - key(b)) || sign * (a.id - b.id));
  return paginate(ctx, projects, presentSimpleProject);
}

export const projectRoutes: FakeRoute[] = [{ method: 'GET', pattern: '/projects', handle: list }];
