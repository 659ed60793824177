// The fake GitHub against plain fetch (GitHub's documented paths, status codes and
// bodies) and against the real ProbotOctokit, including the GitHub App JWT exchange with
// a key pair made at test time (never committed).
import { generateKeyPairSync } from 'node:crypto';
import { ProbotOctokit } from 'probot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGithub } from './fake-github.js';
import type { FakeGithub } from './fake-github.js';
import { addDelivery } from './fake-github-app-routes.js';
import { addAnnotatedTag, addBranch, addCommit, addPull, addTag } from './fake-github-arrange.js';
import type { FakeRepo } from './fake-github-state.js';

const S1 = '1'.repeat(40);
const S2 = '2'.repeat(40);
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let gh: FakeGithub;
let repo: FakeRepo;
let token: string;

beforeEach(async () => {
  gh = await startFakeGithub();
  repo = gh.addRepo('octo', 'pkg');
  addCommit(repo, 'main', S1, 'first', { 'pyproject.toml': 'x = 1\n', 'src/a b.txt': 'spaced' });
  addCommit(repo, 'main', S2, '1.2.3\n\nbody', { 'pyproject.toml': 'x = 2\n' });
  addPull(repo, 7, [S2]);
  token = gh.installationToken();
});

afterEach(async () => {
  await gh.close();
});

async function call(method: string, path: string, body?: unknown, auth: string | null = `token ${token}`): Promise<{ status: number; json: unknown; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (auth !== null) headers['Authorization'] = auth;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${gh.url}${path}`, { method, headers, redirect: 'manual', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

describe('plain fetch', () => {
  it.each([
    ['no token', 'GET', '/repos/octo/pkg', undefined, null, 401, { message: 'Requires authentication' }],
    ['bad token', 'GET', '/repos/octo/pkg', undefined, 'token nope', 401, { message: 'Bad credentials' }],
    ['repo', 'GET', '/repos/octo/pkg', undefined, undefined, 200, { default_branch: 'main' }],
    ['unknown repo', 'GET', '/repos/octo/nope', undefined, undefined, 404, { message: 'Not Found', status: '404' }],
    ['file', 'GET', `/repos/octo/pkg/contents/pyproject.toml?ref=${S1}`, undefined, undefined, 200, { type: 'file', encoding: 'base64', content: Buffer.from('x = 1\n').toString('base64') }],
    ['encoded nested path', `GET`, `/repos/octo/pkg/contents/src%2Fa%20b.txt?ref=${S1}`, undefined, undefined, 200, { path: 'src/a b.txt' }],
    ['absent file', 'GET', '/repos/octo/pkg/contents/setup.cfg', undefined, undefined, 404, { message: 'Not Found' }],
    ['absent ref', 'GET', '/repos/octo/pkg/contents/pyproject.toml?ref=nope', undefined, undefined, 404, { message: 'No commit found for the ref nope' }],
    ['commit', 'GET', '/repos/octo/pkg/commits/main', undefined, undefined, 200, { sha: S2, commit: { message: '1.2.3\n\nbody' } }],
    ['unknown commit', 'GET', '/repos/octo/pkg/commits/nope', undefined, undefined, 422, { message: 'No commit found for SHA: nope' }],
    ['compare behind', 'GET', `/repos/octo/pkg/compare/main...${S1}`, undefined, undefined, 200, { status: 'behind', behind_by: 1 }],
    ['compare ahead', 'GET', `/repos/octo/pkg/compare/${S1}...main`, undefined, undefined, 200, { status: 'ahead', ahead_by: 1 }],
    ['new ref', 'POST', '/repos/octo/pkg/git/refs', { ref: 'refs/tags/v9', sha: S1 }, undefined, 201, { ref: 'refs/tags/v9', object: { sha: S1, type: 'commit' } }],
    ['bad ref name', 'POST', '/repos/octo/pkg/git/refs', { ref: 'refs/tags/a..b', sha: S1 }, undefined, 422, { message: 'refs/tags/a..b is not a valid ref name.' }],
    ['check run with a user token', 'POST', '/repos/octo/pkg/check-runs', { name: 'x', head_sha: S1 }, 'token human', 403, { message: 'You must authenticate via a GitHub App.' }],
    ['check run summary too long', 'POST', '/repos/octo/pkg/check-runs', { name: 'x', head_sha: S1, output: { title: 't', summary: 'x'.repeat(65536) } }, undefined, 422, { message: 'Invalid request.\n\nOnly 65535 characters are allowed; 65536 were supplied.' }],
    ['app route with a token', 'GET', '/app/hook/deliveries', undefined, undefined, 401, { message: 'A JSON web token could not be decoded' }],
  ] as const)('%s', async (_name, method, path, body, auth, status, expected) => {
    gh.addUser('human', 'human');
    const res = await call(method, path, body, auth === undefined ? `token ${token}` : auth);
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject(expected);
  });

  it('compare answers merge_base_commit, and 404 "No common ancestor" for unrelated histories', async () => {
    const S3 = '3'.repeat(40);
    const S4 = '4'.repeat(40);
    addBranch(repo, 'stable-1-2-ee', 'main');
    addCommit(repo, 'stable-1-2-ee', S3, 'backport', { 'pyproject.toml': 'x = 3\n' });
    addCommit(repo, 'main', S4, 'next', { 'pyproject.toml': 'x = 4\n' });
    expect(await call('GET', '/repos/octo/pkg/compare/main...stable-1-2-ee')).toMatchObject({ status: 200, json: { status: 'diverged', ahead_by: 1, behind_by: 1, merge_base_commit: { sha: S2, parents: [{ sha: S1 }] } } });
    expect(await call('GET', `/repos/octo/pkg/compare/${S1}...${S3}`)).toMatchObject({ status: 200, json: { status: 'ahead', merge_base_commit: { sha: S1 } } });
    addCommit(repo, 'orphan', '5'.repeat(40), 'root', { x: '1' });
    expect(await call('GET', '/repos/octo/pkg/compare/main...orphan')).toMatchObject({ status: 404, json: { message: 'No common ancestor between main and orphan.' } });
  });

  it('compare lists the commits of base...head oldest first, paged by per_page and page with a Link header', async () => {
    const more = ['3', '4', '5'].map((c) => c.repeat(40));
    for (const s of more) addCommit(repo, 'main', s, `commit ${s[0] ?? ''}`, { 'pyproject.toml': 'x\n' });
    const shas = (r: { json: unknown }): string[] => (r.json as { commits: Array<{ sha: string }> }).commits.map((c) => c.sha);
    const all = await call('GET', `/repos/octo/pkg/compare/${S1}...main`);
    expect(all.json).toMatchObject({ total_commits: 4 });
    expect(shas(all)).toEqual([S2, ...more]);
    const second = await call('GET', `/repos/octo/pkg/compare/${S1}...main?per_page=3&page=2`);
    expect(shas(second)).toEqual([more[2]]);
    expect(second.json).toMatchObject({ total_commits: 4, status: 'ahead' });
    expect(second.headers.get('link')).toContain('rel="prev"');
    expect(shas(await call('GET', `/repos/octo/pkg/compare/main...${S1}`))).toEqual([]);
  });

  it('a merged pull request of a commit carries its title, user, html_url and merge_commit_sha', async () => {
    addPull(repo, 8, [S1], 'closed', true, { title: 'Fix it', author: 'alice' });
    expect((await call('GET', `/repos/octo/pkg/commits/${S1}/pulls`)).json).toMatchObject([
      { number: 8, title: 'Fix it', state: 'closed', user: { login: 'alice' }, html_url: expect.stringContaining('/pull/8') as unknown, merged_at: expect.any(String) as unknown, merge_commit_sha: S1 },
    ]);
    expect((await call('GET', `/repos/octo/pkg/commits/${S2}/pulls`)).json).toMatchObject([{ number: 7, merged_at: null, merge_commit_sha: null }]);
  });

  it('an existing ref is a 422 "Reference already exists"', async () => {
    addTag(repo, 'v1', S1);
    expect(await call('POST', '/repos/octo/pkg/git/refs', { ref: 'refs/tags/v1', sha: S2 })).toMatchObject({ status: 422, json: { message: 'Reference already exists' } });
  });

  it('an annotated tag ref points at a tag object that peels to the commit', async () => {
    const obj = addAnnotatedTag(repo, 'v2', S2);
    expect((await call('GET', '/repos/octo/pkg/git/ref/tags%2Fv2')).json).toMatchObject({ object: { type: 'tag', sha: obj } });
    expect((await call('GET', `/repos/octo/pkg/git/tags/${obj}`)).json).toMatchObject({ object: { type: 'commit', sha: S2 } });
    expect((await call('GET', '/repos/octo/pkg/tags')).json).toEqual([expect.objectContaining({ name: 'v2', commit: expect.objectContaining({ sha: S2 }) as unknown })]);
  });

  it('a duplicate release is 422 already_exists', async () => {
    expect((await call('POST', '/repos/octo/pkg/releases', { tag_name: 'v1' })).status).toBe(201);
    expect(repo.tags.get('v1')).toBe(S2);
    expect((await call('POST', '/repos/octo/pkg/releases', { tag_name: 'v1' })).json).toMatchObject({ message: 'Validation Failed', errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }] });
  });

  it('the tarball is a 302 to a codeload URL on the same host that needs its own token', async () => {
    repo.archives.set(S2, Buffer.from('gz'));
    const res = await call('GET', '/repos/octo/pkg/tarball/main');
    expect(res.status).toBe(302);
    const location = res.headers.get('location') ?? '';
    expect(location.startsWith(`${gh.url}/_codeload/octo/pkg/legacy.tar.gz/${S2}?token=`)).toBe(true);
    expect(await (await fetch(location)).text()).toBe('gz');
    expect((await fetch(location.replace(/token=.*/, 'token=guess'))).status).toBe(404);
  });

  it.each([
    [{ status: 403, limit: 'primary', resetIn: 100 } as const, 403, 'x-ratelimit-remaining', '0'],
    [{ status: 403, limit: 'secondary', retryAfter: 7 } as const, 403, 'retry-after', '7'],
    [{ status: 429, limit: 'secondary', retryAfter: 9 } as const, 429, 'retry-after', '9'],
  ])('fault %j', async (fault, status, header, value) => {
    gh.fault({ route: 'GET /repos/:owner/:repo', ...fault });
    const res = await call('GET', '/repos/octo/pkg');
    expect([res.status, res.headers.get(header)]).toEqual([status, value]);
    expect((await call('GET', '/repos/octo/pkg')).status).toBe(200);
  });

  it('a lasting primary limit answers every request until it ends, and its reset is the end', async () => {
    const until = Date.now() + 700;
    gh.fault({ route: 'GET /repos/:owner/:repo', status: 403, limit: 'primary', until });
    const statuses: number[] = [];
    let reset: string | null = null;
    for (let i = 0; i < 3; i++) {
      const res = await call('GET', '/repos/octo/pkg');
      statuses.push(res.status);
      reset ??= res.headers.get('x-ratelimit-reset');
    }
    expect([statuses, reset]).toEqual([[403, 403, 403], String(Math.ceil(until / 1000))]);
    await new Promise((r) => setTimeout(r, until - Date.now() + 10));
    expect((await call('GET', '/repos/octo/pkg')).status).toBe(200);
  });

  it('a fault after the write performs the write and loses the answer', async () => {
    gh.fault({ route: 'POST /repos/:owner/:repo/issues/:issue_number/comments', status: 502, afterWrite: true });
    expect((await call('POST', '/repos/octo/pkg/issues/7/comments', { body: 'hi' })).status).toBe(502);
    expect(repo.issueComments.map((c) => c.body)).toEqual(['hi']);
    expect(gh.log.at(-1)).toMatchObject({ faulted: true, actor: 'pyrelease[bot]' });
  });

  it('issue comments paginate with a Link header', async () => {
    for (let i = 0; i < 35; i++) await call('POST', '/repos/octo/pkg/issues/7/comments', { body: `c${i}` });
    const first = await call('GET', '/repos/octo/pkg/issues/7/comments');
    expect((first.json as unknown[]).length).toBe(30);
    expect(first.headers.get('link')).toContain('rel="next"');
    expect((first.json as unknown[])[0]).toMatchObject({ user: { login: 'pyrelease[bot]', type: 'Bot' }, performed_via_github_app: { slug: 'pyrelease' } });
  });
});

describe('the real ProbotOctokit', () => {
  it('authenticates as the app with an RS256 JWT, gets an installation token, and reads and writes', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    gh.setAppKey(publicKey);
    gh.addInstallation(77);
    const octokit = new ProbotOctokit({
      auth: { appId: gh.state.appId, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), installationId: 77 },
      baseUrl: gh.url,
      log: quiet,
      throttle: { enabled: false },
    } as ConstructorParameters<typeof ProbotOctokit>[0]);
    const got = await octokit.request('GET /repos/{owner}/{repo}', { owner: 'octo', repo: 'pkg' });
    expect(got.data.default_branch).toBe('main');
    await octokit.request('POST /repos/{owner}/{repo}/check-runs', { owner: 'octo', repo: 'pkg', name: 'pyrelease', head_sha: S2, status: 'in_progress' });
    expect(repo.checkRuns).toHaveLength(1);
    expect(gh.log.map((l) => l.route)).toEqual(['POST /app/installations/:installation_id/access_tokens', 'GET /repos/:owner/:repo', 'POST /repos/:owner/:repo/check-runs']);
    expect(gh.log[1]?.authorization).toBe(`token ${gh.state.installationTokens[0] ?? ''}`);
  });

  it('reads a pull request by number (pulls/get) with its head and base, and answers 404 for an unknown one', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    gh.setAppKey(publicKey);
    gh.addInstallation(77);
    addPull(repo, 12, [S1, S2]);
    const octokit = new ProbotOctokit({ auth: { appId: gh.state.appId, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), installationId: 77 }, baseUrl: gh.url, log: quiet, throttle: { enabled: false }, retry: { enabled: false } } as ConstructorParameters<typeof ProbotOctokit>[0]);
    const pull = await octokit.rest.pulls.get({ owner: 'octo', repo: 'pkg', pull_number: 12 });
    expect(pull.data).toMatchObject({ number: 12, state: 'open', head: { sha: S2, repo: { id: repo.id, full_name: 'octo/pkg' } }, base: { ref: 'main', repo: { id: repo.id } } });
    await expect(octokit.rest.pulls.get({ owner: 'octo', repo: 'pkg', pull_number: 13 })).rejects.toMatchObject({ status: 404 });
  });

  it('a JWT signed with another key is refused', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    gh.setAppKey(publicKey);
    gh.addInstallation(77);
    const octokit = new ProbotOctokit({ auth: { appId: gh.state.appId, privateKey: other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), installationId: 77 }, baseUrl: gh.url, log: quiet, throttle: { enabled: false }, retry: { enabled: false } } as ConstructorParameters<typeof ProbotOctokit>[0]);
    await expect(octokit.request('GET /repos/{owner}/{repo}', { owner: 'octo', repo: 'pkg' })).rejects.toMatchObject({ status: 401 });
  });

  it('lists hook deliveries by cursor and redelivers one (JWT)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    gh.setAppKey(publicKey);
    for (let i = 0; i < 5; i++) addDelivery(gh.state, { guid: `g${i}`, event: 'push', action: null, statusCode: i === 2 ? 502 : 200, redelivery: false, installationId: 77, repositoryId: repo.id });
    const app = new ProbotOctokit({ auth: { appId: gh.state.appId, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, baseUrl: gh.url, log: quiet, throttle: { enabled: false } } as ConstructorParameters<typeof ProbotOctokit>[0]);
    const all = await app.paginate('GET /app/hook/deliveries', { per_page: 2 });
    expect(all.map((d) => d.guid)).toEqual(['g4', 'g3', 'g2', 'g1', 'g0']);
    const failed = all.find((d) => d.status_code === 502);
    const res = await app.request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: failed?.id ?? 0 });
    expect(res.status).toBe(202);
    expect(gh.state.redeliveries).toEqual([failed?.id]);
  });
});
