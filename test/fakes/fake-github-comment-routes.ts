// Comment routes of the fake GitHub, after docs.github.com/rest:
//   issues/comments   GET/POST /repos/:owner/:repo/issues/:issue_number/comments (ascending
//                     ids, page-number pagination), PATCH/DELETE .../issues/comments/:comment_id
//   commits/comments  GET/POST /repos/:owner/:repo/commits/:commit_sha/comments,
//                     PATCH/DELETE /repos/:owner/:repo/comments/:comment_id
// A comment made with an installation token is authored by the app's bot
// (`<slug>[bot]`, type "Bot") and carries `performed_via_github_app`. People with write
// access may edit and delete other people's comments, so the fake does not refuse that.
import { error, json, notFound, paginate, str } from './fake-github-http.js';
import type { FakeRoute, Reply, RouteContext } from './fake-github-http.js';
import { actorById, presentApp, presentUser, resolveRef } from './fake-github-state.js';
import type { FakeComment } from './fake-github-state.js';

const DOCS = {
  issue: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
  commit: 'https://docs.github.com/rest/commits/comments#create-a-commit-comment',
};

function present(ctx: RouteContext, c: FakeComment): Record<string, unknown> {
  const author = actorById(ctx.state, c.authorId);
  const base = `https://api.github.invalid/repos/${ctx.repo.owner}/${ctx.repo.name}`;
  const common = {
    id: c.id,
    node_id: `IC_${c.id}`,
    body: c.body,
    user: presentUser(author),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: author.type === 'Bot' ? 'NONE' : 'MEMBER',
  };
  if (typeof c.on === 'number') {
    return { ...common, url: `${base}/issues/comments/${c.id}`, issue_url: `${base}/issues/${c.on}`, performed_via_github_app: author.appId === null ? null : presentApp(author.appId, ctx.state.appSlug) };
  }
  return { ...common, url: `${base}/comments/${c.id}`, commit_id: c.on, path: null, position: null, line: null };
}

function create(ctx: RouteContext, list: FakeComment[], on: number | string, docs: string): Reply {
  const body = str(ctx.input, 'body');
  if (body === undefined || body === '') return error(422, 'Invalid request.\n\n"body" wasn\'t supplied.', docs);
  if (body.length > 65536) return error(422, 'Validation Failed', docs, [{ resource: 'IssueComment', code: 'unprocessable', field: 'data', message: 'Body is too long (maximum is 65536 characters)' }]);
  const now = ctx.state.now();
  const comment: FakeComment = { id: ctx.state.nextId(), authorId: ctx.actor?.id ?? 0, body, createdAt: now, updatedAt: now, on };
  list.push(comment);
  return json(201, present(ctx, comment));
}

function edit(ctx: RouteContext, list: FakeComment[]): Reply {
  const comment = list.find((c) => c.id === Number(ctx.params['comment_id']));
  if (comment === undefined) return notFound();
  const body = str(ctx.input, 'body');
  if (body === undefined) return error(422, 'Invalid request.\n\n"body" wasn\'t supplied.');
  comment.body = body;
  comment.updatedAt = ctx.state.now();
  return json(200, present(ctx, comment));
}

function remove(ctx: RouteContext, list: FakeComment[]): Reply {
  const index = list.findIndex((c) => c.id === Number(ctx.params['comment_id']));
  if (index < 0) return notFound();
  list.splice(index, 1);
  return { status: 204 };
}

function issueNumber(ctx: RouteContext): number | null {
  const n = Number(ctx.params['issue_number']);
  return ctx.repo.pulls.has(n) ? n : null;
}

export const commentRoutes: FakeRoute[] = [
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/issues/:issue_number/comments',
    handle: (ctx) => {
      const n = issueNumber(ctx);
      if (n === null) return notFound();
      return paginate(ctx, ctx.repo.issueComments.filter((c) => c.on === n).sort((a, b) => a.id - b.id), (c) => present(ctx, c));
    },
  },
  {
    method: 'POST',
    pattern: '/repos/:owner/:repo/issues/:issue_number/comments',
    handle: (ctx) => {
      const n = issueNumber(ctx);
      return n === null ? notFound(DOCS.issue) : create(ctx, ctx.repo.issueComments, n, DOCS.issue);
    },
  },
  { method: 'PATCH', pattern: '/repos/:owner/:repo/issues/comments/:comment_id', handle: (ctx) => edit(ctx, ctx.repo.issueComments) },
  { method: 'DELETE', pattern: '/repos/:owner/:repo/issues/comments/:comment_id', handle: (ctx) => remove(ctx, ctx.repo.issueComments) },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/commits/:commit_sha/comments',
    handle: (ctx) => {
      const commit = resolveRef(ctx.repo, ctx.params['commit_sha'] ?? '');
      if (commit === undefined) return error(422, `No commit found for SHA: ${ctx.params['commit_sha'] ?? ''}`);
      return paginate(ctx, ctx.repo.commitComments.filter((c) => c.on === commit.sha).sort((a, b) => a.id - b.id), (c) => present(ctx, c));
    },
  },
  {
    method: 'POST',
    pattern: '/repos/:owner/:repo/commits/:commit_sha/comments',
    handle: (ctx) => {
      const commit = resolveRef(ctx.repo, ctx.params['commit_sha'] ?? '');
      if (commit === undefined) return error(422, `No commit found for SHA: ${ctx.params['commit_sha'] ?? ''}`, DOCS.commit);
      return create(ctx, ctx.repo.commitComments, commit.sha, DOCS.commit);
    },
  },
  { method: 'PATCH', pattern: '/repos/:owner/:repo/comments/:comment_id', handle: (ctx) => edit(ctx, ctx.repo.commitComments) },
  { method: 'DELETE', pattern: '/repos/:owner/:repo/comments/:comment_id', handle: (ctx) => remove(ctx, ctx.repo.commitComments) },
];
