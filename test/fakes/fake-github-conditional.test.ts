// The fake GitHub's conditional requests, rate limit and installation repository listing,
// against plain fetch and the real ProbotOctokit: a 200 to a GET carries an ETag, the same
// request with If-None-Match is a 304 that costs no point, every answer says the limit,
// the remaining points and the reset, and a spent hour answers 403.
import { ProbotOctokit } from 'probot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGithub } from './fake-github.js';
import type { FakeGithub } from './fake-github.js';
import { addCommit, addTag } from './fake-github-arrange.js';
import type { FakeRepo } from './fake-github-state.js';

const S1 = '1'.repeat(40);
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let gh: FakeGithub;
let repo: FakeRepo;
let token: string;

beforeEach(async () => {
  gh = await startFakeGithub();
  repo = gh.addRepo('octo', 'pkg');
  addCommit(repo, 'main', S1, 'first', { 'pyproject.toml': 'x = 1\n' });
  addTag(repo, 'v1.0.0', S1);
  token = gh.installationToken(7);
});

afterEach(async () => {
  await gh.close();
});

const get = (path: string, headers: Record<string, string> = {}, auth = token): Promise<Response> => fetch(`${gh.url}${path}`, { headers: { Authorization: `token ${auth}`, ...headers } });

describe('conditional requests', () => {
  it('answers a matching If-None-Match with 304, no body, and no point spent', async () => {
    const first = await get('/repos/octo/pkg/tags');
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^W\/"[0-9a-f]+"$/);
    expect(first.headers.get('x-ratelimit-used')).toBe('1');

    const again = await get('/repos/octo/pkg/tags', { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    // Still told, and not spent.
    expect(again.headers.get('x-ratelimit-used')).toBe('1');
    expect(again.headers.get('x-ratelimit-remaining')).toBe('4999');
    expect(gh.log.at(-1)).toMatchObject({ status: 304, counted: false });
    expect(gh.rate(7)).toMatchObject({ used: 1, remaining: 4999, limit: 5000 });
  });

  it('a changed resource has another ETag and is answered in full', async () => {
    const etag = (await get('/repos/octo/pkg/tags')).headers.get('etag') ?? '';
    addTag(repo, 'v1.1.0', S1);
    const after = await get('/repos/octo/pkg/tags', { 'If-None-Match': etag });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(((await after.json()) as Array<{ name: string }>).map((t) => t.name).sort()).toEqual(['v1.0.0', 'v1.1.0']);
  });

  it('through ProbotOctokit: a 304 is a RequestError whose headers carry the rate limit', async () => {
    const octokit = new ProbotOctokit({ auth: { token }, baseUrl: gh.url, log: quiet, throttle: { enabled: false }, retry: { enabled: true, retries: 2 } } as ConstructorParameters<typeof ProbotOctokit>[0]);
    const res = await octokit.request('GET /repos/{owner}/{repo}/tags', { owner: 'octo', repo: 'pkg' });
    const error = (await octokit.request('GET /repos/{owner}/{repo}/tags', { owner: 'octo', repo: 'pkg', headers: { 'if-none-match': String(res.headers.etag) } }).catch((e: unknown) => e)) as {
      status: number;
      response: { headers: Record<string, string> };
    };
    expect(error.status).toBe(304);
    expect(error.response.headers['x-ratelimit-remaining']).toBe('4999');
    // plugin-retry does not resend a 304 (it retries 4xx and 5xx only).
    expect(gh.log.filter((l) => l.url.startsWith('/repos/octo/pkg/tags'))).toHaveLength(2);
  });
});

describe('the rate limit', () => {
  it('counts per installation, and answers 403 with x-ratelimit-remaining 0 once the hour is spent', async () => {
    gh.setRate(7, { used: 4999, resetIn: 120 });
    const last = await get('/repos/octo/pkg');
    expect(last.status).toBe(200);
    expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
    const refused = await get('/repos/octo/pkg');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    const reset = Number(refused.headers.get('x-ratelimit-reset'));
    expect(reset * 1000 - Date.now()).toBeGreaterThan(100_000);
    expect(((await refused.json()) as { message: string }).message).toMatch(/rate limit exceeded/);
    // Another installation has its own hour.
    expect((await get('/repos/octo/pkg', {}, gh.installationToken(8))).status).toBe(200);
  });
});

describe('GET /installation/repositories', () => {
  it("lists the installation's repositories with pushed_at, a page at a time, and pushed_at moves with a push", async () => {
    for (let i = 0; i < 3; i++) gh.addRepo('octo', `extra-${i}`, 'main', 7);
    gh.addRepo('octo', 'elsewhere', 'main', 9);
    const first = await get('/installation/repositories?per_page=2');
    expect(first.status).toBe(200);
    expect(first.headers.get('link')).toContain('rel="next"');
    const body = (await first.json()) as { total_count: number; repositories: Array<{ full_name: string; pushed_at: string; default_branch: string }> };
    expect(body.total_count).toBe(4);
    expect(body.repositories.map((r) => r.full_name)).toEqual(['octo/pkg', 'octo/extra-0']);
    expect(body.repositories[0]?.pushed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const etag = first.headers.get('etag') ?? '';
    expect((await get('/installation/repositories?per_page=2', { 'If-None-Match': etag })).status).toBe(304);
    repo.pushedAt = Date.now() + 5000;
    const moved = await get('/installation/repositories?per_page=2', { 'If-None-Match': etag });
    expect(moved.status).toBe(200);
    expect(((await moved.json()) as typeof body).repositories[0]?.pushed_at).not.toBe(body.repositories[0]?.pushed_at);
  });

  it('is refused to a token that is not an installation token', async () => {
    gh.addUser('someone', 'user-token');
    expect((await get('/installation/repositories', {}, 'user-token')).status).toBe(403);
  });

  it('a tag created through the API moves pushed_at', async () => {
    repo.pushedAt = 0;
    const res = await fetch(`${gh.url}/repos/octo/pkg/git/refs`, { method: 'POST', headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ ref: 'refs/tags/v2', sha: S1 }) });
    expect(res.status).toBe(201);
    expect(repo.pushedAt).toBeGreaterThan(Date.now() - 5000);
  });
});
