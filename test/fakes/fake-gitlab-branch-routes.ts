// Branch routes of the fake GitLab, after gitlabhq doc/api/branches.md:
//   GET  /projects/:id/repository/branches           (paginated, ?search=)
//   GET  /projects/:id/repository/branches/:branch   404 {"message":"404 Branch Not Found"}
//   POST /projects/:id/repository/branches?branch=&ref=   201 with the branch;
//        an existing name: 400 {"message":"Branch already exists"};
//        an unknown ref: 400 {"message":"Invalid reference name: <ref>"}
//        (Branches::CreateService and lib/api/branches.rb)
// and from doc/api/repositories.md (lib/api/repositories.rb):
//   GET  /projects/:id/repository/merge_base?refs[]=a&refs[]=b   200 with the commit;
//        fewer than two refs: 400 {"message":"Provide at least 2 refs"};
//        an unknown ref: 400 {"message":"ref not found: <ref>"} ("refs not found: a, b");
//        no common ancestor: 404 {"message":"404 Merge Base Not Found"}
//   GET  /projects/:id/repository/compare?from=&to=[&straight=]   200 with `commit` (the
//        newest), `commits` (oldest first), `diffs`, `compare_timeout`, `compare_same_ref`,
//        `web_url`; without `straight` (the default, false) the commits are those of
//        `from...to`: in `to`'s history and not in the merge base's. The fake leaves
//        `diffs` empty. An unknown ref: 404 {"message":"404 Ref Not Found"}.
import { badRequest, json, notFound, paginate, str } from './fake-gitlab-http.js';
import type { FakeRoute } from './fake-gitlab-http.js';
import { presentCommit, resolveRef } from './fake-gitlab-state.js';
import type { FakeProject } from './fake-gitlab-state.js';

function presentBranch(project: FakeProject, name: string): Record<string, unknown> {
  const shas = project.branches.get(name) ?? [];
  const head = project.commits.get(shas[shas.length - 1] ?? '');
  return {
    name,
    merged: false,
    protected: name === project.defaultBranch,
    default: name === project.defaultBranch,
    developers_can_push: false,
    developers_can_merge: false,
    can_push: true,
    web_url: `http://gitlab.invalid/${project.pathWithNamespace}/-/tree/${encodeURIComponent(name)}`,
    commit: head === undefined ? null : presentCommit(head),
  };
}

/** The history of the new branch: the branch or tag it was made from, cut at the commit. */
function historyOf(project: FakeProject, sha: string): string[] {
  for (const shas of project.branches.values()) {
    const at = shas.indexOf(sha);
    if (at >= 0) return shas.slice(0, at + 1);
  }
  return [sha];
}

/**
 * The nearest common ancestor: the first commit, walking b's parents breadth first, that
 * is also an ancestor of a (or a itself). Git's best merge base for the histories the
 * fake builds (a branch cut from another, both moved on); criss-cross merges are out of scope.
 */
export function mergeBaseOf(project: FakeProject, a: string, b: string): string | null {
  const ofA = new Set(reachable(project, a));
  return reachable(project, b).find((sha) => ofA.has(sha)) ?? null;
}

/** Every commit reachable from sha (sha included), nearest first. */
function reachable(project: FakeProject, sha: string): string[] {
  const seen = new Set<string>([sha]);
  const order = [sha];
  for (let i = 0; i < order.length; i += 1) {
    for (const parent of project.commits.get(order[i] ?? '')?.parentIds ?? []) {
      if (!seen.has(parent)) {
        seen.add(parent);
        order.push(parent);
      }
    }
  }
  return order;
}

export const branchRoutes: FakeRoute[] = [
  {
    method: 'GET',
    pattern: '/projects/:id/repository/compare',
    handle: ({ project, input }) => {
      const fromRef = str(input, 'from');
      const toRef = str(input, 'to');
      if (fromRef === undefined || fromRef === '') return { status: 400, body: { error: 'from is missing' } };
      if (toRef === undefined || toRef === '') return { status: 400, body: { error: 'to is missing' } };
      const from = resolveRef(project, fromRef);
      const to = resolveRef(project, toRef);
      if (from === undefined || to === undefined) return notFound('Ref');
      const straight = str(input, 'straight') === 'true';
      const base = straight ? from.id : mergeBaseOf(project, from.id, to.id);
      const excluded = new Set(base === null ? [] : reachable(project, base));
      const commits = reachable(project, to.id)
        .filter((sha) => !excluded.has(sha))
        .reverse()
        .flatMap((sha) => {
          const c = project.commits.get(sha);
          return c === undefined ? [] : [presentCommit(c)];
        });
      return json(200, {
        commit: commits.at(-1) ?? null,
        commits,
        diffs: [],
        compare_timeout: false,
        compare_same_ref: from.id === to.id,
        web_url: `http://gitlab.invalid/${project.pathWithNamespace}/-/compare/${from.id}...${to.id}`,
      });
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/merge_base',
    handle: ({ project, query }) => {
      const refs = query.getAll('refs[]');
      if (refs.length < 2) return badRequest('Provide at least 2 refs');
      const commits = refs.map((ref) => resolveRef(project, ref));
      const unknown = refs.filter((_ref, i) => commits[i] === undefined);
      if (unknown.length > 0) return badRequest(`${unknown.length === 1 ? 'ref' : 'refs'} not found: ${unknown.join(', ')}`);
      // GitLab takes the merge base of all refs; two is what the API's callers here send.
      let base: string | null = commits[0]?.id ?? null;
      for (const commit of commits.slice(1)) base = base === null || commit === undefined ? null : mergeBaseOf(project, base, commit.id);
      const found = base === null ? undefined : project.commits.get(base);
      return found === undefined ? notFound('Merge Base') : json(200, presentCommit(found));
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/branches',
    handle: (ctx) => {
      const search = str(ctx.input, 'search');
      const names = [...ctx.project.branches.keys()].filter((n) => search === undefined || n.includes(search)).sort();
      return paginate(ctx, names, (n) => presentBranch(ctx.project, n));
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/branches/:branch',
    handle: ({ project, params }) => {
      const name = params['branch'] ?? '';
      return project.branches.has(name) ? json(200, presentBranch(project, name)) : notFound('Branch');
    },
  },
  {
    method: 'POST',
    pattern: '/projects/:id/repository/branches',
    handle: ({ project, input }) => {
      const name = str(input, 'branch');
      const ref = str(input, 'ref');
      if (name === undefined || name === '') return { status: 400, body: { error: 'branch is missing' } };
      if (ref === undefined || ref === '') return { status: 400, body: { error: 'ref is missing' } };
      if (/(^|\/)\.|\.\.|[\s~^:?*[\\]|@\{|\/$|\.lock$|^-|\/\//.test(name)) return badRequest('Branch name is invalid');
      if (project.branches.has(name)) return badRequest('Branch already exists');
      const commit = resolveRef(project, ref);
      if (commit === undefined) return badRequest(`Invalid reference name: ${ref}`);
      project.branches.set(name, historyOf(project, commit.id));
      return json(201, presentBranch(project, name));
    },
  },
];
