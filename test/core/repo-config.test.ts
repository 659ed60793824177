import { describe, expect, it } from 'vitest';
import { DEFAULT_REPO_CONFIG, readRepoConfig, extendsTarget } from '../../src/core/repo-config.js';
import type { RepoConfig, RepoConfigResult } from '../../src/core/repo-config.js';

function ok(result: RepoConfigResult): RepoConfig {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.problems)}`);
  return result.config;
}

function problems(result: RepoConfigResult): { file: string; field: string; message: string }[] {
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.config)}`);
  return result.problems.map((p) => ({ ...p }));
}

const toml = (body: string): string => `[project]\nname = "x"\n\n[tool.pyrelease]\n${body}\n`;

describe('defaults', () => {
  it.each([
    ['no files at all', {}],
    ['null files', { pyprojectToml: null, pyreleaseYml: null }],
    ['pyproject without [tool.pyrelease]', { pyprojectToml: '[project]\nname = "x"\n' }],
    ['pyproject with other tools only', { pyprojectToml: '[tool.ruff]\nline-length = 100\n' }],
  ])('%s -> DEFAULT_REPO_CONFIG from "defaults"', (_name, files) => {
    const result = readRepoConfig(files);
    expect(result).toEqual({ ok: true, config: DEFAULT_REPO_CONFIG, source: 'defaults', notes: [] });
  });

  it.each([
    ['empty .pyrelease.yml', { pyreleaseYml: '' }, '.pyrelease.yml'],
    ['comment-only .pyrelease.yml', { pyreleaseYml: '# nothing yet\n' }, '.pyrelease.yml'],
    ['YAML null document', { pyreleaseYml: '~' }, '.pyrelease.yml'],
    ['empty [tool.pyrelease]', { pyprojectToml: toml('') }, 'pyproject.toml'],
  ])('%s -> the defaults, from %s', (_name, files, source) => {
    const result = readRepoConfig(files);
    expect(result.ok && result.source).toBe(source);
    expect(ok(result)).toEqual(DEFAULT_REPO_CONFIG);
  });

  it('the defaults are the documented ones and frozen', () => {
    expect(DEFAULT_REPO_CONFIG).toEqual({
      tagPrefixes: ['v', 'v-', ''],
      tagMode: 'strict',
      tagPrefix: 'v',
      commitTrigger: true,
      registries: [],
      preReleases: 'allow',
      buildTool: 'auto',
      requireBump: false,
      releaseBranches: [],
      requireProtectedTag: false,
      path: '.',
      changelog: null,
      requireChangelog: false,
    });
    expect(Object.isFrozen(DEFAULT_REPO_CONFIG)).toBe(true);
    expect(Object.isFrozen(DEFAULT_REPO_CONFIG.tagPrefixes)).toBe(true);
  });
});

// [toml value, yaml value, camelCase key, expected value]
const VALID: [string, string, string, keyof RepoConfig, unknown][] = [
  ['tag-prefixes', '["release-"]', '[release-]', 'tagPrefixes', ['release-']],
  ['tag-prefixes', '["v", ""]', '["v", ""]', 'tagPrefixes', ['v', '']],
  ['tag-prefixes', '["pkg/v"]', '[pkg/v]', 'tagPrefixes', ['pkg/v']],
  ['tag-mode', '"lenient"', 'lenient', 'tagMode', 'lenient'],
  ['tag-mode', '"strict"', 'strict', 'tagMode', 'strict'],
  ['tag-prefix', '""', '""', 'tagPrefix', ''],
  ['tag-prefix', '"v-"', 'v-', 'tagPrefix', 'v-'],
  ['commit-trigger', 'false', 'false', 'commitTrigger', false],
  ['registries', '["pypi", "testpypi", "gitlab_own-1"]', '[pypi, testpypi, gitlab_own-1]', 'registries', ['pypi', 'testpypi', 'gitlab_own-1']],
  ['registries', '[]', '[]', 'registries', []],
  ['pre-releases', '"forbid"', 'forbid', 'preReleases', 'forbid'],
  ['build-tool', '"poetry"', 'poetry', 'buildTool', 'poetry'],
  ['build-tool', '"build"', 'build', 'buildTool', 'build'],
  ['require-bump', 'true', 'true', 'requireBump', true],
  ['release-branches', '["release/*", "1.x", "main"]', '[release/*, 1.x, main]', 'releaseBranches', ['release/*', '1.x', 'main']],
  ['require-protected-tag', 'true', 'true', 'requireProtectedTag', true],
  ['path', '"packages/core"', 'packages/core', 'path', 'packages/core'],
  ['path', '"."', '"."', 'path', '.'],
  ['path', '"a..b/c"', 'a..b/c', 'path', 'a..b/c'],
  ['changelog', '"docs/changes.rst"', 'docs/changes.rst', 'changelog', 'docs/changes.rst'],
  ['require-changelog', 'true', 'true', 'requireChangelog', true],
];

describe.each(VALID)('valid %s = %s', (key, tomlValue, yamlValue, prop, expected) => {
  it('in pyproject.toml', () => {
    const result = readRepoConfig({ pyprojectToml: toml(`${key} = ${tomlValue}`) });
    expect(ok(result)[prop]).toEqual(expected);
  });
  it('in .pyrelease.yml', () => {
    const result = readRepoConfig({ pyreleaseYml: `${key}: ${yamlValue}\n` });
    expect(ok(result)[prop]).toEqual(expected);
  });
});

// [key, toml value, yaml value, field path below the config root]
const INVALID: [string, string, string, string][] = [
  ['tag-prefixes', '[]', '[]', 'tag-prefixes'],
  ['tag-prefixes', '"v"', 'v', 'tag-prefixes'],
  ['tag-prefixes', '["v", 1]', '[v, 1]', 'tag-prefixes.1'],
  ['tag-prefixes', '["v", "a b"]', '[v, "a b"]', 'tag-prefixes.1'],
  ['tag-prefixes', '["$(rm)"]', '["$(rm)"]', 'tag-prefixes.0'],
  ['tag-prefixes', `[${'"v",'.repeat(17)}]`, `[${'v,'.repeat(17)}]`, 'tag-prefixes'],
  ['tag-prefixes', `["${'v'.repeat(33)}"]`, `[${'v'.repeat(33)}]`, 'tag-prefixes.0'],
  ['tag-mode', '"loose"', 'loose', 'tag-mode'],
  ['tag-mode', '"STRICT"', 'STRICT', 'tag-mode'],
  ['tag-prefix', '"v*"', '"v*"', 'tag-prefix'],
  ['tag-prefix', '1', '1', 'tag-prefix'],
  ['commit-trigger', '"yes"', 'yes', 'commit-trigger'],
  ['commit-trigger', '1', '1', 'commit-trigger'],
  ['registries', '"pypi"', 'pypi', 'registries'],
  ['registries', '["PyPI"]', '[PyPI]', 'registries.0'],
  ['registries', '["", "pypi"]', '["", pypi]', 'registries.0'],
  ['registries', '["pypi", "https://x"]', '[pypi, "https://x"]', 'registries.1'],
  ['registries', `[${'"a",'.repeat(17)}]`, `[${'a,'.repeat(17)}]`, 'registries'],
  ['pre-releases', '"never"', 'never', 'pre-releases'],
  ['pre-releases', 'false', 'false', 'pre-releases'],
  ['build-tool', '"hatch"', 'hatch', 'build-tool'],
  ['require-bump', '"true"', '"true"', 'require-bump'],
  ['release-branches', '[""]', '[""]', 'release-branches.0'],
  ['release-branches', '["a b"]', '["a b"]', 'release-branches.0'],
  ['release-branches', '["main", "x;y"]', '[main, "x;y"]', 'release-branches.1'],
  ['require-protected-tag', '0', '0', 'require-protected-tag'],
  ['path', '"../other"', '../other', 'path'],
  ['path', '"/etc"', '/etc', 'path'],
  ['path', '"a/../../b"', 'a/../../b', 'path'],
  ['path', '".."', '".."', 'path'],
  ['path', '"a/.."', 'a/..', 'path'],
  ['path', '"a b"', '"a b"', 'path'],
  ['changelog', '"../CHANGES.md"', '../CHANGES.md', 'changelog'],
  ['changelog', '"docs/"', 'docs/', 'changelog'],
  ['changelog', '"/CHANGES.md"', '/CHANGES.md', 'changelog'],
  ['require-changelog', '"yes"', 'yes', 'require-changelog'],
];

describe.each(INVALID)('invalid %s = %s', (key, tomlValue, yamlValue, field) => {
  // An empty string breaks two rules (min length and pattern): both are reported, at the same field.
  it('in pyproject.toml: problems only at tool.pyrelease.<field>', () => {
    const found = problems(readRepoConfig({ pyprojectToml: toml(`${key} = ${tomlValue}`) }));
    expect(new Set(found.map((p) => `${p.file}:${p.field}`))).toEqual(new Set([`pyproject.toml:tool.pyrelease.${field}`]));
    for (const p of found) expect(p.message).not.toBe('');
  });
  it('in .pyrelease.yml: problems only at <field>', () => {
    const found = problems(readRepoConfig({ pyreleaseYml: `${key}: ${yamlValue}\n` }));
    expect(new Set(found.map((p) => `${p.file}:${p.field}`))).toEqual(new Set([`.pyrelease.yml:${field}`]));
  });
});

describe('several problems are reported at once', () => {
  it('every bad field, each with its own path', () => {
    const found = problems(readRepoConfig({ pyreleaseYml: 'tag-mode: x\nregistries: [Bad]\npath: /abs\n' }));
    expect(found.map((p) => p.field).sort()).toEqual(['path', 'registries.0', 'tag-mode']);
  });
});

describe('unknown keys', () => {
  it.each([
    [{ pyprojectToml: toml('registry = ["pypi"]') }, 'pyproject.toml', ['tool.pyrelease.registry']],
    [{ pyreleaseYml: 'registry: [pypi]\n' }, '.pyrelease.yml', ['registry']],
    [{ pyreleaseYml: 'tag_mode: strict\nfoo: 1\n' }, '.pyrelease.yml', ['tag_mode', 'foo']],
    [{ pyreleaseYml: '__proto__: {tag-mode: lenient}\n' }, '.pyrelease.yml', ['__proto__']],
    [{ pyreleaseYml: 'constructor: 1\n' }, '.pyrelease.yml', ['constructor']],
    [{ pyreleaseYml: '"a`b\\u0007c": 1\n' }, '.pyrelease.yml', ['a`b?c']],
  ])('%j is refused, one problem per key at its own field', (files, file, fields) => {
    const found = problems(readRepoConfig(files));
    expect(found.map((p) => p.field)).toEqual(fields);
    for (const p of found) {
      expect(p.file).toBe(file);
      expect(p.message).toContain('known fields: tag-prefixes');
    }
  });
});

describe('tag-prefix and tag-prefixes', () => {
  it.each([
    [{}, 'v'],
    [{ 'tag-prefixes': ['release-'] }, 'release-'],
    [{ 'tag-prefixes': ['', 'v'] }, ''],
    [{ 'tag-prefixes': ['v', 'rel-'], 'tag-prefix': 'rel-' }, 'rel-'],
  ])('%j creates tags with prefix %j', (settings, prefix) => {
    const result = readRepoConfig({ pyreleaseYml: JSON.stringify(settings) });
    expect(result.ok && result.config.tagPrefix).toBe(prefix);
  });

  it('refuses a tag-prefix that tag-prefixes would not recognize', () => {
    const found = problems(readRepoConfig({ pyreleaseYml: 'tag-prefix: release-\n' }));
    expect(found).toEqual([{ file: '.pyrelease.yml', field: 'tag-prefix', message: 'must be one of tag-prefixes ("v", "v-", "")' }]);
  });
});

describe('files that do not parse or have the wrong shape', () => {
  it.each([
    [{ pyprojectToml: '[tool.pyrelease\n' }, 'pyproject.toml', /^invalid TOML: /],
    [{ pyprojectToml: 'x = \n' }, 'pyproject.toml', /^invalid TOML: /],
    [{ pyprojectToml: '[tool.pyrelease]\na = 1\na = 2\n' }, 'pyproject.toml', /^invalid TOML: /],
    [{ pyreleaseYml: 'tag-mode: [\n' }, '.pyrelease.yml', /^invalid YAML: /],
    [{ pyreleaseYml: 'tag-mode: strict\ntag-mode: lenient\n' }, '.pyrelease.yml', /^invalid YAML: Map keys must be unique/],
    [{ pyreleaseYml: '- tag-mode\n' }, '.pyrelease.yml', /^must be a mapping/],
    [{ pyreleaseYml: 'just a string\n' }, '.pyrelease.yml', /^must be a mapping/],
    [{ pyreleaseYml: '42\n' }, '.pyrelease.yml', /^must be a mapping/],
  ])('%j -> one whole-file problem', (files, file, message) => {
    const found = problems(readRepoConfig(files));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ file, field: '' });
    expect(found[0]?.message).toMatch(message);
    expect(found[0]?.message).not.toContain('\n');
  });

  it.each([
    ['tool.pyrelease is a number', '[tool]\npyrelease = 1\n'],
    ['tool.pyrelease is a string', '[tool]\npyrelease = "v"\n'],
    ['tool.pyrelease is an array', '[tool]\npyrelease = []\n'],
  ])('%s -> a problem at tool.pyrelease', (_name, text) => {
    const found = problems(readRepoConfig({ pyprojectToml: text }));
    expect(found).toEqual([expect.objectContaining({ file: 'pyproject.toml', field: 'tool.pyrelease' })]);
  });
});

describe('YAML alias bombs', () => {
  const level = (name: string, prev: string): string => `${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`;
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', level('b', 'a'), level('c', 'b'), level('d', 'c'), level('e', 'd'), level('f', 'e'), level('g', 'f'), level('h', 'g'), level('i', 'h')].join('\n');

  it.each([
    ['billion laughs', bomb],
    ['bomb under a known key', `${bomb}\ntag-prefixes: *i\n`],
    ['many plain aliases', `a: &a v\ntag-prefixes: [${Array(500).fill('*a').join(', ')}]\n`],
  ])('%s is refused quickly as invalid YAML', (_name, text) => {
    const started = performance.now();
    const found = problems(readRepoConfig({ pyreleaseYml: text }));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(found).toEqual([expect.objectContaining({ file: '.pyrelease.yml', field: '', message: expect.stringMatching(/^invalid YAML: .*resource exhaustion/) })]);
  });

  it('a few aliases are fine', () => {
    const result = readRepoConfig({ pyreleaseYml: 'x-prefixes: &p [v]\n' });
    // x-prefixes is an unknown key: aliases parse, the schema still refuses the key.
    expect(result.ok).toBe(false);
    const config = ok(readRepoConfig({ pyreleaseYml: 'tag-prefixes: &p [v, release-]\nregistries: [pypi]\n' }));
    expect(config.tagPrefixes).toEqual(['v', 'release-']);
  });
});

describe('both files present', () => {
  it.each([
    ['both valid: .pyrelease.yml wins, with a note', toml('tag-mode = "strict"'), 'tag-mode: lenient\n', { ok: true, tagMode: 'lenient', notes: 1, field: '' }],
    ['[tool.pyrelease] invalid, yml valid: yml wins, with a note', toml('tag-mode = "x"'), 'tag-mode: lenient\n', { ok: true, tagMode: 'lenient', notes: 1, field: '' }],
    ['pyproject without [tool.pyrelease]: no note', '[project]\nname = "x"\n', 'tag-mode: lenient\n', { ok: true, tagMode: 'lenient', notes: 0, field: '' }],
    ['yml invalid: its problems, nothing from pyproject', toml('tag-mode = "lenient"'), 'tag-mode: x\n', { ok: false, tagMode: '', notes: 0, field: 'tag-mode' }],
  ])('%s', (_name, pyprojectToml, pyreleaseYml, expected) => {
    const result = readRepoConfig({ pyprojectToml, pyreleaseYml });
    expect(result.source).toBe('.pyrelease.yml');
    if (expected.ok) {
      expect(ok(result).tagMode).toBe(expected.tagMode);
      expect(result.ok && result.notes).toHaveLength(expected.notes);
    } else {
      expect(problems(result)).toEqual([expect.objectContaining({ field: expected.field })]);
    }
  });
});

describe('organisation defaults (GitHub .github repository) and _extends', () => {
  it('applies organisation defaults under the repository settings, repository keys winning', () => {
    const result = readRepoConfig({ pyreleaseYml: 'registries: [pypi]\n', orgDefaultsYml: 'registries: [testpypi]\npre-releases: forbid\n' });
    expect(result.ok && [result.config.registries, result.config.preReleases, result.source]).toEqual([['pypi'], 'forbid', '.pyrelease.yml']);
    expect(result.ok && result.notes.join(' ')).toContain('organisation defaults');
  });

  it('uses organisation defaults alone for a repository without config', () => {
    const result = readRepoConfig({ orgDefaultsYml: 'registries: [pypi]\n' });
    expect(result.ok && [result.config.registries, result.source]).toEqual([['pypi'], '.github/pyrelease.yml (organisation)']);
  });

  it('reports a problem in the organisation file against that file', () => {
    const result = readRepoConfig({ pyreleaseYml: 'registries: [pypi]\n', orgDefaultsYml: 'tag-mode: loose\n' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([expect.objectContaining({ file: '.github/pyrelease.yml (organisation)', field: 'tag-mode' })]);
  });

  it('does not take _extends for an unknown setting', () => {
    expect(readRepoConfig({ pyreleaseYml: '_extends: .github\nregistries: [pypi]\n' }).ok).toBe(true);
  });

  it.each([
    [{ pyreleaseYml: '_extends: .github\n' }, '.github'],
    [{ pyreleaseYml: '_extends: acme/shared-config:pyrelease.yml\n' }, 'acme/shared-config:pyrelease.yml'],
    [{ pyprojectToml: '[tool.pyrelease]\n_extends = "acme/.github"\n' }, 'acme/.github'],
    [{ pyreleaseYml: '_extends: ../../etc\n' }, null],
    [{ pyreleaseYml: '_extends: "a b"\n' }, null],
    [{ pyreleaseYml: 'registries: [pypi]\n' }, null],
  ])('reads _extends from %j as %j', (files, target) => {
    expect(extendsTarget(files)).toBe(target);
  });
});
