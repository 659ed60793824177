// The upstream tags list as GitLab serves it (doc/api/tags.md): order_by name | updated
// | version (default updated), sort asc | desc (default desc). The fake's built-in tags
// route keeps insertion order; this one, plugged in with startFakeGitlab({ routes }),
// sorts, so the poll's "newest first, stop below min-version" is tested against the
// order it relies on. Version order here is GitLab's VersionSorter for these names:
// numeric segments compared as numbers.
import { paginate, str } from '../fakes/fake-gitlab-http.js';
import type { FakeRoute } from '../fakes/fake-gitlab-http.js';
import { presentTag } from '../fakes/fake-gitlab-state.js';

function versionKey(name: string): number[] {
  return (name.match(/\d+/g) ?? []).map(Number);
}

function compareVersionNames(a: string, b: string): number {
  const ka = versionKey(a);
  const kb = versionKey(b);
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
    const d = (ka[i] ?? -1) - (kb[i] ?? -1);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

export const upstreamTagRoutes: FakeRoute[] = [
  {
    method: 'GET',
    pattern: '/projects/:id/repository/tags',
    handle: (ctx) => {
      const order = str(ctx.input, 'order_by') ?? 'updated';
      const sort = str(ctx.input, 'sort') ?? 'desc';
      // Insertion order stands in for `updated` (tags are added oldest first).
      const tags = [...ctx.project.tags.values()];
      if (order === 'version') tags.sort((a, b) => compareVersionNames(a.name, b.name));
      else if (order === 'name') tags.sort((a, b) => a.name.localeCompare(b.name));
      if (sort === 'desc') tags.reverse();
      return paginate(ctx, tags, (t) => presentTag(ctx.project, t));
    },
  },
];
