import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { addMergeRequest } from '../fakes/fake-gitlab-arrange.js';
import { arrangeLoweringMergeRequest, eventually, gitlabService, projectBlock, tagPush } from '../helpers/gitlab-service.js';
import type { GitlabService } from '../helpers/gitlab-service.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/gitlab/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
const sha = (c: string) => c.repeat(40);

let svc: GitlabService | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

function mergeRequest(s: GitlabService, iid: number, head: string, action: 'open' | 'update', oldrev: string | null) {
  const base = fixture('merge-request');
  const attrs = base['object_attributes'] as Record<string, unknown>;
  return {
    ...base,
    project: projectBlock(s),
    object_attributes: { ...attrs, iid, action, oldrev, source_branch: 'feature', target_branch: 'main', source_project_id: s.project.id, target_project_id: s.project.id, last_commit: { ...(attrs['last_commit'] as object), id: head } },
  };
}

function uploadsPerFile(s: GitlabService): number[] {
  const counts = new Map<string, number>();
  for (const u of s.index.uploads) if (u.filename !== null && u.status < 300) counts.set(u.filename, (counts.get(u.filename) ?? 0) + 1);
  return [...counts.values()];
}

describe('GitLab end to end: webhook -> server -> queue -> worker -> index and GitLab', () => {
  it('publishes a pushed release tag once, creates the release and sets a success status', { timeout: 120_000 }, async () => {
    svc = await gitlabService();
    const s = svc;
    await s.commitFixture('main', sha('a'), 'Release 1.4.0', 'setuptools-static');
    s.project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: sha('a'), message: '', target: sha('a') });

    const key = randomUUID();
    const first = await s.send('Tag Push Hook', tagPush(s, 'v1.4.0', sha('a')), { 'idempotency-key': key });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'queued' });
    // GitLab's retry of the same delivery, and a second delivery of the same tag.
    expect((await s.send('Tag Push Hook', tagPush(s, 'v1.4.0', sha('a')), { 'idempotency-key': key })).body).toEqual({ status: 'duplicate' });
    await s.send('Tag Push Hook', tagPush(s, 'v1.4.0', sha('a')));

    const release = await eventually(() => s.project.releases.get('v1.4.0'), 90_000, 'the GitLab release');
    expect(release.links.map((l) => l.url)).toEqual([`${s.index.simpleUrl}sample-static/`]);
    await eventually(() => (s.project.statuses.at(-1)?.status === 'success' ? true : undefined), 30_000, 'a success status');
    expect(s.index.files().map((f) => f.filename).sort()).toEqual(['sample-static-1.4.0.tar.gz', 'sample_static-1.4.0-py3-none-any.whl']);
    // Let the second delivery finish too, then count.
    await new Promise((r) => setTimeout(r, 1500));
    expect(uploadsPerFile(s)).toEqual([1, 1]);
    const everything = [...s.logLines, ...s.project.notes.map((n) => n.body), JSON.stringify([...s.project.releases.values()])].join('\n');
    for (const secret of [s.secret, s.tokens.gitlab, s.tokens.index]) expect(everything).not.toContain(secret);
  });

  it.each([
    ['web and workers in one process', false],
    ['web and workers as separate parts', true],
  ])('comments once on a merge request that lowers the version, and edits the same note when fixed (%s)', { timeout: 60_000 }, async (_name, split) => {
    svc = await gitlabService({ split });
    const s = svc;
    await arrangeLoweringMergeRequest(s);

    expect((await s.send('Merge Request Hook', mergeRequest(s, 5, sha('2'), 'open', null))).status).toBe(200);
    const note = await eventually(() => s.project.notes.find((n) => n.noteable.type === 'MergeRequest'), 10_000, 'the MR note');
    expect(note.body).toContain('lower than');
    await eventually(() => (s.project.statuses.some((st) => st.sha === sha('2') && st.status === 'failed') ? true : undefined), 10_000, 'a failed status');

    await s.commitFixture('feature', sha('3'), 'bump', 'setuptools-static', '1.5.0');
    await s.send('Merge Request Hook', mergeRequest(s, 5, sha('3'), 'update', sha('2')));
    await eventually(() => (note.body.includes('All version problems are fixed') ? true : undefined), 30_000, 'the edited note');
    expect(s.project.notes.filter((n) => n.noteable.type === 'MergeRequest')).toHaveLength(1);
    await eventually(() => (s.project.statuses.some((st) => st.sha === sha('3') && st.status === 'success') ? true : undefined), 10_000, 'a success status');
  });

  it('puts the changelog entry for the version in the release, with the file links below it', { timeout: 120_000 }, async () => {
    svc = await gitlabService();
    const s = svc;
    await s.commitFixture('main', sha('a'), 'Release 1.4.0', 'setuptools-static');
    const changelog = '# Changelog\n\n## [Unreleased]\n\n## [1.4.0] - 2026-01-01\n\n### Fixed\n\n- Reading a `file:` directive ([!12](https://example.org/12)).\n\n## [1.3.0] - 2025-12-01\n\n- Older.\n';
    s.project.commits.get(sha('a'))?.files.set('CHANGELOG.md', Buffer.from(changelog));
    s.project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: sha('a'), message: '', target: sha('a') });
    expect((await s.send('Tag Push Hook', tagPush(s, 'v1.4.0', sha('a')))).body).toMatchObject({ status: 'queued' });

    const release = await eventually(() => s.project.releases.get('v1.4.0'), 90_000, 'the GitLab release');
    const link = `${s.index.simpleUrl}sample-static/`;
    expect(release.description.startsWith('### Fixed\n\n- Reading a `file:` directive ([!12](https://example.org/12)).\n\n---\n\nReleased 1\\.4\\.0 with pyrelease.\n')).toBe(true);
    expect(release.description).not.toContain('Older.');
    expect(release.description).toContain(`](${link})`);
    expect(release.description.indexOf(link)).toBeGreaterThan(release.description.indexOf('---'));
    expect(release.links.map((l) => l.url)).toEqual([link]);
  });

  it('without a changelog, lists the merge requests merged since the previous release tag, with the file links below', { timeout: 120_000 }, async () => {
    svc = await gitlabService();
    const s = svc;
    await s.commitFixture('main', sha('1'), 'Release 1.3.0', 'setuptools-static', '1.3.0');
    s.project.tags.set('v1.3.0', { name: 'v1.3.0', commitId: sha('1'), message: '', target: sha('1') });
    await s.commitFixture('main', sha('2'), 'Read `file:` directives', 'setuptools-static', '1.3.0');
    await s.commitFixture('main', sha('a'), 'Release 1.4.0', 'setuptools-static');
    s.project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: sha('a'), message: '', target: sha('a') });
    // An unrelated tag that is no release, and a newer release on another line: neither is "previous".
    s.project.tags.set('nightly', { name: 'nightly', commitId: sha('2'), message: '', target: sha('2') });
    s.project.tags.set('v2.0.0', { name: 'v2.0.0', commitId: sha('1'), message: '', target: sha('1') });
    addMergeRequest(s.project, 11, [sha('1')], 'merged', { title: 'Released before 1.3.0', author: 'old' });
    addMergeRequest(s.project, 12, [sha('2')], 'merged', { title: 'Read `file:` directives <fast>', author: 'alice' });
    addMergeRequest(s.project, 13, [sha('a')], 'merged', { title: 'Release 1.4.0', author: 'bob' });
    addMergeRequest(s.project, 14, [sha('a')], 'opened', { title: 'Still open', author: 'carol' });
    expect((await s.send('Tag Push Hook', tagPush(s, 'v1.4.0', sha('a')))).body).toMatchObject({ status: 'queued' });

    const release = await eventually(() => s.project.releases.get('v1.4.0'), 90_000, 'the GitLab release');
    const link = `${s.index.simpleUrl}sample-static/`;
    expect(release.description.startsWith(
      [
        'No changelog entry was found for 1\\.4\\.0, so these are the merge requests merged since `v1.3.0`:',
        '',
        '- Release 1\\.4\\.0 (!13, @bob)',
        '- Read \\`file\\:\\` directives &lt;fast&gt; (!12, @alice)',
        '',
        '---',
        '',
        'Released 1\\.4\\.0 with pyrelease.',
      ].join('\n'),
    )).toBe(true);
    expect(release.description).not.toContain('!11');
    expect(release.description).not.toContain('Still open');
    expect(release.description.indexOf(link)).toBeGreaterThan(release.description.indexOf('---'));
    expect(release.links.map((l) => l.url)).toEqual([link]);
  });

  it('runs a release that failed for good again when its tag is pushed again, uploading each file once', { timeout: 120_000 }, async () => {
    svc = await gitlabService({ env: { PYRELEASE_JOB_ATTEMPTS: '1' } });
    const s = svc;
    await s.commitFixture('main', sha('a'), 'Release 1.4.0', 'setuptools-static');
    s.project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: sha('a'), message: '', target: sha('a') });
    // The index is down for the first upload: the only attempt fails.
    s.index.fail(1, { status: 503 });
    expect((await s.send('Tag Push Hook', tagPush(s, 'v1.4.0', sha('a')))).body).toMatchObject({ status: 'queued' });
    await eventually(() => (s.project.statuses.at(-1)?.status === 'failed' ? true : undefined), 60_000, 'a failed status');
    expect(s.project.releases.has('v1.4.0')).toBe(false);
    // The failure comment on the commit says how to run the release again.
    const failure = await eventually(() => s.project.notes.find((n) => n.noteable.type === 'Commit' && n.body.includes('failed')), 10_000, 'the failure comment');
    expect(failure.body).toContain('push the tag again');

    // The maintainer deletes the tag and pushes it again: a new delivery of the same release.
    expect((await s.send('Tag Push Hook', tagPush(s, 'v1.4.0', sha('a')))).body).toMatchObject({ status: 'queued' });
    await eventually(() => s.project.releases.get('v1.4.0'), 60_000, 'the GitLab release after the retry');
    await eventually(() => (s.project.statuses.at(-1)?.status === 'success' ? true : undefined), 30_000, 'a success status');
    expect(s.project.statuses.map((st) => st.status)).toEqual(['failed', 'success']);
    expect(s.index.files().map((f) => f.filename).sort()).toEqual(['sample-static-1.4.0.tar.gz', 'sample_static-1.4.0-py3-none-any.whl']);
    expect(s.index.uploads.map((u) => u.status)).toEqual([503, 200, 200]);
    expect(s.logLines.some((l) => l.includes('again: it had failed'))).toBe(true);
  });

  it('publishes a release tag that no webhook announced, found by the sweep', { timeout: 120_000 }, async () => {
    svc = await gitlabService({ env: { PYRELEASE_SWEEP_INTERVAL_MS: '500' } });
    const s = svc;
    await s.commitFixture('main', sha('c'), 'Release 1.4.0', 'setuptools-static');
    const commit = s.project.commits.get(sha('c'));
    if (commit !== undefined) commit.committedDate = new Date().toISOString();
    // The repository becomes known through any event; then four tags are pushed at
    // once, for which GitLab sends no webhook at all.
    const push = { ...fixture('push'), ref: 'refs/heads/main', before: '0'.repeat(40), after: sha('c'), checkout_sha: sha('c'), project_id: s.project.id, project: projectBlock(s), commits: [] };
    expect((await s.send('Push Hook', push)).status).toBe(200);
    s.project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: sha('c'), message: '', target: sha('c') });
    await eventually(() => (s.index.files().length === 2 ? true : undefined), 90_000, 'the swept release on the index');
    await eventually(() => s.project.releases.get('v1.4.0'), 30_000, 'the GitLab release');
    await new Promise((r) => setTimeout(r, 1500));
    expect(uploadsPerFile(s)).toEqual([1, 1]);
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { 'x-gitlab-token': 'nope' }],
  ])('answers 401 to %s and does nothing', async (_name, headers) => {
    svc = await gitlabService();
    const s = svc;
    const res = await fetch(`${s.service.url}/webhooks/gitlab`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Tag Push Hook', ...headers },
      body: JSON.stringify(tagPush(s, 'v1.0.0', sha('a'))),
    });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(s.gitlab.log).toEqual(expect.not.arrayContaining([expect.objectContaining({ method: 'POST' })]));
  });

  it('serves /healthz and /readyz', async () => {
    svc = await gitlabService();
    expect((await fetch(`${svc.service.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${svc.service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', redis: 'ok', gitlab: 'ok', github: 'unconfigured' });
  });
});
