// Branch routes of the fake GitLab, after gitlabhq doc/api/branches.md:
//   GET  /projects/:id/repository/branches           (paginated, ?search=)
//   GET  /projects/:id/repository/branches/:branch   404 {"message":"404 Branch Not Found"}
//   POST /projects/:id/repository/branches?branch=&ref=   201 with the branch;
//        an existing name: 400 {"message":"Branch already exists"};
//        an unknown ref: 400 {"message":"Invalid reference name: <ref>"}
//        (Branches::CreateService and lib/api/branches.rb)
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

export const branchRoutes: FakeRoute[] = [
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
