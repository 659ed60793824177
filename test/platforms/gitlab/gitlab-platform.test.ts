// The GitLab adapter through the real @gitbeaker/rest client against the fake GitLab on
// 127.0.0.1: the shared Platform contract, then GitLab's own failure cases (lost
// responses retried by gitbeaker, a 429 storm, a bad token, hostile refs and paths).
import { Gitlab } from '@gitbeaker/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommentTarget, StatusState } from '../../../src/core/actions.js';
import { AppError } from '../../../src/errors.js';
import { createGitlabPlatform, cutDescription } from '../../../src/platforms/gitlab/gitlab-platform.js';
import type { Platform } from '../../../src/platforms/platform.js';
import { startFakeGitlab } from '../../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../../fakes/fake-gitlab.js';
import { addBranch, addCommit, addMergeRequest, addTag } from '../../fakes/fake-gitlab-arrange.js';
import type { FakeProject } from '../../fakes/fake-gitlab-state.js';
import { A, B, platformContract } from '../platform-contract.js';

const TOKEN = 'glpat-secret-token-value';
const STATES: Record<string, StatusState> = { pending: 'pending', running: 'pending', success: 'success', failed: 'failure' };

function notesOn(project: FakeProject, target: CommentTarget, botId?: number): string[] {
  return project.notes
    .filter((n) => (target.kind === 'change-request' ? n.noteable.type === 'MergeRequest' && n.noteable.iid === target.number : n.noteable.type === 'Commit' && n.noteable.sha === target.sha))
    .filter((n) => botId === undefined || n.authorId === botId)
    .sort((a, b) => a.id - b.id)
    .map((n) => n.body);
}

platformContract('gitlab', async () => {
  const gl = await startFakeGitlab();
  gl.addUser('pyrelease-bot', TOKEN);
  const project = gl.addProject('group/sub/pkg');
  return {
    platform: createGitlabPlatform({ api: { host: gl.url, token: TOKEN }, projectId: 'group/sub/pkg' }),
    identity: { id: String(project.id), path: 'group/sub/pkg' },
    teardown: () => gl.close(),
    arrange: {
      commit: (branch, sha, message, files) => Promise.resolve(void addCommit(project, branch, sha, message, files)),
      branch: (name, from) => Promise.resolve(addBranch(project, name, from)),
      tag: (name, sha) => Promise.resolve(void addTag(project, name, sha)),
      protectTag: (name) => Promise.resolve(void project.protectedTags.push(name)),
      changeRequest: (n, shas) => Promise.resolve(void addMergeRequest(project, n, shas)),
      mergedChangeRequest: (n, shas, title, author) => Promise.resolve(void addMergeRequest(project, n, shas, 'merged', { title, author })),
      archive: (sha, bytes) => Promise.resolve(void project.archives.set(sha, bytes)),
      comments: (target) => Promise.resolve(notesOn(project, target)),
      statuses: (sha) => Promise.resolve(project.statuses.filter((s) => s.sha === sha).map((s) => ({ state: STATES[s.status] ?? 'failure', description: s.description ?? '' }))),
      release: (tag) => {
        const r = project.releases.get(tag);
        return Promise.resolve(r === undefined ? null : { name: r.name, description: r.description, links: r.links.map((l) => ({ name: l.name, url: l.url })) });
      },
    },
  };
});

describe('GitLab adapter specifics', () => {
  let gl: FakeGitlab;
  let project: FakeProject;
  let botId: number;
  let platform: Platform;
  const MARKER = '<!-- pyrelease -->';
  const mr: CommentTarget = { kind: 'change-request', number: 3 };

  beforeEach(async () => {
    gl = await startFakeGitlab();
    botId = gl.addUser('pyrelease-bot', TOKEN).id;
    gl.addUser('human', 'human-token');
    project = gl.addProject('group/pkg');
    addCommit(project, 'main', A, 'first', { 'pyproject.toml': 'x' });
    addCommit(project, 'main', B, 'second', { 'pyproject.toml': 'y' });
    addMergeRequest(project, 3, [B]);
    platform = createGitlabPlatform({ api: new Gitlab({ host: gl.url, token: TOKEN }), projectId: project.id });
  });

  afterEach(async () => {
    await gl.close();
  });

  const writes = (route: string): number => gl.log.filter((l) => l.route === route).length;

  it("identity asks GitLab by the id it was built with: another project's id answers that project's path", async () => {
    const other = gl.addProject('other/Secret');
    const byId = createGitlabPlatform({ api: new Gitlab({ host: gl.url, token: TOKEN }), projectId: other.id });
    expect(await byId.identity()).toEqual({ id: String(other.id), path: 'other/Secret' });
    expect(await platform.identity()).toEqual({ id: String(project.id), path: 'group/pkg' });
    const missing = createGitlabPlatform({ api: new Gitlab({ host: gl.url, token: TOKEN }), projectId: 999_999 });
    await expect(missing.identity()).rejects.toMatchObject({ code: 'forge-not-found' });
  });

  it('ensureTag: a create whose 502 came after the write is retried by gitbeaker and ends as exists', async () => {
    gl.fault({ route: 'POST /projects/:id/repository/tags', status: 502, afterWrite: true });
    expect(await platform.ensureTag('v1', B, 'release v1')).toBe('exists');
    expect(project.tags.get('v1')?.commitId).toBe(B);
    expect(writes('POST /projects/:id/repository/tags')).toBe(2);
  });

  it('ensureTag compares the commit, not the target of an annotated tag', async () => {
    expect(await platform.ensureTag('v1', B, 'annotated')).toBe('created');
    expect(project.tags.get('v1')?.target).not.toBe(B);
    expect(await platform.ensureTag('v1', B, 'annotated')).toBe('exists');
  });

  it('ensureTag on an invalid name rethrows the refusal (no tag to re-read)', async () => {
    await expect(platform.ensureTag('bad..name', B, '')).rejects.toMatchObject({ code: 'forge-refused', retryable: false });
  });

  it.each([
    ['502 after the write', 502],
    ['429 after the write', 429],
  ] as const)('upsertComment: %s leaves one note (the retry duplicate is deleted)', async (_name, status) => {
    gl.fault({ route: 'POST /projects/:id/merge_requests/:merge_request_iid/notes', status, afterWrite: true });
    expect(await platform.upsertComment(mr, `${MARKER} a`, MARKER)).toBe('created');
    expect(writes('POST /projects/:id/merge_requests/:merge_request_iid/notes')).toBe(2);
    expect(writes('DELETE /projects/:id/merge_requests/:merge_request_iid/notes/:note_id')).toBe(1);
    expect(notesOn(project, mr)).toEqual([`${MARKER} a`]);
  });

  it('upsertComment: a 500 after the write counts as created, without a second note', async () => {
    gl.fault({ route: 'POST /projects/:id/merge_requests/:merge_request_iid/notes', status: 500, afterWrite: true });
    expect(await platform.upsertComment(mr, `${MARKER} a`, MARKER)).toBe('created');
    expect(notesOn(project, mr)).toEqual([`${MARKER} a`]);
    expect(await platform.upsertComment(mr, `${MARKER} a`, MARKER)).toBe('unchanged');
  });

  it('upsertComment: a commit note lost after the write is not duplicated either', async () => {
    gl.fault({ route: 'POST /projects/:id/repository/commits/:commit_id/discussions', status: 502, afterWrite: true });
    const target: CommentTarget = { kind: 'commit', sha: B };
    expect(await platform.upsertComment(target, `${MARKER} c`, MARKER)).toBe('created');
    expect(notesOn(project, target)).toEqual([`${MARKER} c`]);
  });

  it("upsertComment never edits a human's note that quotes the marker, and never makes a second note of ours", async () => {
    await fetch(`${gl.url}/api/v4/projects/${project.id}/merge_requests/3/notes`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': 'human-token', 'Content-Type': 'application/json' },
      body: JSON.stringify({ body: `${MARKER} I copied this` }),
    });
    for (const body of ['one', 'two', 'two', 'three']) await platform.upsertComment(mr, `${MARKER} ${body}`, MARKER);
    expect(notesOn(project, mr, botId)).toEqual([`${MARKER} three`]);
    expect(notesOn(project, mr)).toContain(`${MARKER} I copied this`);
    expect(gl.log.filter((l) => l.route === 'GET /user')).toHaveLength(1);
  });

  it('upsertComment reads every page of notes', async () => {
    for (let i = 0; i < 130; i++) project.notes.push({ id: 10_000 + i, discussionId: `d${i}`, noteable: { type: 'MergeRequest', iid: 3 }, authorId: botId, body: `chatter ${i}`, createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z' });
    project.notes.push({ id: 20_000, discussionId: 'dx', noteable: { type: 'MergeRequest', iid: 3 }, authorId: botId, body: `${MARKER} old`, createdAt: '2025-01-02T00:00:00.000Z', updatedAt: '2025-01-02T00:00:00.000Z' });
    expect(await platform.upsertComment(mr, `${MARKER} new`, MARKER)).toBe('updated');
    expect(notesOn(project, mr).filter((b) => b.startsWith(MARKER))).toEqual([`${MARKER} new`]);
  });

  it('a 429 storm ends in a retryable forge-unavailable with a back-off', async () => {
    gl.fault({ route: 'GET /projects/:id/repository/tags/:tag_name', status: 429, count: 50, retryAfter: 30 });
    const started = Date.now();
    const error: unknown = await platform.getTag('v1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'forge-unavailable', retryable: true, details: { retryAfterSeconds: 60, rateLimited: true } });
    expect(writes('GET /projects/:id/repository/tags/:tag_name')).toBe(10);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a 502 storm is an outage, not a rate limit: retryable, backing off, and it spends attempts', async () => {
    gl.fault({ route: 'GET /projects/:id/repository/tags/:tag_name', status: 502, count: 50 });
    const error = (await platform.getTag('v1').catch((e: unknown) => e)) as AppError;
    expect(error).toMatchObject({ code: 'forge-unavailable', retryable: true, details: { retryAfterSeconds: 60 } });
    expect(error.message).toContain('kept answering 502');
    expect(error.details['rateLimited']).toBeUndefined();
  });

  it.each([
    [500, 'forge-unavailable', true],
    [503, 'forge-unavailable', true],
  ] as const)('a %i is translated to %s', async (status, code, retryable) => {
    gl.fault({ route: 'GET /projects/:id', status });
    const error = (await platform.defaultBranch().catch((e: unknown) => e)) as AppError;
    expect(error).toMatchObject({ code, retryable });
    // An outage, not a rate limit: it spends attempts (jobs/throttle.ts).
    expect(error.details['rateLimited']).toBeUndefined();
  });

  it('a bad token is forge-auth, permanent, and the token appears nowhere in the error', async () => {
    const bad = createGitlabPlatform({ api: { host: gl.url, token: 'glpat-wrong-secret' }, projectId: project.id });
    const error = (await bad.readFile('pyproject.toml', 'main').catch((e: unknown) => e)) as AppError;
    expect(error).toMatchObject({ code: 'forge-auth', retryable: false, details: { status: 401 } });
    const seen = JSON.stringify({ message: error.message, details: error.details, cause: String(error.cause), stack: error.stack });
    expect(seen).not.toContain('glpat-wrong-secret');
    expect(error.cause).toBeUndefined();
  });

  it('an unknown project is forge-not-found', async () => {
    const lost = createGitlabPlatform({ api: { host: gl.url, token: TOKEN }, projectId: 'group/missing' });
    await expect(lost.defaultBranch()).rejects.toMatchObject({ code: 'forge-not-found' });
    await expect(lost.readFile('x', 'main')).resolves.toBeNull();
  });

  it('a refused connection is forge-unavailable', async () => {
    const url = gl.url;
    await gl.close();
    const gone = createGitlabPlatform({ api: { host: url, token: TOKEN }, projectId: 1 });
    await expect(gone.listTags()).rejects.toMatchObject({ code: 'forge-unavailable', retryable: true });
    gl = await startFakeGitlab();
  });

  it.each([
    ['a query in the ref', 'pyproject.toml', 'main?ref=evil&x=1', 'ref=main%3Fref%3Devil%26x%3D1'],
    ['a fragment and spaces in the path', 'dir/a b#c.toml', 'main', 'files/dir%2Fa%20b%23c.toml/raw'],
    ['a traversal in the path', '../../user', 'main', null],
    ['an encoded traversal inside the path', 'src/%2e%2e/%2E%2E/user', 'main', null],
  ])('hostile input stays URL-encoded: %s', async (_name, path, ref, expected) => {
    expect(await platform.readFile(path, ref)).toBeNull();
    // A path with a dot segment never reaches GitLab, as with GitHub (platforms/path-guard.ts).
    if (expected === null) return void expect(gl.log).toHaveLength(0);
    const last = gl.log.at(-1);
    expect(last?.url).toContain(expected);
    expect(last?.route).toBe('GET /projects/:id/repository/files/:file_path/raw');
  });

  it.each(['.', '..', '%2e%2e'])('a ref or path of %j never reaches GitLab (URL parsing would collapse it)', async (dots) => {
    expect(await platform.readFile(dots, 'main')).toBeNull();
    expect(await platform.resolveCommit(dots)).toBeNull();
    expect(await platform.getTag(dots)).toBeNull();
    expect(gl.log).toHaveLength(0);
  });

  it('setStatus: pending twice is fine (GitLab refuses the transition; the status already is pending)', async () => {
    await platform.setStatus(B, { state: 'pending', description: 'checking' });
    await platform.setStatus(B, { state: 'pending', description: 'checking' });
    await platform.setStatus(B, { state: 'success', description: 'ok', targetUrl: 'https://example.invalid/r' });
    expect(project.statuses.map((s) => [s.name, s.status, s.targetUrl])).toEqual([['pyrelease', 'success', 'https://example.invalid/r']]);
  });

  it('setStatus never moves a running status back to pending (a late duplicate delivery), and still finishes it', async () => {
    await platform.setStatus(B, { state: 'pending', description: 'queued' });
    // What a publish job's own status looks like while it runs: GitLab keeps the id and changes the state.
    const live = project.statuses[0];
    if (live === undefined) throw new Error('no status was posted');
    live.status = 'running';
    await platform.setStatus(B, { state: 'pending', description: 'queued again' });
    expect(project.statuses.map((s) => [s.name, s.status])).toEqual([['pyrelease', 'running']]);
    await platform.setStatus(B, { state: 'success', description: 'published' });
    expect(project.statuses.map((s) => [s.name, s.status, s.description])).toEqual([['pyrelease', 'success', 'published']]);
  });

  it('setStatus cuts the description to 255 characters', async () => {
    await platform.setStatus(B, { state: 'failure', description: 'é'.repeat(400) });
    expect([...(project.statuses[0]?.description ?? '')]).toHaveLength(255);
    expect(cutDescription('a\n b')).toBe('a b');
  });

  it('isTagProtected matches wildcard patterns', async () => {
    project.protectedTags.push('v*');
    expect(await platform.isTagProtected('v1.2.3')).toBe(true);
    expect(await platform.isTagProtected('self-hosted-v1')).toBe(false);
  });

  it('ensureRelease: a create whose 502 came after the write ends as one release with its links', async () => {
    addTag(project, 'v1', B);
    gl.fault({ route: 'POST /projects/:id/releases', status: 502, afterWrite: true });
    const release = { tag: 'v1', name: 'v1', description: 'd', links: [{ name: 'a.whl', url: 'https://example.invalid/a.whl' }] };
    expect(await platform.ensureRelease(release)).toBe('updated');
    expect(project.releases.get('v1')?.links.map((l) => l.name)).toEqual(['a.whl']);
  });

  it('downloadArchive caps the size and leaves no partial file', async () => {
    project.archives.set(B, Buffer.alloc(300_000, 1));
    const { mkdtemp, readdir } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'gl-archive-'));
    const capped = createGitlabPlatform({ api: { host: gl.url, token: TOKEN }, projectId: project.id, archiveLimit: 100_000 });
    await expect(capped.downloadArchive(B, join(dir, 'a.tar.gz'))).rejects.toMatchObject({ code: 'archive-too-large' });
    expect(await readdir(dir)).toEqual([]);
    await expect(capped.downloadArchive(A, join(dir, 'b.tar.gz'))).rejects.toMatchObject({ code: 'forge-not-found' });
  });
});
