// A setup.py-only project (no pyproject.toml, the version in a module that setup.py
// exec()s, as psf/requests does) released end to end through the fake GitLab: the
// service reads the version from the module through GitLab's file API, and a tag that
// disagrees with it is refused with the module's file and line.
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, gitlabService, tagPush } from '../helpers/gitlab-service.js';
import type { GitlabService } from '../helpers/gitlab-service.js';
const sha = (c: string) => c.repeat(40);

let svc: GitlabService | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

describe('a setup.py-only project through the fake GitLab', () => {
  it('publishes the release whose tag names the version in the module setup.py reads', { timeout: 120_000 }, async () => {
    svc = await gitlabService();
    const s = svc;
    await s.commitFixture('main', sha('a'), 'Release 2.7.1', 'setuppy-module');
    s.project.tags.set('v2.7.1', { name: 'v2.7.1', commitId: sha('a'), message: '', target: sha('a') });

    expect((await s.send('Tag Push Hook', tagPush(s, 'v2.7.1', sha('a')))).body).toMatchObject({ status: 'queued' });
    const release = await eventually(() => s.project.releases.get('v2.7.1'), 90_000, 'the GitLab release');
    expect(release.links.map((l) => l.url)).toEqual([`${s.index.simpleUrl}setuppy-sample/`]);
    await eventually(() => (s.project.statuses.at(-1)?.status === 'success' ? true : undefined), 30_000, 'a success status');
    expect(s.index.files().map((f) => f.filename).sort()).toEqual(['setuppy-sample-2.7.1.tar.gz', 'setuppy_sample-2.7.1-py3-none-any.whl']);
    // The service read the module through GitLab's file API; it never ran setup.py to learn the version.
    const asked = s.gitlab.log.map((r) => decodeURIComponent(r.url));
    expect(asked.some((p) => p.includes('/repository/files/src/setuppy_sample/__version__.py'))).toBe(true);
  });

  it('refuses a tag that disagrees with the module, naming its file and line, and publishes nothing', { timeout: 120_000 }, async () => {
    svc = await gitlabService();
    const s = svc;
    await s.commitFixture('main', sha('b'), 'Release?', 'setuppy-module');
    s.project.tags.set('v2.8.0', { name: 'v2.8.0', commitId: sha('b'), message: '', target: sha('b') });

    await s.send('Tag Push Hook', tagPush(s, 'v2.8.0', sha('b')));
    await eventually(() => (s.project.statuses.at(-1)?.status === 'failed' ? true : undefined), 30_000, 'a failed status');
    const said = [...s.project.notes.map((n) => n.body), ...s.project.statuses.map((st) => st.description ?? '')].join('\n');
    expect(said).toContain('The tag v2.8.0 says 2.8.0 but src/setuppy_sample/__version__.py (line 3) says 2.7.1.');
    expect(s.index.files()).toEqual([]);
  });
});
