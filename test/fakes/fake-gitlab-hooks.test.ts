import { afterEach, describe, expect, it } from 'vitest';
import { Gitlab } from '@gitbeaker/rest';
import { startFakeGitlab } from './fake-gitlab-hooks.js';
import type { FakeGitlab, FakeGitlabOptions } from './fake-gitlab-hooks.js';

let fake: FakeGitlab | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const base: FakeGitlabOptions = {
  tokens: { good: { scopes: ['api'] }, reader: { scopes: ['read_api'] }, dev: { scopes: ['api'], role: 'maintainer' } },
  groups: ['acme', 'acme/sub'],
  projects: [1, 2, 3, 4, 5].map((id) => ({ id, group: id > 3 ? 'acme/sub' : 'acme', path: `p${id}`, archived: id === 2 })),
  perPage: 2,
};

async function get(path: string, token = 'good', init: RequestInit = {}) {
  const res = await fetch(`${fake?.url}/api/v4${path}`, { ...init, headers: { 'PRIVATE-TOKEN': token, 'Content-Type': 'application/json' } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

describe('fake GitLab hooks endpoints', () => {
  it('paginates with x-next-page and a Link header pointing at itself, small pages', async () => {
    fake = await startFakeGitlab(base);
    const p1 = await get('/groups/acme/projects?include_subgroups=true&per_page=100');
    expect(p1.status).toBe(200);
    expect(p1.body).toHaveLength(2);
    expect(p1.headers.get('x-next-page')).toBe('2');
    expect(p1.headers.get('x-total')).toBe('5');
    expect(p1.headers.get('link')).toContain(`<${fake.url}/api/v4/groups/acme/projects?include_subgroups=true&per_page=2&page=2>; rel="next"`);
    const p3 = await get('/groups/acme/projects?include_subgroups=true&page=3');
    expect(p3.headers.get('x-next-page')).toBe('');
    expect(p3.headers.get('link')).not.toContain('rel="next"');
  });

  it.each([
    ['false', [1, 3]],
    [null, [1, 2, 3]],
  ])('filters archived=%s and leaves out subgroups unless asked', async (archived, ids) => {
    fake = await startFakeGitlab({ ...base, perPage: 100 });
    const r = await get(`/groups/acme/projects${archived === null ? '' : `?archived=${archived}`}`);
    expect((r.body as { id: number }[]).map((p) => p.id)).toEqual(ids);
  });

  it.each([
    ['bad', 'GET', '/groups/acme/hooks', 401, { message: '401 Unauthorized' }],
    ['reader', 'POST', '/groups/acme/hooks', 403, { error: 'insufficient_scope' }],
    ['reader', 'GET', '/personal_access_tokens/self', 200, { scopes: ['read_api'] }],
    ['dev', 'GET', '/groups/acme/hooks', 403, { message: '403 Forbidden' }],
    ['good', 'GET', '/groups/nope/hooks', 404, { message: '404 Group Not Found' }],
    ['good', 'GET', '/projects/99/hooks', 404, { message: '404 Project Not Found' }],
  ])('token %s %s %s answers %i', async (token, method, path, status, body) => {
    fake = await startFakeGitlab(base);
    const r = await get(path, token, { method, ...(method === 'POST' ? { body: JSON.stringify({ url: 'https://x.test/h' }) } : {}) });
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject(body);
  });

  it('answers 404 {"error":"404 Not Found"} for group hooks on CE, and 404 for /self before 15.5', async () => {
    fake = await startFakeGitlab({ ...base, tier: 'ce', noSelfEndpoint: true });
    expect(await get('/groups/acme/hooks')).toMatchObject({ status: 404, body: { error: '404 Not Found' } });
    expect((await get('/personal_access_tokens/self')).status).toBe(404);
  });

  it('stores the hook token but never returns it, and counts writes', async () => {
    fake = await startFakeGitlab(base);
    const created = await get('/groups/acme/hooks', 'good', { method: 'POST', body: JSON.stringify({ url: 'https://x.test/h', token: 's3cret', note_events: true }) });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain('s3cret');
    expect(created.body).toMatchObject({ url: 'https://x.test/h', push_events: true, note_events: true, tag_push_events: false, group_id: 1 });
    expect(fake.groupHooks.get('acme')?.[0]?.token).toBe('s3cret');
    const id = (created.body as { id: number }).id;
    expect((await get(`/groups/acme/hooks/${id}`, 'good', { method: 'PUT', body: JSON.stringify({ url: 'https://x.test/other' }) })).status).toBe(200);
    expect(fake.groupHooks.get('acme')?.[0]?.token).toBe('');
    expect((await get(`/groups/acme/hooks/${id}`, 'good', { method: 'DELETE' })).status).toBe(204);
    expect(fake.writes()).toBe(3);
  });

  it('works with the real client, @gitbeaker/rest: all pages, hooks in snake_case, token scopes, 403 as an error', async () => {
    fake = await startFakeGitlab(base);
    const api = new Gitlab({ host: fake.url, token: 'good' });
    const projects = await api.Groups.allProjects('acme', { includeSubgroups: true, archived: false, perPage: 2 });
    expect(projects.map((p) => p.id).sort()).toEqual([1, 3, 4, 5]);
    const hook = await api.GroupHooks.add('acme', 'https://x.test/h', { tagPushEvents: true, token: 's3cret' });
    expect(hook).toMatchObject({ url: 'https://x.test/h', tag_push_events: true });
    expect(fake.groupHooks.get('acme')?.[0]?.token).toBe('s3cret');
    expect((await api.GroupHooks.all('acme')).map((h) => h.id)).toEqual([hook.id]);
    expect(await api.PersonalAccessTokens.show({ tokenId: 'self' })).toMatchObject({ scopes: ['api'] });
    const reader = new Gitlab({ host: fake.url, token: 'reader' });
    await expect(reader.GroupHooks.add('acme', 'https://x.test/h')).rejects.toMatchObject({ cause: { response: { status: 403 } } });
  });
});
