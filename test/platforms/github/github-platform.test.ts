// The GitHub adapter through the real ProbotOctokit (plugin-retry on, as in production)
// against the fake GitHub on 127.0.0.1: the shared Platform contract, then GitHub's own
// failure cases (422 on an existing ref, lost responses retried by plugin-retry, primary
// and secondary rate limits, a bad token, a tarball redirect elsewhere, hostile input).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProbotOctokit } from 'probot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommentTarget, StatusState } from '../../../src/core/actions.js';
import type { AppError } from '../../../src/errors.js';
import { TagConflictError } from '../../../src/errors.js';
import { CHECK_TITLE_LIMIT } from '../../../src/platforms/github/github-checks.js';
import { boundedThrottle } from '../../../src/platforms/github/github-octokit.js';
import type { GithubOctokit } from '../../../src/platforms/github/github-octokit.js';
import { createGithubPlatform } from '../../../src/platforms/github/github-platform.js';
import { RELEASE_FILES_MARKER } from '../../../src/platforms/github/github-releases.js';
import type { Platform } from '../../../src/platforms/platform.js';
import { startFakeGithub } from '../../fakes/fake-github.js';
import type { FakeGithub } from '../../fakes/fake-github.js';
import { addAnnotatedTag, addBranch, addCommit, addPull, addTag, addTagRuleset } from '../../fakes/fake-github-arrange.js';
import type { FakeRepo } from '../../fakes/fake-github-state.js';
import { A, B, C, platformContract } from '../platform-contract.js';

const BOT = 'pyrelease[bot]';
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export function octokitFor(url: string, token: string, throttle: 'off' | 'bounded' = 'off'): GithubOctokit {
  return new ProbotOctokit({
    auth: { token },
    baseUrl: url,
    log: quiet,
    throttle: throttle === 'off' ? { enabled: false } : { enabled: true, ...boundedThrottle(0) },
    retry: { enabled: true, retries: 2, retryAfterBaseValue: 1 },
  } as ConstructorParameters<typeof ProbotOctokit>[0]);
}

function commentsOn(repo: FakeRepo, target: CommentTarget): string[] {
  const list = target.kind === 'change-request' ? repo.issueComments.filter((c) => c.on === target.number) : repo.commitComments.filter((c) => c.on === target.sha);
  return [...list].sort((a, b) => a.id - b.id).map((c) => c.body);
}

/** Reads back the links ensureRelease wrote into the body (GitHub releases have no links). */
function releaseOf(repo: FakeRepo, tag: string): { name: string; description: string; links: Array<{ name: string; url: string }> } | null {
  const r = repo.releases.find((x) => x.tagName === tag);
  if (r === undefined) return null;
  const [description = '', files = ''] = (r.body ?? '').split(`\n\n${RELEASE_FILES_MARKER}\n`);
  const links = [...files.matchAll(/^- \[(.*)\]\((.*)\)$/gm)].map((m) => ({ name: (m[1] ?? '').replace(/\\(.)/g, '$1'), url: m[2] ?? '' }));
  return { name: r.name ?? '', description, links };
}

function stateOf(status: string, conclusion: string | null): StatusState {
  return status !== 'completed' ? 'pending' : conclusion === 'success' ? 'success' : 'failure';
}

platformContract('github', async () => {
  const gh = await startFakeGithub();
  const repo = gh.addRepo('octo-org', 'pkg');
  let rulesetId = 1;
  return {
    platform: createGithubPlatform({ octokit: octokitFor(gh.url, gh.installationToken()), owner: 'octo-org', repo: 'pkg', botLogin: BOT }),
    identity: { id: String(repo.id), path: 'octo-org/pkg' },
    teardown: () => gh.close(),
    arrange: {
      commit: (branch, sha, message, files) => Promise.resolve(void addCommit(repo, branch, sha, message, files)),
      branch: (name, from) => Promise.resolve(addBranch(repo, name, from)),
      tag: (name, sha) => Promise.resolve(addTag(repo, name, sha)),
      protectTag: (name) => Promise.resolve(void addTagRuleset(repo, rulesetId++, [`refs/tags/${name}`])),
      changeRequest: (n, shas) => Promise.resolve(void addPull(repo, n, shas)),
      mergedChangeRequest: (n, shas, title, author) => Promise.resolve(void addPull(repo, n, shas, 'closed', true, { title, author })),
      archive: (sha, bytes) => Promise.resolve(void repo.archives.set(sha, bytes)),
      comments: (target) => Promise.resolve(commentsOn(repo, target)),
      statuses: (sha) =>
        Promise.resolve(
          repo.checkRuns
            .filter((r) => r.headSha === sha)
            .sort((a, b) => a.id - b.id)
            .map((r) => ({ state: stateOf(r.status, r.conclusion), description: r.title ?? '' })),
        ),
      release: (tag) => Promise.resolve(releaseOf(repo, tag)),
    },
  };
});

describe('GitHub adapter specifics', () => {
  let gh: FakeGithub;
  let repo: FakeRepo;
  let token: string;
  let platform: Platform;
  const MARKER = '<!-- pyrelease -->';
  const pr: CommentTarget = { kind: 'change-request', number: 3 };
  let dir: string;

  beforeEach(async () => {
    gh = await startFakeGithub();
    repo = gh.addRepo('octo-org', 'pkg');
    addCommit(repo, 'main', A, 'first', { 'pyproject.toml': 'x', 'docs/index.md': 'd' });
    addCommit(repo, 'main', B, 'second', { 'pyproject.toml': 'y' });
    addPull(repo, 3, [B]);
    token = gh.installationToken();
    platform = createGithubPlatform({ octokit: octokitFor(gh.url, token), owner: 'octo-org', repo: 'pkg', botLogin: BOT });
    dir = await mkdtemp(join(tmpdir(), 'gh-platform-'));
  });

  afterEach(async () => {
    await gh.close();
    await rm(dir, { recursive: true, force: true });
  });

  const hits = (route: string): number => gh.log.filter((l) => l.route === route).length;

  it.each([
    ['same sha', B, 'exists'],
    ['other sha', A, 'conflict'],
  ] as const)('ensureTag: the 422 for an existing ref is settled by re-reading it (%s)', async (_name, wanted, expected) => {
    addTag(repo, 'v1', B);
    const result = await platform.ensureTag('v1', wanted, '').catch((e: unknown) => e);
    if (expected === 'exists') expect(result).toBe('exists');
    else expect(result).toMatchObject({ constructor: TagConflictError, existingSha: B, wantedSha: A });
    expect(gh.log.find((l) => l.route === 'POST /repos/:owner/:repo/git/refs')?.status).toBe(422);
  });

  it('ensureTag peels an annotated tag before comparing', async () => {
    const objectSha = addAnnotatedTag(repo, 'v1', B);
    expect(await platform.getTag('v1')).toEqual({ name: 'v1', sha: B });
    expect(await platform.ensureTag('v1', B, '')).toBe('exists');
    expect(repo.tags.get('v1')).toBe(objectSha);
    expect(await platform.listTags()).toEqual([{ name: 'v1', sha: B }]);
  });

  it('ensureTag: a create whose 502 came after the write is retried by plugin-retry and ends as exists', async () => {
    gh.fault({ route: 'POST /repos/:owner/:repo/git/refs', status: 502, afterWrite: true });
    expect(await platform.ensureTag('v1', B, '')).toBe('exists');
    expect(repo.tags.get('v1')).toBe(B);
    expect(hits('POST /repos/:owner/:repo/git/refs')).toBe(2);
  });

  it.each([500, 502, 503] as const)('upsertComment: a %i after the write leaves exactly one comment', async (status) => {
    gh.fault({ route: 'POST /repos/:owner/:repo/issues/:issue_number/comments', status, afterWrite: true });
    expect(await platform.upsertComment(pr, `${MARKER} a`, MARKER)).toBe('created');
    expect(hits('POST /repos/:owner/:repo/issues/:issue_number/comments')).toBe(2);
    expect(hits('DELETE /repos/:owner/:repo/issues/comments/:comment_id')).toBe(1);
    expect(commentsOn(repo, pr)).toEqual([`${MARKER} a`]);
    expect(await platform.upsertComment(pr, `${MARKER} a`, MARKER)).toBe('unchanged');
  });

  it('upsertComment: a commit comment lost after the write is not duplicated either, and is edited in place', async () => {
    gh.fault({ route: 'POST /repos/:owner/:repo/commits/:commit_sha/comments', status: 502, afterWrite: true });
    const target: CommentTarget = { kind: 'commit', sha: B };
    expect(await platform.upsertComment(target, `${MARKER} c`, MARKER)).toBe('created');
    expect(await platform.upsertComment(target, `${MARKER} d`, MARKER)).toBe('updated');
    expect(commentsOn(repo, target)).toEqual([`${MARKER} d`]);
  });

  it("upsertComment never edits a human's or another app's comment that quotes the marker", async () => {
    gh.addUser('human', 'human-token');
    gh.addUser('other-app[bot]', 'other-token', 'Bot', 99);
    for (const t of ['human-token', 'other-token']) {
      await fetch(`${gh.url}/repos/octo-org/pkg/issues/3/comments`, { method: 'POST', headers: { Authorization: `token ${t}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ body: `${MARKER} copied` }) });
    }
    for (const body of ['one', 'two', 'two']) await platform.upsertComment(pr, `${MARKER} ${body}`, MARKER);
    expect(commentsOn(repo, pr)).toEqual([`${MARKER} copied`, `${MARKER} copied`, `${MARKER} two`]);
  });

  it('upsertComment without a bot login recognises comments made through an app', async () => {
    const anon = createGithubPlatform({ octokit: octokitFor(gh.url, token), owner: 'octo-org', repo: 'pkg' });
    gh.addUser('human', 'human-token');
    await fetch(`${gh.url}/repos/octo-org/pkg/issues/3/comments`, { method: 'POST', headers: { Authorization: 'token human-token', 'Content-Type': 'application/json' }, body: JSON.stringify({ body: `${MARKER} copied` }) });
    expect(await anon.upsertComment(pr, `${MARKER} x`, MARKER)).toBe('created');
    expect(await anon.upsertComment(pr, `${MARKER} y`, MARKER)).toBe('updated');
    expect(await anon.upsertComment(pr, `${MARKER} z`, MARKER, { createIfMissing: false })).toBe('updated');
    expect(commentsOn(repo, pr)).toEqual([`${MARKER} copied`, `${MARKER} z`]);
  });

  it('upsertComment reads every page and honours createIfMissing: false', async () => {
    for (let i = 0; i < 130; i++) repo.issueComments.push({ id: 100 + i, authorId: gh.state.botId, body: `chatter ${i}`, createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z', on: 3 });
    expect(await platform.upsertComment(pr, `${MARKER} new`, MARKER, { createIfMissing: false })).toBe('absent');
    repo.issueComments.push({ id: 900, authorId: gh.state.botId, body: `${MARKER} old`, createdAt: '2025-01-02T00:00:00Z', updatedAt: '2025-01-02T00:00:00Z', on: 3 });
    expect(await platform.upsertComment(pr, `${MARKER} new`, MARKER)).toBe('updated');
    expect(commentsOn(repo, pr).filter((b) => b.startsWith(MARKER))).toEqual([`${MARKER} new`]);
    expect(hits('GET /repos/:owner/:repo/issues/:issue_number/comments')).toBe(4);
  });

  it('a primary rate limit (403, x-ratelimit-remaining 0) is retryable with retryAfterSeconds from x-ratelimit-reset', async () => {
    gh.fault({ route: 'GET /repos/:owner/:repo', status: 403, limit: 'primary', resetIn: 1200 });
    const error = (await platform.defaultBranch().catch((e: unknown) => e)) as AppError;
    expect(error).toMatchObject({ code: 'forge-unavailable', retryable: true, details: { rateLimited: true } });
    expect(Number(error.details['retryAfterSeconds'])).toBeGreaterThanOrEqual(1199);
    expect(Number(error.details['retryAfterSeconds'])).toBeLessThanOrEqual(1202);
    expect(hits('GET /repos/:owner/:repo')).toBe(1);
  });

  it.each([
    ['secondary 403 with retry-after', { status: 403, limit: 'secondary', retryAfter: 30 }, 30, 1],
    ['429 with retry-after, retried by plugin-retry', { status: 429, limit: 'secondary', retryAfter: 45, count: 3 }, 45, 3],
  ] as const)('%s -> forge-unavailable with that wait', async (_name, fault, wait, requests) => {
    gh.fault({ route: 'GET /repos/:owner/:repo', ...fault });
    await expect(platform.defaultBranch()).rejects.toMatchObject({ code: 'forge-unavailable', retryable: true, details: { retryAfterSeconds: wait, rateLimited: true } });
    expect(hits('GET /repos/:owner/:repo')).toBe(requests);
  });

  it('with the throttling plugin on and bounded handlers, a long rate limit is not waited out', async () => {
    const throttled = createGithubPlatform({ octokit: octokitFor(gh.url, token, 'bounded'), owner: 'octo-org', repo: 'pkg' });
    gh.fault({ route: 'GET /repos/:owner/:repo', status: 403, limit: 'primary', resetIn: 3600 });
    const started = Date.now();
    await expect(throttled.defaultBranch()).rejects.toMatchObject({ code: 'forge-unavailable', retryable: true });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a 5xx storm ends in a retryable forge-unavailable after plugin-retry gave up', async () => {
    gh.fault({ route: 'GET /repos/:owner/:repo/commits/:ref', status: 503, count: 10 });
    const error = (await platform.resolveCommit('main').catch((e: unknown) => e)) as AppError;
    expect(error).toMatchObject({ code: 'forge-unavailable', retryable: true, details: { status: 503 } });
    // An outage, not a rate limit: it spends attempts (jobs/throttle.ts).
    expect(error.details['rateLimited']).toBeUndefined();
    expect(hits('GET /repos/:owner/:repo/commits/:ref')).toBe(3);
  });

  it.each([
    ['a bad token', 'ghs_wrong-secret-token', 'forge-auth'],
  ])('%s is forge-auth, permanent, and the token appears nowhere in the error', async (_name, bad, code) => {
    const p = createGithubPlatform({ octokit: octokitFor(gh.url, bad), owner: 'octo-org', repo: 'pkg' });
    const error = (await p.readFile('pyproject.toml', 'main').catch((e: unknown) => e)) as AppError;
    expect(error).toMatchObject({ code, retryable: false, details: { status: 401 } });
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify({ m: error.message, d: error.details, s: error.stack })).not.toContain(bad);
  });

  it('a permission 403 is forge-auth; an unknown repository is forge-not-found', async () => {
    gh.addUser('human', 'human-token');
    const user = createGithubPlatform({ octokit: octokitFor(gh.url, 'human-token'), owner: 'octo-org', repo: 'pkg' });
    await expect(user.setStatus(B, { state: 'success', description: 'ok' })).rejects.toMatchObject({ code: 'forge-auth', details: { status: 403 } });
    const lost = createGithubPlatform({ octokit: octokitFor(gh.url, token), owner: 'octo-org', repo: 'missing' });
    await expect(lost.defaultBranch()).rejects.toMatchObject({ code: 'forge-not-found' });
    await expect(lost.readFile('x', 'main')).resolves.toBeNull();
  });

  it('a refused connection is forge-unavailable', async () => {
    const url = gh.url;
    await gh.close();
    const gone = createGithubPlatform({ octokit: octokitFor(url, token), owner: 'o', repo: 'r' });
    await expect(gone.listTags()).rejects.toMatchObject({ code: 'forge-unavailable', retryable: true });
    gh = await startFakeGithub();
  });

  it.each([
    ['a query in the ref', 'pyproject.toml', 'main?ref=evil&x=1', 'ref=main%3Fref%3Devil%26x%3D1'],
    ['a fragment and spaces in the path', 'dir/a b#c.toml', 'main', 'contents/dir%2Fa%20b%23c.toml'],
    ['a traversal in the path', '../../user', 'main', null],
  ])('hostile input stays URL-encoded: %s', async (_name, path, ref, expected) => {
    expect(await platform.readFile(path, ref)).toBeNull();
    if (expected === null) expect(gh.log).toHaveLength(0);
    else expect(gh.log.at(-1)).toMatchObject({ route: 'GET /repos/:owner/:repo/contents/*path', url: expect.stringContaining(expected) as string });
  });

  it.each(['.', '..', '%2e%2e'])('a ref, tag or sha of %j never reaches GitHub', async (dots) => {
    expect(await platform.readFile(dots, 'main')).toBeNull();
    expect(await platform.resolveCommit(dots)).toBeNull();
    expect(await platform.getTag(dots)).toBeNull();
    expect(gh.log).toHaveLength(0);
  });

  it('hostile tag names are encoded into one segment', async () => {
    expect(await platform.getTag('v1/../../../x?y#z')).toBeNull();
    expect(gh.log.at(-1)?.url).toBe('/repos/octo-org/pkg/git/ref/tags%2Fv1%2F..%2F..%2F..%2Fx%3Fy%23z');
    await expect(platform.ensureTag('bad..name', B, '')).rejects.toMatchObject({ code: 'forge-refused', retryable: false });
  });

  it('a directory is not a file', async () => {
    expect(await platform.readFile('docs', A)).toBeNull();
    expect(await platform.readFile('docs/index.md', A)).toBe('d');
  });

  it('setStatus: pending then a result updates one check run; a later pending starts a new run; a repeat changes nothing', async () => {
    await platform.setStatus(B, { state: 'pending', description: 'checking' });
    await platform.setStatus(B, { state: 'success', description: 'ok', summary: '## all good', targetUrl: 'https://example.invalid/r' });
    await platform.setStatus(B, { state: 'success', description: 'ok', summary: '## all good', targetUrl: 'https://example.invalid/r' });
    expect(repo.checkRuns.map((r) => [r.name, r.status, r.conclusion, r.title, r.summary, r.detailsUrl])).toEqual([['pyrelease', 'completed', 'success', 'ok', '## all good', 'https://example.invalid/r']]);
    await platform.setStatus(B, { state: 'pending', description: 'checking again' });
    expect(repo.checkRuns.map((r) => r.status)).toEqual(['completed', 'in_progress']);
    expect(hits('POST /repos/:owner/:repo/check-runs')).toBe(2);
  });

  it("setStatus cuts the title and the summary to GitHub's limits", async () => {
    await platform.setStatus(B, { state: 'failure', description: `a\n${'é'.repeat(400)}`, summary: 'x'.repeat(70_000) });
    const run = repo.checkRuns[0];
    expect([...(run?.title ?? '')]).toHaveLength(CHECK_TITLE_LIMIT);
    expect(run?.title?.startsWith('a é')).toBe(true);
    expect(run?.summary?.length).toBe(65535);
  });

  it('setStatus does not edit a check run of the same name that another app owns', async () => {
    repo.checkRuns.push({ id: 1, headSha: B, name: 'pyrelease', appId: 99, status: 'in_progress', conclusion: null, title: 'theirs', summary: 's', text: null, detailsUrl: null, startedAt: '', completedAt: null });
    await platform.setStatus(B, { state: 'success', description: 'ours' });
    expect(repo.checkRuns.map((r) => [r.appId, r.title])).toEqual([[99, 'theirs'], [gh.state.appId, 'ours']]);
  });

  it.each([
    [['refs/tags/v*'], [], 'v1.2.3', true],
    [['refs/tags/v*'], [], 'self-hosted-v1', false],
    [['refs/tags/v*'], [], 'v1/x', false],
    [['refs/tags/**'], ['refs/tags/nightly-*'], 'nightly-1', false],
    [['~ALL'], [], 'anything', true],
  ])('isTagProtected: include %j exclude %j, %s -> %s', async (include, exclude, tag, expected) => {
    addTagRuleset(repo, 7, include, exclude);
    addTagRuleset(repo, 8, ['~ALL'], [], 'evaluate');
    expect(await platform.isTagProtected(tag)).toBe(expected);
  });

  it('isTagProtected is null when the rulesets cannot be read', async () => {
    gh.fault({ route: 'GET /repos/:owner/:repo/rulesets', status: 403, limit: 'primary', resetIn: 60 });
    await expect(platform.isTagProtected('v1')).rejects.toMatchObject({ code: 'forge-unavailable' });
    const forbidden = await startFakeGithub({ routes: [{ method: 'GET', pattern: '/repos/:owner/:repo/rulesets', handle: () => ({ status: 403, body: { message: 'Resource not accessible by integration' } }) }] });
    forbidden.addRepo('octo-org', 'pkg');
    const p = createGithubPlatform({ octokit: octokitFor(forbidden.url, forbidden.installationToken()), owner: 'octo-org', repo: 'pkg' });
    expect(await p.isTagProtected('v1')).toBeNull();
    await forbidden.close();
  });

  it('changeRequestsForCommit keeps open and merged pull requests, not closed ones', async () => {
    addPull(repo, 4, [B], 'closed', true);
    addPull(repo, 5, [B], 'closed', false);
    expect(await platform.changeRequestsForCommit(B)).toEqual([3, 4]);
    expect(await platform.changeRequestsForCommit('f'.repeat(40))).toEqual([]);
  });

  it('branchesContaining with a slash in the branch name and a diverged branch', async () => {
    addBranch(repo, 'release/1.x', 'main');
    addCommit(repo, 'other', C, 'unrelated', {});
    expect((await platform.branchesContaining(A)).sort()).toEqual(['main', 'release/1.x']);
    expect(await platform.branchesContaining(C)).toEqual(['other']);
  });

  it('ensureRelease: a create whose 502 came after the write ends as one release with its links in the body', async () => {
    addTag(repo, 'v1', B);
    gh.fault({ route: 'POST /repos/:owner/:repo/releases', status: 502, afterWrite: true });
    const release = { tag: 'v1', name: 'v1', description: 'd', links: [{ name: 'a_[x].whl', url: 'https://example.invalid/a (1).whl' }] };
    expect(await platform.ensureRelease(release)).toBe('updated');
    expect(repo.releases).toHaveLength(1);
    expect(releaseOf(repo, 'v1')).toEqual({ name: 'v1', description: 'd', links: [{ name: 'a_[x].whl', url: 'https://example.invalid/a%20%281%29.whl' }] });
  });

  it('downloadArchive follows the redirect to codeload on the same host, without our token', async () => {
    repo.archives.set(B, Buffer.from('tarball'));
    await platform.downloadArchive(B, join(dir, 'a.tar.gz'));
    const codeload = gh.log.find((l) => l.route === 'GET /_codeload/:owner/:repo/legacy.tar.gz/:sha');
    expect(codeload).toMatchObject({ status: 200, authorization: null });
  });

  it('downloadArchive refuses a redirect to another host and never connects there', async () => {
    const foreign = await startFakeGithub();
    const evil = await startFakeGithub({
      routes: [{ method: 'GET', pattern: '/repos/:owner/:repo/tarball/:ref', handle: () => ({ status: 302, headers: { Location: `${foreign.url}/steal.tar.gz` }, raw: Buffer.alloc(0) }) }],
    });
    evil.addRepo('octo-org', 'pkg');
    const p = createGithubPlatform({ octokit: octokitFor(evil.url, evil.installationToken()), owner: 'octo-org', repo: 'pkg' });
    await expect(p.downloadArchive(B, join(dir, 'x.tar.gz'))).rejects.toMatchObject({ code: 'source-unavailable', retryable: false });
    expect(foreign.log).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
    await Promise.all([foreign.close(), evil.close()]);
  });

  it('downloadArchive caps the size and leaves no partial file; an unknown sha is forge-not-found', async () => {
    repo.archives.set(B, Buffer.alloc(300_000, 1));
    const capped = createGithubPlatform({ octokit: octokitFor(gh.url, token), owner: 'octo-org', repo: 'pkg', archiveLimit: 100_000 });
    await expect(capped.downloadArchive(B, join(dir, 'a.tar.gz'))).rejects.toMatchObject({ code: 'archive-too-large' });
    expect(await readdir(dir)).toEqual([]);
    await expect(capped.downloadArchive(A, join(dir, 'b.tar.gz'))).rejects.toMatchObject({ code: 'forge-not-found' });
  });
});
