import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkChange, checkRelease, hasErrors } from '../../src/core/checks.js';
import type { ChangeFacts, Finding, VersionFact } from '../../src/core/checks.js';
import { readRepoConfig } from '../../src/core/repo-config.js';
import { globMatch } from '../../src/core/branch-glob.js';
import { nearestValidVersion } from '../../src/core/version-hint.js';

const s = (version: string): VersionFact => ({ kind: 'static', version });
const PYPI = (versions: string[] = []) => ({ registry: 'pypi', refusesLocal: true, versions });
const OWN = (versions: string[] = []) => ({ registry: 'gitlab', refusesLocal: false, versions });

function facts(over: Partial<Omit<ChangeFacts, 'config'>> & { yml?: string } = {}): ChangeFacts {
  const { yml, ...rest } = over;
  return {
    head: { version: s('1.1.0') },
    target: { version: s('1.0.0'), branch: 'main' },
    tags: [],
    tag: null,
    published: [],
    config: readRepoConfig(yml === undefined ? {} : { pyreleaseYml: yml }),
    projectProblems: [],
    ...rest,
  };
}

const codes = (findings: readonly Finding[]): string[] => findings.map((f) => `${f.severity}:${f.code}`);

describe('checkChange: one rule at a time', () => {
  it.each<[string, ChangeFacts, string[]]>([
    ['a plain bump', facts(), []],
    ['version missing', facts({ head: { version: { kind: 'missing' } } }), ['error:version-missing']],
    ['invalid version', facts({ head: { version: s('1.0.0-SNAPSHOT') } }), ['error:invalid-version']],
    ['invalid version, no hint', facts({ head: { version: s('${version}') } }), ['error:invalid-version']],
    ['non-canonical spelling', facts({ head: { version: s('1.1.0-RC1') } }), ['warning:non-canonical-version']],
    ['surrounding whitespace is non-canonical', facts({ head: { version: s(' 1.1.0\n') } }), ['warning:non-canonical-version']],
    ['lower than target', facts({ head: { version: s('1.2.0') }, target: { version: s('1.3.0'), branch: 'main' } }), ['error:version-not-greater']],
    ['2.0.dev1 is lower than 2.0', facts({ head: { version: s('2.0.dev1') }, target: { version: s('2.0') } }), ['error:version-not-greater']],
    ['2.0rc1 is lower than 2.0', facts({ head: { version: s('2.0rc1') }, target: { version: s('2.0') } }), ['error:version-not-greater']],
    ['2.0 is greater than 2.0.dev1', facts({ head: { version: s('2.0') }, target: { version: s('2.0.dev1') } }), []],
    ['2.0.post1 is greater than 2.0', facts({ head: { version: s('2.0.post1') }, target: { version: s('2.0') } }), []],
    ['2.0+local is greater than 2.0', facts({ head: { version: s('2.0+abc') }, target: { version: s('2.0') } }), []],
    ['an epoch beats any release', facts({ head: { version: s('1!0.1') }, target: { version: s('2024.10') } }), []],
    ['dropping an epoch goes down', facts({ head: { version: s('3.0') }, target: { version: s('1!1.0') } }), ['error:version-not-greater']],
    ['huge integers compare exactly (up)', facts({ head: { version: s('1.99999999999999999999') }, target: { version: s('1.99999999999999999998') } }), []],
    ['huge integers compare exactly (down)', facts({ head: { version: s('0.4.1.dev202204251650943960') }, target: { version: s('0.4.1.dev202204251650943961') } }), ['error:version-not-greater']],
    ['unchanged version is fine', facts({ head: { version: s('1.0.0') } }), []],
    ['1.0 equals 1.0.0: unchanged', facts({ head: { version: s('1.0') } }), []],
    ['unchanged with require-bump', facts({ head: { version: s('1.0.0') }, yml: 'require-bump: true' }), ['error:version-not-bumped']],
    ['1.0 vs 1.0.0 with require-bump', facts({ head: { version: s('1.0') }, yml: 'require-bump: true' }), ['error:version-not-bumped']],
    ['a bump with require-bump', facts({ yml: 'require-bump: true' }), []],
    ['target unreadable (null): checked against tags only', facts({ target: null, tags: ['v2.0'] }), ['error:version-not-greater']],
    ['target invalid: head fixes it', facts({ target: { version: s('one') } }), []],
    ['target dynamic: head static', facts({ target: { version: { kind: 'dynamic', provider: 'setuptools-scm' } } }), []],
    ['dynamic head', facts({ head: { version: { kind: 'dynamic', provider: 'setuptools-scm' } }, tags: ['v9.0'] }), ['notice:dynamic-version']],
    ['a version only code knows is a notice, not an error', facts({ head: { version: { kind: 'unreadable', file: 'setup.py', line: 40, reason: '`get_version()` is computed by code pyrelease does not run' } }, tags: ['v9.0'] }), ['notice:version-unreadable']],
    ['a version read from a module is checked like any other', facts({ head: { version: { kind: 'static', version: '0.9.0', file: 'src/pkg/__version__.py', line: 8 } } }), ['error:version-not-greater']],
    ['already published as the same spelling', facts({ published: [PYPI(['1.0.0', '1.1.0'])] }), ['error:version-already-published']],
    ['1.1 is published as 1.1.0', facts({ head: { version: s('1.1') }, published: [PYPI(['1.1.0'])] }), ['error:version-already-published']],
    ['1.1.0 is published as 1.1', facts({ published: [PYPI(['1.1'])] }), ['error:version-already-published']],
    ['published on the second index', facts({ published: [PYPI(['1.0.0']), OWN(['1.1.0'])] }), ['error:version-already-published']],
    ['published on both indexes', facts({ published: [PYPI(['1.1.0']), OWN(['1.1.0'])] }), ['error:version-already-published', 'error:version-already-published']],
    ['only a local variant is published', facts({ published: [OWN(['1.1.0+abc'])] }), []],
    ['a pre-release is published, not the final', facts({ published: [PYPI(['1.1.0rc1', '1.1.0.dev3'])] }), []],
    ['legacy invalid versions on the index are no match', facts({ published: [PYPI(['1.1.0-legacy', 'banana', ''])] }), []],
    ['local version bound for pypi', facts({ head: { version: s('1.1.0+abc') }, published: [PYPI()] }), ['error:local-version-on-pypi']],
    ['local version on a non-PyPI index is fine', facts({ head: { version: s('1.1.0+abc') }, published: [OWN()] }), []],
    ['local version with no index at all', facts({ head: { version: s('1.1.0+abc') } }), []],
    ['pre-release forbidden', facts({ head: { version: s('1.1.0rc1') }, yml: 'pre-releases: forbid' }), ['error:prerelease-forbidden']],
    ['dev release forbidden', facts({ head: { version: s('1.1.0.dev1') }, yml: 'pre-releases: forbid' }), ['error:prerelease-forbidden']],
    ['post release is not a pre-release', facts({ head: { version: s('1.1.0.post1') }, yml: 'pre-releases: forbid' }), []],
    ['pre-release allowed by default', facts({ head: { version: s('1.1.0rc1') } }), []],
    ['unchanged dev version with forbid is left alone', facts({ head: { version: s('1.0.0.dev0') }, target: { version: s('1.0.0.dev0') }, yml: 'pre-releases: forbid' }), []],
    ['unchanged and already published is left alone', facts({ head: { version: s('1.0.0') }, published: [PYPI(['1.0.0'])] }), []],
    ['no registries is no notice on a change', facts({ yml: 'registries: []' }), []],
  ])('%s', (_name, input, expected) => {
    expect(codes(checkChange(input))).toEqual(expected);
  });
});

describe('checkChange: release tags', () => {
  it.each<[string, Partial<ChangeFacts> & { yml?: string }, string[]]>([
    ['higher than every tag', { tags: ['v0.9', 'v1.0.0', 'not-a-release', 'nightly'] }, []],
    ['equal to the latest tag', { tags: ['v1.0.0', 'v1.1.0'], target: { version: s('1.1.0.dev0') } }, ['error:version-not-greater']],
    ['lower than the latest tag', { tags: ['v1.0.0', 'v1.5.0', 'v1.2.0'] }, ['error:version-not-greater']],
    ['latest tag by PEP 440 order, not by string order', { tags: ['v1.10.0', 'v1.9.0'], head: { version: s('1.9.5') } }, ['error:version-not-greater']],
    ['1.1 equals tag v1.1.0', { tags: ['v1.1.0'], head: { version: s('1.1') }, target: { version: s('1.0') } }, ['error:version-not-greater']],
    ['not-a-release tags are ignored', { tags: ['latest', 'deploy-2099', 'stable'] }, []],
    ['strict mode ignores a non-canonical tag', { tags: ['v2.0-RC1'] }, []],
    ['lenient mode reads a non-canonical tag', { tags: ['v2.0-RC1'], yml: 'tag-mode: lenient' }, ['error:version-not-greater']],
    ['a prefix outside the policy is not a release', { tags: ['v9.0'], yml: 'tag-prefixes: [release-]' }, []],
    ['the policy prefix is read', { tags: ['release-9.0'], yml: 'tag-prefixes: [release-]' }, ['error:version-not-greater']],
    ['below the target and a lower tag: one error', { tags: ['v1.2.0'], target: { version: s('1.3.0') }, head: { version: s('1.1.0') } }, ['error:version-not-greater']],
    ['below the target and below a higher tag: both said', { tags: ['v1.5.0'], target: { version: s('1.3.0') }, head: { version: s('1.1.0') } }, ['error:version-not-greater', 'error:version-not-greater']],
    ['tags and target both lower: fine', { tags: ['v1.0.0'], head: { version: s('1.0.1') } }, []],
    ['a branch that is not a release branch: the latest tag is the floor', { tags: ['v1.4.0', 'v2.0.0'], target: { version: s('1.4.0'), branch: 'stable-1.4' }, head: { version: s('1.4.1') }, yml: 'release-branches: [release/*]' }, ['error:version-not-greater']],
    ['maintenance (release) branch below the latest tag: fine', { tags: ['v1.4.0', 'v2.0.0'], target: { version: s('1.4.0'), branch: 'release/1.4' }, head: { version: s('1.4.1') }, yml: 'release-branches: [release/*]' }, []],
    ['maintenance branch repeating a tag', { tags: ['v1.4.0', 'v1.4.1', 'v2.0.0'], target: { version: s('1.4.0'), branch: 'release/1.4' }, head: { version: s('1.4.1.0') }, yml: 'release-branches: [release/*]' }, ['error:version-already-tagged']],
    ['maintenance branch going down', { tags: ['v1.4.0', 'v2.0.0'], target: { version: s('1.4.0'), branch: '1.x' }, head: { version: s('1.3.9') }, yml: 'release-branches: ["*.x"]' }, ['error:version-not-greater']],
    ['maintenance needs the branch name', { tags: ['v1.4.0', 'v2.0.0'], target: { version: s('1.4.0') }, head: { version: s('1.4.1') }, yml: 'release-branches: ["**"]' }, ['error:version-not-greater']],
  ])('%s', (_name, over, expected) => {
    expect(codes(checkChange(facts(over)))).toEqual(expected);
  });
});

describe('checkRelease', () => {
  const rel = (over: Partial<ChangeFacts> & { yml?: string } = {}): ChangeFacts =>
    facts({ target: null, tag: 'v1.1.0', yml: 'registries: [pypi]', ...over });
  it.each<[string, ChangeFacts, string[]]>([
    ['tag and pyproject agree', rel(), []],
    ['v1.1 and 1.1.0 are equal', rel({ tag: 'v1.1' }), []],
    ['tag v1.1.0rc1 and 1.1.0-rc1 agree (spelling notice)', rel({ tag: 'v1.1.0rc1', head: { version: s('1.1.0-rc1') } }), ['notice:non-canonical-version']],
    ['tag and pyproject disagree', rel({ tag: 'v1.2.0' }), ['error:tag-mismatch']],
    ['local label differs', rel({ tag: 'v1.1.0', head: { version: s('1.1.0+abc') } }), ['error:tag-mismatch']],
    ['invalid pyproject version: no mismatch on top', rel({ head: { version: s('1.1.x') } }), ['error:invalid-version']],
    ['missing version', rel({ head: { version: { kind: 'missing' } } }), ['error:version-missing']],
    ['dynamic version: the tag is the version', rel({ head: { version: { kind: 'dynamic', provider: 'hatch-vcs' } } }), ['notice:dynamic-version']],
    ['dynamic version: published check applies to the tag', rel({ head: { version: { kind: 'dynamic', provider: 'hatch-vcs' } }, published: [PYPI(['1.1'])] }), ['notice:dynamic-version', 'notice:version-already-published']],
    ['dynamic version without a tag', rel({ tag: null, head: { version: { kind: 'dynamic', provider: 'setuptools-scm' } } }), ['error:version-unknown', 'notice:dynamic-version']],
    ['a version only code knows: the tag is the version', rel({ head: { version: { kind: 'unreadable', file: 'setup.py', line: 40, reason: '`get_version()` is computed by code pyrelease does not run' } } }), ['notice:version-unreadable']],
    ['a version only code knows, without a tag', rel({ tag: null, head: { version: { kind: 'unreadable', file: 'setup.py', line: 40, reason: '`get_version()` is computed by code pyrelease does not run' } } }), ['error:version-unknown', 'notice:version-unreadable']],
    ['a module version that disagrees with the tag', rel({ tag: 'v1.2.0', head: { version: { kind: 'static', version: '1.1.0', file: 'src/pkg/__init__.py', line: 3 } } }), ['error:tag-mismatch']],
    // A release that is on the index already is finished file by file (same sha256
    // skipped, other content refused by the publish job), so it is a notice, not an error.
    ['commit trigger: pyproject is the version', rel({ tag: null, published: [PYPI(['1.1.0'])] }), ['notice:version-already-published']],
    ['already published as 1.1', rel({ published: [PYPI(['1.0', '1.1'])] }), ['notice:version-already-published']],
    ['local version to pypi', rel({ tag: 'v1.1.0+abc', head: { version: s('1.1.0+abc') }, published: [PYPI()] }), ['error:local-version-on-pypi']],
    ['local version to an own index', rel({ tag: 'v1.1.0+abc', head: { version: s('1.1.0+abc') }, published: [OWN()] }), []],
    ['pre-release forbidden', rel({ tag: 'v1.1.0rc1', head: { version: s('1.1.0rc1') }, yml: 'registries: [pypi]\npre-releases: forbid' }), ['error:prerelease-forbidden']],
    ['pre-release allowed', rel({ tag: 'v1.1.0rc1', head: { version: s('1.1.0rc1') } }), []],
    ['no registries', rel({ yml: 'tag-mode: strict' }), ['notice:no-registries']],
    ['rejected tag (not canonical, strict)', rel({ tag: 'v1.1.0-RC1', head: { version: s('1.1.0rc1') } }), ['error:tag-rejected']],
    ['lenient mode accepts the spelling', rel({ tag: 'v1.1.0-RC1', head: { version: s('1.1.0rc1') }, yml: 'registries: [pypi]\ntag-mode: lenient' }), []],
    ['not a release tag at all', rel({ tag: 'nightly' }), ['error:tag-rejected']],
    ['a release below the latest tag is allowed (backport)', rel({ tag: 'v1.1.0', tags: ['v2.0.0', 'v1.1.0'] }), []],
    ['epochs: tag with ! is refused as unsafe', rel({ tag: 'v1!1.1.0', head: { version: s('1!1.1.0') } }), ['error:tag-rejected']],
    ['epochs: commit trigger', rel({ tag: null, head: { version: s('1!1.1.0') }, published: [PYPI(['1.1.0'])] }), []],
  ])('%s', (_name, input, expected) => {
    expect(codes(checkRelease(input))).toEqual(expected);
  });
});

describe('config and project problems', () => {
  it('an invalid config gives one error per problem, with its field, and the defaults run the rest', () => {
    const input = facts({ yml: 'pre-releases: never\nrequire-bump: maybe\nregistries: [PyPI]', head: { version: s('1.0.0rc1') }, target: { version: s('0.9') } });
    const found = checkChange(input);
    const fields = input.config.ok ? [] : input.config.problems.map((p) => p.field);
    expect(new Set(fields)).toEqual(new Set(['pre-releases', 'require-bump', 'registries.0']));
    expect(found.map((f) => [f.code, f.field])).toEqual(fields.map((field) => ['invalid-config', field]));
    // The defaults allow pre-releases: no prerelease-forbidden finding.
    expect(found.every((f) => f.code === 'invalid-config')).toBe(true);
  });

  it('the same in a release: defaults have no registries, so a notice says so', () => {
    const found = checkRelease(facts({ target: null, tag: 'v1.1.0', yml: 'tag-mode: loose' }));
    expect(codes(found)).toEqual(['error:invalid-config', 'notice:no-registries']);
    expect(found[0]?.field).toBe('tag-mode');
    expect(found[0]?.message).toContain('`tag-mode` in `.pyrelease.yml` is invalid');
  });

  it('a whole-file problem names the file', () => {
    const found = checkChange(facts({ yml: 'tag-mode: [' }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: 'invalid-config', severity: 'error', field: '' });
    expect(found[0]?.message).toMatch(/^`\.pyrelease\.yml` is invalid: invalid YAML/);
  });

  it('pyproject.toml problems in [tool.pyrelease] carry the dotted path', () => {
    const found = checkChange({ ...facts(), config: readRepoConfig({ pyprojectToml: '[tool.pyrelease]\npath = "../x"\n' }) });
    expect(found.map((f) => f.field)).toEqual(['tool.pyrelease.path']);
  });

  it('config notes become notices', () => {
    const config = readRepoConfig({ pyprojectToml: '[tool.pyrelease]\n', pyreleaseYml: 'tag-mode: strict' });
    expect(codes(checkChange({ ...facts(), config }))).toEqual(['notice:config-note']);
  });

  it.each<[string, ChangeFacts['projectProblems'], string[]]>([
    ['none', [], []],
    ['an error by default', [{ code: 'bad-name', message: 'the name is invalid', field: 'project.name' }], ['error:project-problem']],
    ['a warning when marked so', [{ code: 'old-backend', message: 'setup.py only', severity: 'warning' }], ['warning:project-problem']],
    ['errors sorted before warnings', [{ code: 'w', message: 'w', severity: 'warning' }, { code: 'e', message: 'e' }], ['error:project-problem', 'warning:project-problem']],
  ])('project problems: %s', (_name, projectProblems, expected) => {
    expect(codes(checkChange(facts({ projectProblems })))).toEqual(expected);
    expect(codes(checkRelease(facts({ projectProblems, target: null, tag: 'v1.1.0', yml: 'registries: [x]' })))).toEqual(expected);
  });
});

describe('messages name the concrete values and a fix', () => {
  it.each<[string, () => Finding[], string, string | null]>([
    ['lower than target', () => checkChange(facts({ head: { version: s('1.2.0') }, target: { version: s('1.3.0'), branch: 'main' } })),
      '`1.2.0` on this branch is lower than `1.3.0` on `main`.', 'Use a version above `1.3.0`.'],
    ['lower than a tag', () => checkChange(facts({ tags: ['v1.5.0'] })),
      '`1.1.0` on this branch is lower than the latest release tag `v1.5.0`.', 'Use a version above `1.5.0`.'],
    ['invalid with a hint', () => checkChange(facts({ head: { version: s('1.0.0-SNAPSHOT') } })),
      'The version `1.0.0-SNAPSHOT` in pyproject.toml is not a valid PEP 440 version.', 'Use `1.0.0.dev0`.'],
    ['non-canonical', () => checkChange(facts({ head: { version: s('1.1.0-RC1') } })),
      'The version `1.1.0-RC1` is not spelled canonically; it will be published as `1.1.0rc1`.', 'Write `1.1.0rc1` in pyproject.toml.'],
    ['published under another spelling', () => checkChange(facts({ head: { version: s('1.1') }, published: [PYPI(['1.1.0', '1.0'])] })),
      '`1.1` is already published on `pypi` (as `1.1.0`).', 'Bump the version above `1.1.0`, the highest published one.'],
    ['tag mismatch', () => checkRelease(facts({ target: null, tag: 'v1.2', yml: 'registries: [pypi]' })),
      'The tag `v1.2` says `1.2` but pyproject.toml says `1.1.0`.', 'Make the tag and `project.version` name the same version, then tag again.'],
    ['tag mismatch names the file and line it read', () => checkRelease(facts({ target: null, tag: 'v2.32.4', head: { version: { kind: 'static', version: '2.32.3', file: 'src/requests/__version__.py', line: 8 } }, yml: 'registries: [pypi]' })),
      'The tag `v2.32.4` says `2.32.4` but src/requests/__version__.py (line 8) says `2.32.3`.', 'Make the tag and the version in src/requests/__version__.py name the same version, then tag again.'],
    ['an invalid module version names its file and line', () => checkChange(facts({ head: { version: { kind: 'static', version: '1.0-SNAPSHOT', file: 'setup.py', line: 12 } } })),
      'The version `1.0-SNAPSHOT` in setup.py (line 12) is not a valid PEP 440 version.', 'Use `1.0.dev0`.'],
    ['a version only code knows names where', () => checkRelease(facts({ target: null, tag: 'v1.1.0', head: { version: { kind: 'unreadable', file: 'setup.py', line: 40, reason: '`get_version()` is computed by code pyrelease does not run' } }, yml: 'registries: [pypi]' })),
      'The version in setup.py (line 40) is only known by running code (`get_version()` is computed by code pyrelease does not run), which pyrelease does not do: the tag is the version, and the built files must name it.', null],
    ['local version', () => checkChange(facts({ head: { version: s('1.1.0+Ubuntu.1') }, published: [PYPI()] })),
      '`1.1.0+ubuntu.1` has a local version label, which `pypi` refuses.', 'Drop the `+ubuntu.1` part, or publish to an index that accepts local versions.'],
    ['a project problem is passed on as written', () => checkChange(facts({ projectProblems: [{ code: 'setup-cfg-invalid', message: 'setup.cfg: line 3 is not `key = value`' }] })),
      'setup.cfg: line 3 is not `key = value`.', null],
    ['target branch unknown', () => checkChange(facts({ head: { version: s('0.9') }, target: { version: s('1.0') } })),
      '`0.9` on this branch is lower than `1.0` on the target branch.', 'Use a version above `1.0`.'],
    ['not bumped', () => checkChange(facts({ head: { version: s('1.0.0') }, yml: 'require-bump: true' })),
      'The version `1.0.0` is the same as on `main`, and this repository requires every change to bump it.', 'Raise the version in pyproject.toml.'],
  ])('%s', (_name, run, message, fix) => {
    const [first] = run();
    expect(first?.message).toBe(message);
    expect(first?.fix).toBe(fix);
  });

  it('every finding has a one-line message and a fix or an explicit null', () => {
    const all = [
      ...checkChange(facts({ head: { version: s('x') }, yml: 'tag-mode: y' })),
      ...checkRelease(facts({ target: null, tag: 'v2', head: { version: s('1.0rc1') }, published: [PYPI(['1.0rc1'])], yml: 'pre-releases: forbid' })),
    ];
    expect(all.length).toBeGreaterThan(3);
    for (const f of all) {
      expect(f.message).not.toMatch(/[\n\r]/);
      expect(f.message.length).toBeGreaterThan(10);
      expect(f.fix === null || f.fix.length > 5).toBe(true);
    }
  });

  it('hostile values are quoted without backticks or control characters', () => {
    const [first] = checkChange(facts({ head: { version: s('1.0`\n@admin\u202e<b>' + 'x'.repeat(500)) } }));
    expect(first?.code).toBe('invalid-version');
    const quoted = first?.message.match(/`([^`]*)`/)?.[1] ?? '';
    expect(quoted).not.toMatch(/[\n\u202e]/);
    expect(quoted.length).toBeLessThanOrEqual(80);
    expect(first?.message.split('`')).toHaveLength(3);
  });
});

describe('order and hasErrors', () => {
  it('errors, then warnings, then notices, stable within each', () => {
    const found = checkChange(facts({
      head: { version: s('1.1.0-RC1') },
      projectProblems: [{ code: 'a', message: 'first warning', severity: 'warning' }, { code: 'b', message: 'first error' }],
      published: [PYPI(['1.1rc1'])],
      yml: 'tag-mode: strict\n',
      tags: ['v2.0'],
    }));
    expect(codes(found)).toEqual([
      'error:project-problem',
      'error:version-not-greater',
      'error:version-already-published',
      'warning:project-problem',
      'warning:non-canonical-version',
    ]);
  });

  it.each<[string, Finding[], boolean]>([
    ['none', [], false],
    ['notice only', [{ code: 'no-registries', severity: 'notice', message: 'm', fix: null }], false],
    ['warning only', [{ code: 'non-canonical-version', severity: 'warning', message: 'm', fix: null }], false],
    ['an error', [{ code: 'non-canonical-version', severity: 'warning', message: 'm', fix: null }, { code: 'invalid-version', severity: 'error', message: 'm', fix: null }], true],
  ])('hasErrors: %s', (_name, findings, expected) => {
    expect(hasErrors(findings)).toBe(expected);
  });

  it('is deterministic: same facts, same findings', () => {
    const input = facts({ head: { version: s('0.1') }, tags: ['v1', 'v2', 'v3'], published: [PYPI(['0.1'])] });
    expect(checkChange(input)).toEqual(checkChange(input));
  });
});

describe('globMatch', () => {
  it.each<[string, string, boolean]>([
    ['main', 'main', true],
    ['main', 'mainline', false],
    ['release/*', 'release/1.4', true],
    ['release/*', 'release/1.4/hotfix', false],
    ['release/**', 'release/1.4/hotfix', true],
    ['*.x', '1.x', true],
    ['*.x', '1x', false],
    ['*', 'a/b', false],
    ['**', 'a/b', true],
    ['v1.*', 'v1x2', false],
    ['a.b', 'aXb', false],
    ['*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(250), false],
  ])('%s ~ %s -> %s', (pattern, branch, expected) => {
    expect(globMatch(pattern, branch)).toBe(expected);
  });
});

describe('nearestValidVersion', () => {
  it.each<[string, string | null]>([
    ['1.0.0-SNAPSHOT', '1.0.0.dev0'],
    ['release-1.2.0', '1.2.0'],
    ['version 1.2', '1.2'],
    ['mypkg-1.0', '1.0'],
    ['1,2,3', '1.2.3'],
    ['1.0.', '1.0'],
    ['1..0', '1.0'],
    ['1.0 rc1', '1.0rc1'],
    ["'1.2.0'", '1.2.0'],
    ['"2.0"', '2.0'],
    ['1.0.0+build~7', '1.0.0+build.7'],
    ['1.0.0-rc.1.2', null],
    ['${version}', null],
    ['1.0.x', null],
    ['banana', null],
    ['1.0', null], // already valid: nothing to suggest
    ['9'.repeat(5000), null],
    ['a-'.repeat(10_000), null],
  ])('%j -> %j', (input, expected) => {
    expect(nearestValidVersion(input)).toBe(expected);
  });
});

// Expected results from pypa/packaging: scripts/fixtures/checks.py.
const TRIPLES = readFileSync(new URL('../fixtures/checks/triples.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => JSON.parse(line) as [string, string, string, string[]]);

describe('agrees with packaging on order, equality, pre-releases, locals and canonical versions', () => {
  it('has the fixture', () => {
    expect(TRIPLES.length).toBe(4000);
  });
  it.each(TRIPLES)('head %j, target %j, published %j -> %j', (head, target, published, expected) => {
    const found = checkChange(facts({
      head: { version: s(head) },
      target: { version: s(target), branch: 'main' },
      published: [PYPI([published])],
      yml: 'pre-releases: forbid',
    }));
    expect(found.filter((f) => f.severity === 'error').map((f) => f.code)).toEqual(expected);
  });
});
