// The fake GitLab's conditional requests, rate-limit headers and project listing, against
// plain fetch and the real @gitbeaker/rest client: JSON answers carry a weak ETag and a
// matching If-None-Match is a 304 that still counts against the limit; raw files carry
// none; GET /projects filters by membership and last_activity_after, which moves lazily.
import { Gitlab } from '@gitbeaker/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGitlab } from './fake-gitlab.js';
import type { FakeGitlab, FakeGitlabOptions } from './fake-gitlab.js';
import { addCommit, addTag } from './fake-gitlab-arrange.js';
import { RESET_PROJECT_ACTIVITY_INTERVAL_MS, recordActivity } from './fake-gitlab-state.js';
import type { FakeProject } from './fake-gitlab-state.js';

const TOKEN = 'glpat-fake-token';
const SHA1 = '1'.repeat(40);
let gl: FakeGitlab;
let project: FakeProject;
let botId: number;

async function start(options: FakeGitlabOptions = {}): Promise<void> {
  gl = await startFakeGitlab(options);
  botId = gl.addUser('pyrelease-bot', TOKEN).id;
  project = gl.addProject('group/proj');
  addCommit(project, 'main', SHA1, 'first', { 'pyproject.toml': 'x = 1\n' });
  addTag(project, 'v1.0.0', SHA1);
}

afterEach(async () => {
  await gl.close();
});

const get = (path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${gl.url}/api/v4${path}`, { headers: { 'PRIVATE-TOKEN': TOKEN, ...headers } });

describe('conditional requests', () => {
  it('answers a matching If-None-Match on a JSON GET with 304 and no body; a change changes the ETag', async () => {
    await start();
    const first = await get(`/projects/${project.id}/repository/tags`);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^W\/"[0-9a-f]{32}"$/);
    const again = await get(`/projects/${project.id}/repository/tags`, { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(gl.log.at(-1)).toMatchObject({ status: 304, ifNoneMatch: etag });
    addTag(project, 'v1.1.0', SHA1);
    const changed = await get(`/projects/${project.id}/repository/tags`, { 'If-None-Match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('sends no ETag with a raw file (Workhorse serves it)', async () => {
    await start();
    const raw = await get(`/projects/${project.id}/repository/files/pyproject.toml/raw?ref=main`);
    expect(raw.status).toBe(200);
    expect(raw.headers.get('etag')).toBeNull();
  });

  it('sends no RateLimit headers where the instance has no rate limits (the default)', async () => {
    await start();
    expect((await get('/user')).headers.get('ratelimit-remaining')).toBeNull();
  });
});

describe('rate limits (gitlab.com-like)', () => {
  it('tells limit, remaining and reset on every answer, counts a 304, and answers 429 past the limit', async () => {
    await start({ rateLimit: { limit: 5, windowSeconds: 60 } });
    const first = await get(`/projects/${project.id}/repository/tags`);
    expect(first.headers.get('ratelimit-limit')).toBe('5');
    expect(first.headers.get('ratelimit-remaining')).toBe('4');
    const reset = Number(first.headers.get('ratelimit-reset'));
    expect(reset * 1000).toBeGreaterThan(Date.now());
    const revalidated = await get(`/projects/${project.id}/repository/tags`, { 'If-None-Match': first.headers.get('etag') ?? '' });
    expect(revalidated.status).toBe(304);
    // Rack::Attack counts the request before the app answers it.
    expect(revalidated.headers.get('ratelimit-remaining')).toBe('3');
    expect(gl.rate(botId)).toMatchObject({ observed: 2, remaining: 3 });
    gl.setRate(botId, { observed: 5 });
    const refused = await get('/user');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('GET /projects', () => {
  it('lists member projects with activity after a time, by id, a page at a time, through gitbeaker', async () => {
    await start();
    const others = ['group/a', 'group/b', 'group/c'].map((p) => gl.addProject(p));
    const hidden = gl.addProject('elsewhere/x');
    hidden.members = new Set([botId + 1]);
    const hour = Date.now() - 3 * RESET_PROJECT_ACTIVITY_INTERVAL_MS;
    for (const p of [project, ...others]) p.lastActivityAt = hour;
    (others[1] as FakeProject).lastActivityAt = Date.now() - 1000;
    const api = new Gitlab({ host: gl.url, token: TOKEN });
    const all = (await api.Projects.all({ membership: true, simple: true, orderBy: 'id', sort: 'asc', perPage: 2 })) as Array<{ path_with_namespace: string; last_activity_at: string }>;
    expect(all.map((p) => p.path_with_namespace)).toEqual(['group/proj', 'group/a', 'group/b', 'group/c']);
    const recent = await get(`/projects?membership=true&simple=true&last_activity_after=${new Date(Date.now() - 60_000).toISOString()}`);
    expect(((await recent.json()) as Array<{ path_with_namespace: string }>).map((p) => p.path_with_namespace)).toEqual(['group/b']);
    expect((await get('/projects?last_activity_after=yesterday')).status).toBe(400);
  });

  it('moves last_activity_at lazily: at most once an hour (app/models/event.rb)', async () => {
    await start();
    const before = project.lastActivityAt;
    addTag(project, 'v1.1.0', SHA1);
    expect(project.lastActivityAt).toBe(before);
    project.lastActivityAt = Date.now() - RESET_PROJECT_ACTIVITY_INTERVAL_MS - 1;
    recordActivity(project);
    expect(project.lastActivityAt).toBeGreaterThan(Date.now() - 1000);
    // The API's tag creation is an event too.
    project.lastActivityAt = 0;
    const created = await fetch(`${gl.url}/api/v4/projects/${project.id}/repository/tags`, { method: 'POST', headers: { 'PRIVATE-TOKEN': TOKEN, 'Content-Type': 'application/json' }, body: JSON.stringify({ tag_name: 'v2', ref: 'main' }) });
    expect(created.status).toBe(201);
    expect(project.lastActivityAt).toBeGreaterThan(0);
  });
});
