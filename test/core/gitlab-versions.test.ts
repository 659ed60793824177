import { describe, expect, it } from 'vitest';
import {
  compareReleases,
  parseGitlabTag,
  planServiceTagging,
  renderImageTag,
  renderTemplate,
  selectReleases,
  stableBranchName,
} from '../../src/core/gitlab-versions.js';
import type { GitlabRelease, ServiceFacts, ServiceTagRule } from '../../src/core/gitlab-versions.js';

function rel(tag: string): GitlabRelease {
  const r = parseGitlabTag(tag);
  if (!r.ok) throw new Error(r.reason);
  return r.release;
}

describe('parseGitlabTag', () => {
  it.each([
    ['v18.4.0-ee', '18.4.0', 18, 4, 0, 'ee', false, null],
    ['v18.4.1-ee', '18.4.1', 18, 4, 1, 'ee', false, null],
    ['v18.5.0-rc42-ee', '18.5.0-rc42', 18, 5, 0, 'ee', true, 42],
    ['v17.11.10-ee', '17.11.10', 17, 11, 10, 'ee', false, null],
    ['v18.4.0', '18.4.0', 18, 4, 0, null, false, null],
    ['v18.4.0-rc1', '18.4.0-rc1', 18, 4, 0, null, true, 1],
    ['v8.17.0-ce', '8.17.0', 8, 17, 0, 'ce', false, null],
  ] as const)('%s', (tag, version, major, minor, patch, edition, prerelease, rc) => {
    expect(parseGitlabTag(tag)).toEqual({ ok: true, release: { tag, version, major, minor, patch, edition, prerelease, rc } });
  });

  it.each([
    ['18.4.0-ee', 'not a GitLab release tag'],
    ['v18.4-ee', 'not a GitLab release tag'],
    ['v9.6.0.pre', 'not a GitLab release tag'],
    ['v18.04.0-ee', 'not a GitLab release tag'],
    ['v18.4.0-ee-foo', 'not a GitLab release tag'],
    ['v18.4.0-EE', 'not a GitLab release tag'],
    ['v18.4.0-rc-ee', 'not a GitLab release tag'],
    ['self-hosted-v18.4.0-ee', 'not a GitLab release tag'],
    ['v18.4.0 -ee', "git refuses tag names containing ' '"],
    ['', 'empty'],
  ])('%j is refused', (tag, reason) => {
    const r = parseGitlabTag(tag);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it('orders by SemVer: rc before release, 18.10 after 18.9', () => {
    const tags = ['v18.10.0-ee', 'v18.9.1-ee', 'v18.9.0-ee', 'v18.10.0-rc42-ee', 'v18.9.0-rc2-ee', 'v18.9.0-rc10-ee'];
    expect(tags.map(rel).sort(compareReleases).map((r) => r.tag)).toEqual([
      'v18.9.0-rc2-ee',
      'v18.9.0-rc10-ee',
      'v18.9.0-ee',
      'v18.9.1-ee',
      'v18.10.0-rc42-ee',
      'v18.10.0-ee',
    ]);
  });
});

describe('renderTemplate', () => {
  it.each([
    ['self-hosted-{tag}', 'v18.4.0-ee', 'self-hosted-v18.4.0-ee'],
    ['self-hosted-{version}', 'v18.4.0-ee', 'self-hosted-18.4.0'],
    ['self-hosted-{version}', 'v18.5.0-rc42-ee', 'self-hosted-18.5.0-rc42'],
    ['sh/{major}.{minor}.{patch}-{edition}', 'v18.4.1-ee', 'sh/18.4.1-ee'],
    ['gitlab-{major}-{minor}', 'v18.4.1-ee', 'gitlab-18-4'],
    ['self-hosted-{tag}', 'v18.4.0', 'self-hosted-v18.4.0'],
  ])('%s with %s', (template, tag, want) => {
    expect(renderTemplate(template, rel(tag))).toEqual({ ok: true, value: want });
  });

  it.each([
    ['self-hosted-{sha}', 'unknown placeholder {sha}'],
    ['self-hosted-{Tag}', 'unmatched brace'],
    ['self-hosted-{tag', 'unmatched brace'],
    ['self hosted {tag}', "git refuses tag names containing ' '"],
    ['-{tag}', "starts with '-'"],
    ['{tag}.lock', ".lock'"],
    ['x/{edition}', "ending with '/'"],
    ['release:{tag}', "containing ':'"],
    ['$({tag})', 'shell metacharacter'],
  ])('%s is refused', (template, reason) => {
    const r = renderTemplate(template, rel('v18.4.0'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it.each([
    ['{sha}', { sha: 'a'.repeat(40) }, true],
    ['self-hosted-{tag}', {}, true],
    ['sh/{tag}', {}, false],
    ['.{tag}', {}, false],
  ])('image tag %s', (template, extra, ok) => {
    expect(renderImageTag(template, rel('v18.4.0-ee'), extra).ok).toBe(ok);
  });

  it.each([
    ['v18.4.0-ee', undefined, 'stable-18-4-ee'],
    ['v18.4.3-ee', undefined, 'stable-18-4-ee'],
    ['v17.11.0-ee', 'release/{major}.{minor}', 'release/17.11'],
  ])('stable branch of %s', (tag, template, want) => {
    expect(stableBranchName(rel(tag), template)).toEqual({ ok: true, value: want });
  });
});

describe('selectReleases', () => {
  const history = [
    'v17.10.0-ee', 'v17.11.0-rc42-ee', 'v17.11.0-ee', 'v17.11.1-ee', 'v18.3.0-ee', 'v18.4.0-rc42-ee',
    'v18.4.0-ee', 'v18.3.5-ee', 'v18.4.1-ee', 'v18.5.0-rc42-ee', 'not-a-release', 'v18.4.1-ee',
  ];
  it.each([
    ['min 18.4.0', { minVersion: '18.4.0', allow: null, includePrereleases: false }, ['v18.4.0-ee', 'v18.4.1-ee']],
    ['with prereleases', { minVersion: '18.4.0', allow: null, includePrereleases: true }, ['v18.4.0-ee', 'v18.4.1-ee', 'v18.5.0-rc42-ee']],
    ['min 18.4.0-rc1 with prereleases', { minVersion: '18.4.0-rc1', allow: null, includePrereleases: true }, ['v18.4.0-rc42-ee', 'v18.4.0-ee', 'v18.4.1-ee', 'v18.5.0-rc42-ee']],
    ['min 0.0.0', { minVersion: '0.0.0', allow: null, includePrereleases: false }, ['v17.10.0-ee', 'v17.11.0-ee', 'v17.11.1-ee', 'v18.3.0-ee', 'v18.3.5-ee', 'v18.4.0-ee', 'v18.4.1-ee']],
    ['allow list', { minVersion: '0.0.0', allow: ['v17.11.1-ee', 'v18.5.0-rc42-ee'], includePrereleases: false }, ['v17.11.1-ee']],
    ['allow list below min', { minVersion: '18.0.0', allow: ['v17.11.1-ee'], includePrereleases: false }, []],
    ['invalid min selects nothing', { minVersion: 'latest', allow: null, includePrereleases: false }, []],
  ])('%s', (_name, options, want) => {
    expect(selectReleases(history, options).selected.map((r) => r.tag)).toEqual(want);
  });

  it('says why each tag was ignored', () => {
    const { ignored } = selectReleases(['v18.3.0-ee', 'v18.5.0-rc42-ee', 'nope'], { minVersion: '18.4.0', allow: null, includePrereleases: false });
    expect(ignored.map((i) => i.reason)).toEqual([
      'older than the minimum version 18.4.0',
      'a release candidate (prereleases are off)',
      expect.stringContaining('not a GitLab release tag'),
    ]);
  });
});

describe('planServiceTagging', () => {
  const A = 'a'.repeat(40);
  const B = 'b'.repeat(40);
  const C = 'c'.repeat(40);
  const def: ServiceTagRule = { tagTemplate: 'self-hosted-{tag}', model: 'default-branch', stableBranchTemplate: 'stable-{major}-{minor}-ee' };
  const stable: ServiceTagRule = { ...def, model: 'stable-branch' };
  const facts = (f: Partial<ServiceFacts>): ServiceFacts => ({ defaultBranch: 'main', defaultBranchHead: A, stableBranchHead: null, existingTag: null, pinnedSha: null, ...f });

  it.each([
    ['default: new tag at the head', 'v18.4.1-ee', def, facts({}), { outcome: 'act', tag: 'self-hosted-v18.4.1-ee', sha: A, actions: [{ kind: 'ensure-tag', tag: 'self-hosted-v18.4.1-ee', sha: A }] }],
    ['default: same commit', 'v18.4.1-ee', def, facts({ existingTag: A }), { outcome: 'exists', tag: 'self-hosted-v18.4.1-ee', sha: A }],
    ['default: other commit', 'v18.4.1-ee', def, facts({ existingTag: B }), { outcome: 'conflict', tag: 'self-hosted-v18.4.1-ee', sha: A, reason: expect.stringContaining(`already points at ${B}`) }],
    ['default: a retry keeps the pinned commit', 'v18.4.1-ee', def, facts({ defaultBranchHead: C, existingTag: A, pinnedSha: A }), { outcome: 'exists', tag: 'self-hosted-v18.4.1-ee', sha: A }],
    ['default: empty repo', 'v18.4.1-ee', def, facts({ defaultBranchHead: null }), { outcome: 'skipped', tag: 'self-hosted-v18.4.1-ee', reason: 'the default branch main has no commit' }],
    ['default: bad template', 'v18.4.1-ee', { ...def, tagTemplate: 'x {tag}' }, facts({}), { outcome: 'skipped', tag: null, reason: expect.stringContaining("containing ' '") }],
    ['stable .0: branch and tag at the default head', 'v18.4.0-ee', stable, facts({}), {
      outcome: 'act', tag: 'self-hosted-v18.4.0-ee', sha: A,
      actions: [{ kind: 'ensure-branch', branch: 'stable-18-4-ee', sha: A }, { kind: 'ensure-tag', tag: 'self-hosted-v18.4.0-ee', sha: A }],
    }],
    ['stable .0 again: branch exists, tag exists', 'v18.4.0-ee', stable, facts({ stableBranchHead: B, existingTag: B }), { outcome: 'exists', tag: 'self-hosted-v18.4.0-ee', sha: B }],
    ['stable .0: tag made, branch lost', 'v18.4.0-ee', stable, facts({ existingTag: A, pinnedSha: A }), { outcome: 'act', tag: 'self-hosted-v18.4.0-ee', sha: A, actions: [{ kind: 'ensure-branch', branch: 'stable-18-4-ee', sha: A }] }],
    ['stable patch: tag at the stable head', 'v18.4.2-ee', stable, facts({ stableBranchHead: B }), { outcome: 'act', tag: 'self-hosted-v18.4.2-ee', sha: B, actions: [{ kind: 'ensure-tag', tag: 'self-hosted-v18.4.2-ee', sha: B }] }],
    ['stable patch without its branch', 'v18.4.2-ee', stable, facts({}), { outcome: 'skipped', tag: 'self-hosted-v18.4.2-ee', reason: expect.stringContaining('stable-18-4-ee does not exist'), waitingForBranch: 'stable-18-4-ee' }],
    ['stable rc: default head, no branch', 'v18.5.0-rc42-ee', stable, facts({}), { outcome: 'act', tag: 'self-hosted-v18.5.0-rc42-ee', sha: A, actions: [{ kind: 'ensure-tag', tag: 'self-hosted-v18.5.0-rc42-ee', sha: A }] }],
    ['stable: bad branch template', 'v18.4.0-ee', { ...stable, stableBranchTemplate: 'stable..{major}' }, facts({}), { outcome: 'skipped', tag: 'self-hosted-v18.4.0-ee', reason: expect.stringContaining("'..'") }],
  ] as const)('%s', (_name, tag, rule, f, want) => {
    expect(planServiceTagging(rel(tag), rule, f)).toEqual(want);
  });
});

describe('release candidates compare by number', () => {
  it.each([
    ['18.5.0-rc3', ['v18.5.0-rc2-ee', 'v18.5.0-rc10-ee', 'v18.5.0-rc42-ee'], ['v18.5.0-rc10-ee', 'v18.5.0-rc42-ee']],
    ['18.5.0-rc42', ['v18.5.0-rc2-ee', 'v18.5.0-rc42-ee', 'v18.5.0-ee'], ['v18.5.0-rc42-ee', 'v18.5.0-ee']],
  ])('min %s', (minVersion, tags, want) => {
    expect(selectReleases(tags, { minVersion, allow: null, includePrereleases: true }).selected.map((r) => r.tag)).toEqual(want);
  });
});
