// Status and release routes of the fake GitLab, after gitlabhq doc/api:
//   commits.md (commit status)  POST /projects/:id/statuses/:sha, GET .../repository/commits/:sha/statuses
//     States pending, running, success, failed, canceled, skipped. GitLab reuses the
//     latest pending/running status of the same name and moves it through its state
//     machine, so posting `pending` twice is a 400 "Cannot transition status via :enqueue
//     from :pending" (Ci::CreateCommitStatusService); a finished status is never reused.
//   releases/_index.md  GET/POST /projects/:id/releases, GET/PUT .../releases/:tag_name
//     (POST an existing release: 409 "Release already exists")
//   releases/links.md   GET/POST .../releases/:tag_name/assets/links (a name or url twice: 400)
import { badRequest, json, message, notFound, paginate, str } from './fake-gitlab-http.js';
import type { FakeRoute, Reply, RouteContext } from './fake-gitlab-http.js';
import { presentCommit, presentUser, resolveRef, userById } from './fake-gitlab-state.js';
import type { FakeRelease, FakeStatus } from './fake-gitlab-state.js';

const STATES = ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'];
const EVENTS: Record<string, string> = { pending: 'enqueue', running: 'run', success: 'succeed', failed: 'drop', canceled: 'cancel', skipped: 'skip' };

function presentStatus(ctx: RouteContext, s: FakeStatus): Record<string, unknown> {
  return {
    id: s.id,
    sha: s.sha,
    ref: s.ref,
    status: s.status,
    name: s.name,
    target_url: s.targetUrl,
    description: s.description,
    created_at: '2026-01-01T00:00:00.000Z',
    allow_failure: false,
    author: presentUser(userById(ctx.state, s.authorId)),
  };
}

function presentRelease(ctx: RouteContext, r: FakeRelease): Record<string, unknown> {
  const commit = resolveRef(ctx.project, r.tagName);
  return {
    tag_name: r.tagName,
    name: r.name,
    description: r.description,
    created_at: r.createdAt,
    released_at: r.createdAt,
    commit: commit === undefined ? null : presentCommit(commit),
    assets: {
      count: r.links.length,
      sources: [],
      links: r.links.map((l) => ({ id: l.id, name: l.name, url: l.url, direct_asset_url: l.url, link_type: l.linkType })),
    },
  };
}

function addLink(ctx: RouteContext, release: FakeRelease, input: Record<string, unknown>): string | null {
  const name = str(input, 'name');
  const url = str(input, 'url');
  if (name === undefined || url === undefined) return 'name or url is missing';
  if (!/^https?:\/\//.test(url)) return 'url is blocked';
  if (release.links.some((l) => l.name === name)) return 'name';
  if (release.links.some((l) => l.url === url)) return 'url';
  release.links.push({ id: ctx.state.nextId(), name, url, linkType: str(input, 'link_type') ?? 'other' });
  return null;
}

const taken = (field: string): Reply => message(400, field.includes(' ') ? field : { [field]: ['has already been taken'] });

export const releaseRoutes: FakeRoute[] = [
  {
    method: 'POST',
    pattern: '/projects/:id/statuses/:sha',
    handle: (ctx) => {
      const commit = resolveRef(ctx.project, ctx.params['sha'] ?? '');
      if (commit === undefined) return notFound('Commit');
      const state = str(ctx.input, 'state') ?? '';
      if (!STATES.includes(state)) return { status: 400, body: { error: 'state does not have a valid value' } };
      const description = str(ctx.input, 'description') ?? null;
      if (description !== null && description.length > 255) return message(400, { description: ['is too long (maximum is 255 characters)'] });
      const ref = str(ctx.input, 'ref') ?? [...ctx.project.branches].find(([, shas]) => shas.includes(commit.id))?.[0];
      if (ref === undefined) return notFound('References for commit');
      const name = str(ctx.input, 'name') ?? str(ctx.input, 'context') ?? 'default';
      const live = [...ctx.project.statuses].reverse().find((s) => s.sha === commit.id && s.name === name && s.ref === ref && (s.status === 'pending' || s.status === 'running'));
      if (live !== undefined && (live.status === state || (live.status === 'running' && state === 'pending'))) {
        return badRequest(`Cannot transition status via :${EVENTS[state] ?? state} from :${live.status} (Reason(s): Status cannot transition via "${EVENTS[state] ?? state}")`);
      }
      const targetUrl = str(ctx.input, 'target_url') ?? null;
      // A live (pending/running) status keeps its id and changes state in place.
      const status: FakeStatus = { id: live?.id ?? ctx.state.nextId(), sha: commit.id, ref, status: state, name, description, targetUrl, authorId: ctx.user.id };
      if (live !== undefined) ctx.project.statuses.splice(ctx.project.statuses.indexOf(live), 1);
      ctx.project.statuses.push(status);
      return json(201, presentStatus(ctx, status));
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/commits/:sha/statuses',
    handle: (ctx) => {
      const commit = resolveRef(ctx.project, ctx.params['sha'] ?? '');
      if (commit === undefined) return notFound('Commit');
      const name = str(ctx.input, 'name');
      const list = ctx.project.statuses.filter((s) => s.sha === commit.id && (name === undefined || s.name === name));
      return paginate(ctx, list, (s) => presentStatus(ctx, s));
    },
  },
  { method: 'GET', pattern: '/projects/:id/releases', handle: (ctx) => paginate(ctx, [...ctx.project.releases.values()].reverse(), (r) => presentRelease(ctx, r)) },
  {
    method: 'GET',
    pattern: '/projects/:id/releases/:tag_name',
    handle: (ctx) => {
      const r = ctx.project.releases.get(ctx.params['tag_name'] ?? '');
      return r === undefined ? message(404, '404 Not Found') : json(200, presentRelease(ctx, r));
    },
  },
  {
    method: 'POST',
    pattern: '/projects/:id/releases',
    handle: (ctx) => {
      const tagName = str(ctx.input, 'tag_name');
      if (tagName === undefined || tagName === '') return { status: 400, body: { error: 'tag_name is missing' } };
      if (ctx.project.releases.has(tagName)) return message(409, 'Release already exists');
      if (!ctx.project.tags.has(tagName)) return message(422, 'Ref is not specified');
      const release: FakeRelease = { tagName, name: str(ctx.input, 'name') ?? tagName, description: str(ctx.input, 'description') ?? '', links: [], createdAt: ctx.state.now() };
      const assets = ctx.input['assets'] as { links?: unknown } | undefined;
      for (const link of Array.isArray(assets?.links) ? (assets.links as Array<Record<string, unknown>>) : []) {
        const problem = addLink(ctx, release, link);
        if (problem !== null) return taken(problem);
      }
      ctx.project.releases.set(tagName, release);
      return json(201, presentRelease(ctx, release));
    },
  },
  {
    method: 'PUT',
    pattern: '/projects/:id/releases/:tag_name',
    handle: (ctx) => {
      const r = ctx.project.releases.get(ctx.params['tag_name'] ?? '');
      if (r === undefined) return message(404, '404 Not Found');
      r.name = str(ctx.input, 'name') ?? r.name;
      r.description = str(ctx.input, 'description') ?? r.description;
      return json(200, presentRelease(ctx, r));
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/releases/:tag_name/assets/links',
    handle: (ctx) => {
      const r = ctx.project.releases.get(ctx.params['tag_name'] ?? '');
      if (r === undefined) return message(404, '404 Not Found');
      return paginate(ctx, r.links, (l) => ({ id: l.id, name: l.name, url: l.url, direct_asset_url: l.url, link_type: l.linkType }));
    },
  },
  {
    method: 'POST',
    pattern: '/projects/:id/releases/:tag_name/assets/links',
    handle: (ctx) => {
      const r = ctx.project.releases.get(ctx.params['tag_name'] ?? '');
      if (r === undefined) return message(404, '404 Not Found');
      const problem = addLink(ctx, r, ctx.input as Record<string, unknown>);
      if (problem !== null) return taken(problem);
      const l = r.links[r.links.length - 1];
      return json(201, l === undefined ? {} : { id: l.id, name: l.name, url: l.url, direct_asset_url: l.url, link_type: l.linkType });
    },
  },
];
