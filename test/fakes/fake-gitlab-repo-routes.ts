// Repository routes of the fake GitLab, after gitlabhq doc/api:
//   users.md             GET /user
//   projects.md          GET /projects/:id (id or URL-encoded path; default_branch)
//   repository_files.md  GET /projects/:id/repository/files/:file_path/raw?ref=  (404 File Not Found)
//   commits.md           GET .../repository/commits/:sha, .../:sha/refs?type=, .../:sha/merge_requests
//   tags.md              GET/POST .../repository/tags, GET .../tags/:tag_name
//                        (POST an existing name: 400 "Tag <name> already exists", as
//                        lib/gitlab/git/repository.rb / Tags::CreateService answer)
//   protected_tags.md    GET .../protected_tags, GET .../protected_tags/:name (exact name)
//   repositories.md      GET .../repository/archive.tar.gz?sha=
import { badRequest, json, message, notFound, paginate, str } from './fake-gitlab-http.js';
import type { FakeRoute } from './fake-gitlab-http.js';
import { presentCommit, presentMergeRequest, presentTag, presentUser, recordActivity, refMatches, resolveRef } from './fake-gitlab-state.js';
import type { FakeTag } from './fake-gitlab-state.js';

export const repoRoutes: FakeRoute[] = [
  { method: 'GET', pattern: '/user', handle: (ctx) => json(200, presentUser(ctx.user)) },
  {
    method: 'GET',
    pattern: '/projects/:id',
    handle: ({ project: p }) =>
      json(200, { id: p.id, name: p.pathWithNamespace.split('/').pop(), path_with_namespace: p.pathWithNamespace, default_branch: p.defaultBranch }),
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/files/:file_path/raw',
    handle: ({ project, params, input }) => {
      // `ref` is optional since GitLab 13.x and defaults to the default branch.
      const commit = resolveRef(project, str(input, 'ref') ?? project.defaultBranch);
      const file = commit?.files.get(params['file_path'] ?? '');
      if (file === undefined) return notFound('File');
      return { status: 200, raw: file, headers: { 'Content-Type': 'text/plain; charset=utf-8'} };
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/commits/:sha',
    handle: ({ project, params }) => {
      const commit = resolveRef(project, params['sha'] ?? '');
      return commit === undefined ? notFound('Commit') : json(200, presentCommit(commit));
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/commits/:sha/refs',
    handle: (ctx) => {
      const commit = resolveRef(ctx.project, ctx.params['sha'] ?? '');
      if (commit === undefined) return notFound('Commit');
      const type = str(ctx.input, 'type') ?? 'all';
      if (!['branch', 'tag', 'all'].includes(type)) return message(400, 'type does not have a valid value');
      const refs: Array<{ type: string; name: string }> = [];
      if (type !== 'tag') for (const [name, shas] of ctx.project.branches) if (shas.includes(commit.id)) refs.push({ type: 'branch', name });
      if (type !== 'branch') for (const tag of ctx.project.tags.values()) if (tag.commitId === commit.id) refs.push({ type: 'tag', name: tag.name });
      return paginate(ctx, refs, (r) => r);
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/commits/:sha/merge_requests',
    handle: (ctx) => {
      const commit = resolveRef(ctx.project, ctx.params['sha'] ?? '');
      if (commit === undefined) return notFound('Commit');
      const mrs = [...ctx.project.mergeRequests.values()].filter((mr) => mr.commits.includes(commit.id));
      return paginate(ctx, mrs, (mr) => presentMergeRequest(ctx.project, mr));
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/tags',
    handle: (ctx) => paginate(ctx, [...ctx.project.tags.values()], (t) => presentTag(ctx.project, t)),
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/tags/:tag_name',
    handle: ({ project, params }) => {
      const tag = project.tags.get(params['tag_name'] ?? '');
      return tag === undefined ? notFound('Tag') : json(200, presentTag(project, tag));
    },
  },
  {
    method: 'POST',
    pattern: '/projects/:id/repository/tags',
    handle: ({ project, input, state }) => {
      const name = str(input, 'tag_name');
      const ref = str(input, 'ref');
      if (name === undefined || name === '') return { status: 400, body: { error: 'tag_name is missing' } };
      if (ref === undefined || ref === '') return { status: 400, body: { error: 'ref is missing' } };
      // git check-ref-format, roughly: what Gitlab::GitRefValidator refuses.
      const control = [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
      if (control || /(^|\/)\.|\.\.|[\s~^:?*[\\]|@\{|\/$|\.lock$|^-|\/\//.test(name)) return badRequest('Tag name invalid');
      if (project.tags.has(name)) return badRequest(`Tag ${name} already exists`);
      const commit = resolveRef(project, ref);
      if (commit === undefined) return badRequest('Target ref is invalid');
      const msg = str(input, 'message') ?? '';
      const target = msg === '' ? commit.id : state.nextId().toString(16).padStart(40, 'a');
      const tag: FakeTag = { name, commitId: commit.id, message: msg, target };
      project.tags.set(name, tag);
      recordActivity(project);
      return json(201, presentTag(project, tag));
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/protected_tags',
    handle: (ctx) => paginate(ctx, ctx.project.protectedTags, presentProtectedTag),
  },
  {
    method: 'GET',
    pattern: '/projects/:id/protected_tags/:name',
    // protected_tags.rb: `user_project.protected_tags.find_by!(name:)`: the pattern's own name, no matching.
    handle: ({ project, params }) => {
      const name = params['name'] ?? '';
      return project.protectedTags.includes(name) ? json(200, presentProtectedTag(name)) : message(404, '404 Not found');
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/archive.tar.gz',
    handle: ({ project, input }) => {
      const commit = resolveRef(project, str(input, 'sha') ?? project.defaultBranch);
      const archive = commit === undefined ? undefined : project.archives.get(commit.id);
      if (commit === undefined || archive === undefined) return notFound('File');
      return {
        status: 200,
        raw: archive,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Disposition': `attachment; filename="archive-${commit.id}.tar.gz"` },
      };
    },
  },
];

/** Whether any protected tag pattern covers name (used by tests arranging state). */
export function isProtected(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => refMatches(p, name));
}

function presentProtectedTag(name: string): Record<string, unknown> {
  return { name, create_access_levels: [{ id: 1, access_level: 40, access_level_description: 'Maintainers' }] };
}
