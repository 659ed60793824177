// The installation's repository listing of the fake GitHub, after docs.github.com/rest
// apps/installations#list-repositories-accessible-to-the-app-installation:
//   GET /installation/repositories  (an installation token) -> 200 {total_count,
//   repositories: [repository...], repository_selection}, page-number pagination with a
//   Link header; each repository carries `pushed_at` (whole seconds, moved by every push
//   of a branch or a tag) and `default_branch`. A 304 to a matching If-None-Match is the
//   server's (fake-github.ts), as for every GET.
import { error, paginate } from './fake-github-http.js';
import type { FakeRoute, RouteContext } from './fake-github-http.js';
import { isoSeconds } from './fake-github-state.js';
import type { FakeRepo } from './fake-github-state.js';

const DOCS = 'https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation';

export function presentRepository(repo: FakeRepo): Record<string, unknown> {
  return {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    private: true,
    owner: { login: repo.owner, type: 'Organization' },
    default_branch: repo.defaultBranch,
    archived: false,
    pushed_at: isoSeconds(repo.pushedAt),
  };
}

function list(ctx: RouteContext): ReturnType<typeof paginate> {
  const token = ctx.token;
  const installation = token === null ? undefined : ctx.state.tokenInstallations.get(token);
  // Only installation tokens may ask (a user token is answered 403 by GitHub).
  if (installation === undefined) return error(403, 'You must authenticate with an installation access token in order to list repositories for an installation.', DOCS);
  const visible = ctx.state.repos.filter((r) => r.installationId === null || r.installationId === installation).sort((a, b) => a.id - b.id);
  return paginate(ctx, visible, presentRepository, (page) => ({ total_count: visible.length, repositories: page, repository_selection: 'all' }));
}

export const installationRoutes: FakeRoute[] = [{ method: 'GET', pattern: '/installation/repositories', handle: list }];
