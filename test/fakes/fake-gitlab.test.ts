// The fake GitLab against plain fetch: the documented paths, status codes and bodies
// (gitlabhq doc/api/*.md), so that the adapter tests lean on an honest server.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitlab } from './fake-gitlab.js';
import type { FakeGitlab } from './fake-gitlab.js';
import { addBranch, addCommit, addMergeRequest, addTag } from './fake-gitlab-arrange.js';
import type { FakeProject } from './fake-gitlab-state.js';

const TOKEN = 'glpat-fake-token';
const SHA1 = '1'.repeat(40);
const SHA2 = '2'.repeat(40);
let gl: FakeGitlab;
let project: FakeProject;

beforeEach(async () => {
  gl = await startFakeGitlab();
  gl.addUser('pyrelease-bot', TOKEN);
  gl.addUser('someone', 'other-token');
  project = gl.addProject('group/sub/proj');
  addCommit(project, 'main', SHA1, 'first', { 'pyproject.toml': 'x = 1\n', 'src/a b.txt': 'spaced' });
  addCommit(project, 'main', SHA2, '1.2.3\n\nbody', { 'pyproject.toml': 'x = 2\n' });
  addMergeRequest(project, 7, [SHA2]);
});

afterEach(async () => {
  await gl.close();
});

interface Call {
  method?: string;
  path: string;
  body?: unknown;
  token?: string | null;
  bearer?: boolean;
}

async function call({ method = 'GET', path, body, token = TOKEN, bearer = false }: Call): Promise<{ status: number; json: unknown; headers: Headers; text: string }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers[bearer ? 'Authorization' : 'PRIVATE-TOKEN'] = bearer ? `Bearer ${token}` : token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${gl.url}/api/v4${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: res.status, json: parsed, headers: res.headers, text };
}

const P = (): string => `/projects/${project.id}`;

describe('auth and project lookup', () => {
  it.each([
    ['no token', { path: '/user', token: null }, 401, { message: '401 Unauthorized' }],
    ['wrong token', { path: '/user', token: 'nope' }, 401, { message: '401 Unauthorized' }],
    ['bearer token', { path: '/user', bearer: true }, 200, { username: 'pyrelease-bot' }],
    ['unknown route', { path: '/nothing/here' }, 404, { error: '404 Not Found' }],
    ['unknown project id', { path: '/projects/999999' }, 404, { message: '404 Project Not Found' }],
    ['unknown project path', { path: '/projects/group%2Fnope' }, 404, { message: '404 Project Not Found' }],
    ['project by encoded path', { path: '/projects/group%2Fsub%2Fproj' }, 200, { default_branch: 'main', path_with_namespace: 'group/sub/proj' }],
  ] as const)('%s', async (_name, req, status, body) => {
    const res = await call(req);
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject(body);
  });
});

describe('repository reads', () => {
  it.each([
    ['file at branch', '/repository/files/pyproject.toml/raw?ref=main', 200, 'x = 2\n'],
    ['file at sha', `/repository/files/pyproject.toml/raw?ref=${SHA1}`, 200, 'x = 1\n'],
    ['encoded nested path', `/repository/files/src%2Fa%20b.txt/raw?ref=${SHA1}`, 200, 'spaced'],
    ['absent file', '/repository/files/setup.cfg/raw?ref=main', 404, '{"message":"404 File Not Found"}'],
    ['absent ref', '/repository/files/pyproject.toml/raw?ref=nope', 404, '{"message":"404 File Not Found"}'],
  ])('%s', async (_name, path, status, text) => {
    const res = await call({ path: `${P()}${path}` });
    expect([res.status, res.text]).toEqual([status, text]);
  });

  it('shows commits by sha, short sha and branch, with refs and merge requests', async () => {
    expect((await call({ path: `${P()}/repository/commits/main` })).json).toMatchObject({ id: SHA2, title: '1.2.3', parent_ids: [SHA1] });
    expect((await call({ path: `${P()}/repository/commits/${SHA1.slice(0, 8)}` })).json).toMatchObject({ id: SHA1 });
    expect((await call({ path: `${P()}/repository/commits/${'9'.repeat(40)}` })).json).toEqual({ message: '404 Commit Not Found' });
    expect((await call({ path: `${P()}/repository/commits/${SHA1}/refs?type=branch` })).json).toEqual([{ type: 'branch', name: 'main' }]);
    expect((await call({ path: `${P()}/repository/commits/${SHA2}/merge_requests` })).json).toMatchObject([{ iid: 7, state: 'opened' }]);
    expect((await call({ path: `${P()}/repository/commits/${SHA1}/merge_requests` })).json).toEqual([]);
  });
});

describe('compare (doc/api/repositories.md) and merged merge requests (doc/api/commits.md)', () => {
  it('answers the commits of from...to oldest first, with the newest as `commit`; 404 for an unknown ref, 400 without from', async () => {
    const SHA3 = '3'.repeat(40);
    const SHA4 = '4'.repeat(40);
    addBranch(project, 'feature', 'main');
    addCommit(project, 'feature', SHA4, 'feature work', { 'pyproject.toml': 'x = 4\n' });
    addCommit(project, 'main', SHA3, 'third', { 'pyproject.toml': 'x = 3\n' });
    const range = await call({ path: `${P()}/repository/compare?from=${SHA1}&to=main` });
    expect(range.status).toBe(200);
    expect(range.json).toMatchObject({ commit: { id: SHA3 }, compare_same_ref: false, compare_timeout: false, diffs: [] });
    expect((range.json as { commits: Array<{ id: string }> }).commits.map((c) => c.id)).toEqual([SHA2, SHA3]);
    // Not straight: counted from the merge base, so main's own third commit is not in feature...main's reverse.
    expect((await call({ path: `${P()}/repository/compare?from=main&to=feature` })).json).toMatchObject({ commits: [{ id: SHA4 }] });
    expect((await call({ path: `${P()}/repository/compare?from=main&to=main` })).json).toMatchObject({ commit: null, commits: [], compare_same_ref: true });
    expect(await call({ path: `${P()}/repository/compare?from=nope&to=main` })).toMatchObject({ status: 404, json: { message: '404 Ref Not Found' } });
    expect((await call({ path: `${P()}/repository/compare?to=main` })).status).toBe(400);
  });

  it('a merged merge request carries its author, web_url, merged_at and merge_commit_sha', async () => {
    addMergeRequest(project, 8, [SHA1], 'merged', { title: 'Fix it', author: 'alice', mergeCommitSha: null });
    expect((await call({ path: `${P()}/repository/commits/${SHA1}/merge_requests` })).json).toMatchObject([
      { iid: 8, title: 'Fix it', state: 'merged', author: { username: 'alice' }, merge_commit_sha: null, merged_at: expect.any(String) as unknown, web_url: expect.stringContaining('/-/merge_requests/8') as unknown },
    ]);
    expect((await call({ path: `${P()}/repository/commits/${SHA2}/merge_requests` })).json).toMatchObject([{ iid: 7, state: 'opened', merged_at: null }]);
  });
});

describe('merge base (doc/api/repositories.md)', () => {
  const SHA3 = '3'.repeat(40);
  const SHA4 = '4'.repeat(40);
  const base = (...refs: string[]): Promise<{ status: number; json: unknown }> => call({ path: `${P()}/repository/merge_base?${refs.map((r) => `refs%5B%5D=${encodeURIComponent(r)}`).join('&')}` });

  it('answers the nearest common commit of two refs that both moved on', async () => {
    addBranch(project, 'stable-1-2-ee', 'main');
    addCommit(project, 'stable-1-2-ee', SHA3, 'backport', { 'pyproject.toml': 'x = 3\n' });
    addCommit(project, 'main', SHA4, 'next', { 'pyproject.toml': 'x = 4\n' });
    expect(await base('main', 'stable-1-2-ee')).toMatchObject({ status: 200, json: { id: SHA2, parent_ids: [SHA1] } });
    expect(await base(SHA3, SHA1)).toMatchObject({ status: 200, json: { id: SHA1 } });
  });

  it.each([
    ['one ref', ['main'], 400, { message: 'Provide at least 2 refs' }],
    ['an unknown ref', ['main', 'nope'], 400, { message: 'ref not found: nope' }],
    ['two unknown refs', ['nope', 'nada'], 400, { message: 'refs not found: nope, nada' }],
  ])('%s: %i', async (_name, refs, status, body) => {
    expect(await base(...refs)).toMatchObject({ status, json: body });
  });

  it('unrelated histories: 404 Merge Base Not Found', async () => {
    addCommit(project, 'orphan', SHA3, 'root', { x: '1' });
    expect(await base('main', 'orphan')).toMatchObject({ status: 404, json: { message: '404 Merge Base Not Found' } });
  });
});

describe('tags', () => {
  it('creates, refuses a second create with 400, shows and lists', async () => {
    const created = await call({ method: 'POST', path: `${P()}/repository/tags?tag_name=v1.2.3&ref=${SHA2}` });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'v1.2.3', target: SHA2, commit: { id: SHA2 } });
    const again = await call({ method: 'POST', path: `${P()}/repository/tags`, body: { tag_name: 'v1.2.3', ref: SHA1 } });
    expect([again.status, again.json]).toEqual([400, { message: 'Tag v1.2.3 already exists' }]);
    expect((await call({ path: `${P()}/repository/tags/v1.2.3` })).json).toMatchObject({ commit: { id: SHA2 } });
    expect((await call({ path: `${P()}/repository/tags/v9` })).json).toEqual({ message: '404 Tag Not Found' });
    const annotated = await call({ method: 'POST', path: `${P()}/repository/tags`, body: { tag_name: 'v2', ref: 'main', message: 'release' } });
    expect((annotated.json as { target: string }).target).not.toBe(SHA2);
  });

  it.each(['bad..name', 'a b', '-x', 'x.lock', 'x~1'])('refuses the invalid tag name %j', async (name) => {
    const res = await call({ method: 'POST', path: `${P()}/repository/tags`, body: { tag_name: name, ref: 'main' } });
    expect([res.status, res.json]).toEqual([400, { message: 'Tag name invalid' }]);
  });

  it('paginates with a Link header', async () => {
    for (let i = 0; i < 25; i++) addTag(project, `t${i}`, SHA1);
    const first = await call({ path: `${P()}/repository/tags?per_page=10` });
    expect((first.json as unknown[]).length).toBe(10);
    expect(first.headers.get('x-total')).toBe('25');
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1] ?? '';
    expect(next).toContain('page=2');
    expect(new URL(next).origin).toBe(gl.url);
  });

  it('finds protected tags by their exact name, patterns included', async () => {
    project.protectedTags.push('v*');
    addTag(project, 'v1', SHA1);
    expect((await call({ path: `${P()}/protected_tags/v*` })).json).toMatchObject({ name: 'v*' });
    expect((await call({ path: `${P()}/protected_tags/v1` })).status).toBe(404);
    expect((await call({ path: `${P()}/repository/tags/v1` })).json).toMatchObject({ protected: true });
  });
});

describe('notes, comments, statuses, releases', () => {
  it('lists merge request notes newest first and lets only the author edit', async () => {
    const a = await call({ method: 'POST', path: `${P()}/merge_requests/7/notes`, body: { body: 'one' } });
    await call({ method: 'POST', path: `${P()}/merge_requests/7/notes`, body: { body: 'two' }, token: 'other-token' });
    expect(a.status).toBe(201);
    const list = (await call({ path: `${P()}/merge_requests/7/notes` })).json as Array<{ body: string; author: { username: string } }>;
    expect(list.map((n) => [n.body, n.author.username])).toEqual([['two', 'someone'], ['one', 'pyrelease-bot']]);
    const id = (a.json as { id: number }).id;
    expect((await call({ method: 'PUT', path: `${P()}/merge_requests/7/notes/${id}`, body: { body: 'x' }, token: 'other-token' })).status).toBe(403);
    expect((await call({ method: 'PUT', path: `${P()}/merge_requests/7/notes/${id}`, body: { body: 'edited' } })).json).toMatchObject({ body: 'edited' });
    expect((await call({ method: 'POST', path: `${P()}/merge_requests/8/notes`, body: { body: 'x' } })).json).toEqual({ message: '404 Merge Request Not Found' });
  });

  it('shows a commit comment as a commit discussion, editable through the discussion', async () => {
    const posted = await call({ method: 'POST', path: `${P()}/repository/commits/${SHA1}/comments`, body: { note: 'hello' } });
    expect(posted.json).toMatchObject({ note: 'hello', author: { username: 'pyrelease-bot' } });
    const [d] = (await call({ path: `${P()}/repository/commits/${SHA1}/discussions` })).json as Array<{ id: string; notes: Array<{ id: number }> }>;
    const put = await call({ method: 'PUT', path: `${P()}/repository/commits/${SHA1}/discussions/${d?.id}/notes/${d?.notes[0]?.id}`, body: { body: 'edited' } });
    expect(put.json).toMatchObject({ body: 'edited', noteable_type: 'Commit' });
    expect((await call({ path: `${P()}/repository/commits/${SHA1}/comments` })).json).toMatchObject([{ note: 'edited' }]);
  });

  it('refuses pending twice on the same status name, accepts pending -> success', async () => {
    const post = (state: string): Promise<{ status: number; json: unknown }> => call({ method: 'POST', path: `${P()}/statuses/${SHA2}`, body: { state, name: 'pyrelease' } });
    expect((await post('pending')).status).toBe(201);
    const twice = await post('pending');
    expect(twice.status).toBe(400);
    expect((await post('success')).json).toMatchObject({ status: 'success', name: 'pyrelease', ref: 'main' });
    expect((await post('success')).status).toBe(201);
    expect((await post('bogus')).status).toBe(400);
  });

  it('creates a release with links, refuses a second with 409, updates it', async () => {
    addTag(project, 'v1', SHA2);
    const body = { tag_name: 'v1', name: 'v1', description: 'd', assets: { links: [{ name: 'a.whl', url: 'https://example.invalid/a.whl' }] } };
    expect((await call({ method: 'POST', path: `${P()}/releases`, body })).json).toMatchObject({ tag_name: 'v1', assets: { links: [{ name: 'a.whl' }] } });
    expect(await call({ method: 'POST', path: `${P()}/releases`, body })).toMatchObject({ status: 409, json: { message: 'Release already exists' } });
    expect((await call({ method: 'PUT', path: `${P()}/releases/v1`, body: { description: 'e' } })).json).toMatchObject({ description: 'e' });
    const dup = await call({ method: 'POST', path: `${P()}/releases/v1/assets/links`, body: { name: 'a.whl', url: 'https://example.invalid/b' } });
    expect([dup.status, dup.json]).toEqual([400, { message: { name: ['has already been taken'] } }]);
    expect((await call({ method: 'POST', path: `${P()}/releases`, body: { tag_name: 'nope' } })).status).toBe(422);
  });
});

describe('faults and the archive', () => {
  it('answers 429 with Retry-After for the next N requests, then normally', async () => {
    gl.fault({ route: 'GET /projects/:id', status: 429, count: 2, retryAfter: 7 });
    const first = await call({ path: P() });
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '7']);
    expect((await call({ path: P() })).status).toBe(429);
    expect((await call({ path: P() })).status).toBe(200);
    expect(gl.log.map((l) => l.faulted)).toEqual([true, true, false]);
  });

  it('answers 429 to every request until a lasting limit ends', async () => {
    const until = Date.now() + 500;
    gl.fault({ route: 'GET /projects/:id', status: 429, retryAfter: 3, until });
    const during = [await call({ path: P() }), await call({ path: P() }), await call({ path: P() })].map((r) => r.status);
    expect(during).toEqual([429, 429, 429]);
    await new Promise((r) => setTimeout(r, until - Date.now() + 10));
    expect((await call({ path: P() })).status).toBe(200);
  });

  it('performs the write before a lost 502 when asked', async () => {
    gl.fault({ route: 'POST /projects/:id/repository/tags', status: 502, afterWrite: true });
    expect((await call({ method: 'POST', path: `${P()}/repository/tags`, body: { tag_name: 'v1', ref: 'main' } })).status).toBe(502);
    expect(project.tags.get('v1')?.commitId).toBe(SHA2);
  });

  it('serves the archive a test put there, 404 otherwise', async () => {
    project.archives.set(SHA1, Buffer.from('tgz-bytes'));
    const res = await fetch(`${gl.url}/api/v4${P()}/repository/archive.tar.gz?sha=${SHA1}`, { headers: { 'PRIVATE-TOKEN': TOKEN } });
    expect([res.status, Buffer.from(await res.arrayBuffer()).toString()]).toEqual([200, 'tgz-bytes']);
    expect((await call({ path: `${P()}/repository/archive.tar.gz?sha=${SHA2}` })).status).toBe(404);
  });
});
