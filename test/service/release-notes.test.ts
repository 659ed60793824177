// The release body through the Platform port (the in-memory fake): the changelog entry
// read at the release commit, above the text pyrelease always wrote; repositories
// without a changelog get that text unchanged.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { publishJobSchema } from '../../src/jobs/publish-job.js';
import type { PublishJobResult } from '../../src/jobs/publish-processor.js';
import { createLogger } from '../../src/logger.js';
import type { Platform } from '../../src/platforms/platform.js';
import { changelogCandidates, readChangelog } from '../../src/service/changelog-source.js';
import { gatherChangeFacts } from '../../src/service/change-facts.js';
import { reportPublished } from '../../src/service/report-publish.js';
import { commit, emptyRepo, memoryPlatform } from '../fakes/memory-platform.js';

const SHA = 'a'.repeat(40);
const log = createLogger('silent');
const data = (platform: 'gitlab' | 'github', path = '.') =>
  publishJobSchema.parse({ platform, repo: '1', version: '1.2.0', project: 'demo', tag: 'v1.2.0', sha: SHA, path, registries: ['pypi'], buildTool: 'build', source: { kind: 'forge' } });
const result: PublishJobResult = { version: '1.2.0', rebuilt: false, files: [{ registry: 'pypi', filename: 'demo-1.2.0.tar.gz', sha256: '0123456789abcdef0123', size: 10, outcome: 'uploaded' }] };
const links = [{ name: 'demo 1.2.0 on PyPI', url: 'https://pypi.org/project/demo/1.2.0/' }];
const TODAY = 'Released 1\\.2\\.0 with pyrelease.\n\n- [demo 1\\.2\\.0 on PyPI](https://pypi.org/project/demo/1.2.0/)\n\n| File | Registry | Outcome | sha256 |\n| --- | --- | --- | --- |\n| demo\\-1\\.2\\.0\\.tar\\.gz | pypi | uploaded | `0123456789abcdef…` |';

async function release(files: Record<string, string>, job = data('gitlab'), wrap?: (p: Platform) => Platform): Promise<string | undefined> {
  const repo = emptyRepo();
  commit(repo, 'main', SHA, 'Release 1.2.0', { 'pyproject.toml': '[project]\nname = "demo"\nversion = "1.2.0"\n', ...files });
  const platform = memoryPlatform(repo);
  await reportPublished(wrap === undefined ? platform : wrap(platform), job, result, links, log);
  return repo.releases.get('v1.2.0')?.description;
}

describe('the release body', () => {
  it('without a changelog is the body pyrelease always wrote', async () => {
    expect(await release({})).toBe(TODAY);
  });

  it('without an entry for the version is that body too', async () => {
    expect(await release({ 'CHANGELOG.md': '# Changelog\n\n## 1.1.0\n\n- Old.\n' })).toBe(TODAY);
  });

  it('is the entry, then the links, from CHANGELOG.md at the release commit', async () => {
    const changelog = '# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2026-01-01\n\n### Fixed\n\n- A bug ([#7](https://example.org/7)).\n\n## [1.1.0] - 2025-12-01\n\n- Old.\n';
    expect(await release({ 'CHANGELOG.md': changelog })).toBe(`### Fixed\n\n- A bug ([#7](https://example.org/7)).\n\n---\n\n${TODAY}`);
  });

  it('reads the file the `changelog` key names, and converts its reStructuredText', async () => {
    const files = {
      'pyproject.toml': '[project]\nname = "demo"\nversion = "1.2.0"\n\n[tool.pyrelease]\nchangelog = "docs/changes.rst"\n',
      'CHANGELOG.md': '## 1.2.0\n\n- Not this one.\n',
      'docs/changes.rst': 'Changes\n=======\n\nv1.2.0 (2026-01-01)\n-------------------\n\n- Faster ``load`` (`#9 <https://example.org/9>`_)\n',
    };
    expect(await release(files)).toBe(`- Faster \`load\` ([#9](https://example.org/9))\n\n---\n\n${TODAY}`);
  });

  it('finds a `path` project\'s changelog in its own directory first', async () => {
    const files = { 'pkg/CHANGES.rst': '1.2.0\n=====\n\n- Inner.\n', 'CHANGELOG.md': '## 1.2.0\n\n- Outer.\n' };
    expect(await release(files, data('gitlab', 'pkg'))).toBe(`- Inner.\n\n---\n\n${TODAY}`);
  });

  it('goes without notes when the forge refuses the file, and lets a transient error retry the report', async () => {
    const failing = (error: Error) => (p: Platform): Platform => ({ ...p, readFile: (path, ref) => (path === 'CHANGELOG.md' ? Promise.reject(error) : p.readFile(path, ref)) });
    const files = { 'CHANGELOG.md': '## 1.2.0\n\n- New.\n' };
    expect(await release(files, data('github'), failing(new AppError('forge-refused', 'too large')))).toBe(TODAY);
    await expect(release(files, data('github'), failing(new AppError('forge-unavailable', '503', { retryable: true })))).rejects.toThrow('503');
  });
});

describe('the release body without a changelog entry', () => {
  const P = 'p'.repeat(40);
  const X = 'e'.repeat(40);
  const arrange = (files: Record<string, string>, tags: Record<string, string>, pyproject = '[project]\nname = "demo"\nversion = "1.2.0"\n') => {
    const repo = emptyRepo();
    commit(repo, 'main', P, 'Release 1.1.0', { 'pyproject.toml': pyproject });
    commit(repo, 'main', X, 'Merge branch fix', { 'pyproject.toml': pyproject });
    commit(repo, 'main', SHA, 'Release 1.2.0', { 'pyproject.toml': pyproject, ...files });
    for (const [name, sha] of Object.entries(tags)) repo.tags.set(name, sha);
    repo.changeRequests.set(3, [P]);
    repo.changeRequests.set(4, [X]);
    repo.changeRequests.set(5, [SHA]);
    repo.changeRequests.set(6, [SHA]);
    repo.merged = new Map([
      [3, { title: 'Before 1.1.0', author: 'old' }],
      [4, { title: 'Fix `load` for <b>big</b> files @here', author: 'alice' }],
      [5, { title: 'Bump to 1.2.0', author: 'dependabot[bot]' }],
    ]);
    return repo;
  };
  const body = async (repo: ReturnType<typeof emptyRepo>, forge: 'gitlab' | 'github' = 'gitlab') => {
    await reportPublished(memoryPlatform(repo), data(forge), result, links, log);
    return repo.releases.get('v1.2.0')?.description;
  };

  it('lists the change requests merged since the previous release tag, newest first, above the links', async () => {
    const repo = arrange({}, { 'v1.1.0': P, 'v1.0.0': P, 'v1.2.0': SHA, 'nightly': X });
    expect(await body(repo)).toBe(
      [
        'No changelog entry was found for 1\\.2\\.0, so these are the merge requests merged since `v1.1.0`:',
        '',
        '- Bump to 1\\.2\\.0 (!5, dependabot\\[bot\\])',
        '- Fix \\`load\\` for &lt;b&gt;big&lt;\\/b&gt; files \\@&#8203;here (!4, @alice)',
        '',
        '---',
        '',
        TODAY,
      ].join('\n'),
    );
  });

  it('says pull requests and #N on GitHub; a changelog without the version also falls back', async () => {
    const repo = arrange({ 'CHANGELOG.md': '## 1.1.0\n\n- Old.\n' }, { 'v1.1.0': P });
    const text = await body(repo, 'github');
    expect(text?.startsWith('No changelog entry was found for 1\\.2\\.0, so these are the pull requests merged since `v1.1.0`:\n\n- Bump')).toBe(true);
    expect(text).toContain('(#4, @alice)');
  });

  it('follows the tag policy: another prefix is another package', async () => {
    const pyproject = '[project]\nname = "demo"\nversion = "1.2.0"\n\n[tool.pyrelease]\ntag-prefixes = ["demo-v"]\n';
    const repo = arrange({}, { 'demo-v1.1.0': X, 'v1.1.5': P }, pyproject);
    const text = await body(repo);
    expect(text).toContain('merged since `demo-v1.1.0`:');
    expect(text).not.toContain('!4');
    expect(text).toContain('!5');
  });

  it('keeps the body as it was with no earlier release tag, or nothing merged since it', async () => {
    expect(await body(arrange({}, { 'v1.2.0': SHA }))).toBe(TODAY);
    const none = arrange({}, { 'v1.1.0': P });
    none.merged = new Map();
    expect(await body(none)).toBe(TODAY);
  });
});

describe('finding the changelog', () => {
  it('looks for the usual names in the project, its docs/, the top level and docs/, and stops at the first', async () => {
    expect(changelogCandidates(null, '.').slice(0, 9)).toEqual(['CHANGELOG.md', 'CHANGES.md', 'CHANGES.rst', 'NEWS.md', 'NEWS.rst', 'HISTORY.md', 'CHANGELOG.rst', 'HISTORY.rst', 'docs/CHANGELOG.md']);
    expect(changelogCandidates(null, './pkg/')).toHaveLength(32);
    expect(changelogCandidates('docs/changes.rst', 'pkg')).toEqual(['docs/changes.rst']);
    const asked: string[] = [];
    const read = (path: string) => {
      asked.push(path);
      return Promise.resolve(path === 'NEWS.rst' ? 'x' : null);
    };
    expect(await readChangelog(read, null, '.')).toEqual({ kind: 'found', file: 'NEWS.rst', text: 'x' });
    expect(asked).toEqual(['CHANGELOG.md', 'CHANGES.md', 'CHANGES.rst', 'NEWS.md', 'NEWS.rst']);
    expect(await readChangelog(() => Promise.resolve(null), 'docs/changes.rst', '.')).toEqual({ kind: 'absent', configured: 'docs/changes.rst' });
  });
});

describe('require-changelog facts', () => {
  const gather = async (files: Record<string, string>, targetVersion: string) => {
    const asked: string[] = [];
    const read = (map: Record<string, string>) => (path: string) => {
      asked.push(path);
      return Promise.resolve(map[path] ?? null);
    };
    const target = { 'pyproject.toml': `[project]\nname = "demo"\nversion = "${targetVersion}"\n` };
    const gathered = await gatherChangeFacts({ readHeadFile: read(files), target: { branch: 'main', readFile: read(target) }, listTags: () => Promise.resolve([]) }, null);
    return { facts: gathered.facts, asked };
  };
  const pyproject = (version: string, extra = '') => `[project]\nname = "demo"\nversion = "${version}"\n\n[tool.pyrelease]\n${extra}`;

  it('reads the changelog at the head when the version changes and the repository asks for it', async () => {
    const { facts } = await gather({ 'pyproject.toml': pyproject('1.3.0', 'require-changelog = true\n'), 'CHANGES.md': '## 1.2.0\n' }, '1.2.0');
    expect(facts.changelog).toEqual({ kind: 'found', file: 'CHANGES.md', text: '## 1.2.0\n' });
  });

  it('reads nothing more otherwise: an unchanged version, or no require-changelog', async () => {
    const unchanged = await gather({ 'pyproject.toml': pyproject('1.2.0', 'require-changelog = true\n') }, '1.2.0');
    const off = await gather({ 'pyproject.toml': pyproject('1.3.0') }, '1.2.0');
    for (const { facts, asked } of [unchanged, off]) {
      expect(facts.changelog).toBeUndefined();
      expect(asked.some((p) => /CHANGE|NEWS|HISTORY/.test(p))).toBe(false);
    }
  });
});
