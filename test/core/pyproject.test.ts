import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BuildBackend, ProjectFacts, VersionSource } from '../../src/core/pyproject.js';
import { readProjectFacts } from '../../src/core/pyproject.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/pyproject/${name}`, import.meta.url), 'utf8');

const codes = (facts: ProjectFacts): string[] => facts.problems.map((p) => p.code);

// The directive (where a dynamic version points) is version-layout.ts's input, tested there.
function declared(v: VersionSource): VersionSource {
  if (v.kind !== 'dynamic') return v;
  const { directive: _directive, ...rest } = v;
  return rest;
}

type Expected = {
  name: string | null;
  version: VersionSource;
  backend: BuildBackend;
  buildBackendString: string | null;
  requiresPython: string | null;
  problems: string[];
};

describe('readProjectFacts on realistic fixtures', () => {
  it.each<[string, string | null, string | null, Expected]>([
    ['setuptools, static [project] version', 'setuptools-static.toml', null, {
      name: 'acme-widgets', version: { kind: 'static', version: '2.4.1', from: '[project]' },
      backend: 'setuptools', buildBackendString: 'setuptools.build_meta', requiresPython: '>=3.9', problems: [],
    }],
    ['hatchling + hatch-vcs', 'hatchling-hatch-vcs.toml', null, {
      name: 'Fancy_Formatter', version: { kind: 'dynamic', provider: 'hatch-vcs' },
      backend: 'hatchling', buildBackendString: 'hatchling.build', requiresPython: '>=3.10', problems: [],
    }],
    ['hatchling, version from a file', 'hatchling-path.toml', null, {
      name: 'tiny-http', version: { kind: 'dynamic', provider: 'file', detail: 'src/tiny_http/__about__.py' },
      backend: 'hatchling', buildBackendString: 'hatchling.build', requiresPython: '>=3.8', problems: [],
    }],
    ['Poetry 1 ([tool.poetry] only)', 'poetry1.toml', null, {
      name: 'poetry-classic', version: { kind: 'static', version: '0.9.3', from: '[tool.poetry]' },
      backend: 'poetry-core', buildBackendString: 'poetry.core.masonry.api', requiresPython: null, problems: [],
    }],
    ['Poetry 2 ([project])', 'poetry2.toml', null, {
      name: 'poetry-modern', version: { kind: 'static', version: '1.3.0', from: '[project]' },
      backend: 'poetry-core', buildBackendString: 'poetry.core.masonry.api', requiresPython: '>=3.9,<4.0', problems: [],
    }],
    ['Poetry 2, dynamic version kept in [tool.poetry]', 'poetry2-dynamic.toml', null, {
      name: 'poetry-split', version: { kind: 'static', version: '4.0.0b1', from: '[tool.poetry]' },
      backend: 'poetry-core', buildBackendString: 'poetry.core.masonry.api', requiresPython: '>=3.9', problems: [],
    }],
    ['poetry-dynamic-versioning', 'poetry-dynamic-versioning.toml', null, {
      name: 'pdv-example',
      version: { kind: 'dynamic', provider: 'poetry-dynamic-versioning', detail: '[tool.poetry-dynamic-versioning] enable = true' },
      backend: 'poetry-core', buildBackendString: 'poetry_dynamic_versioning.backend', requiresPython: null, problems: [],
    }],
    ['setuptools-scm', 'setuptools-scm.toml', null, {
      name: 'scm.versioned', version: { kind: 'dynamic', provider: 'setuptools-scm' },
      backend: 'setuptools', buildBackendString: 'setuptools.build_meta', requiresPython: '>=3.8', problems: [],
    }],
    ['setuptools dynamic attr', 'setuptools-attr.toml', null, {
      name: 'attr-pkg', version: { kind: 'dynamic', provider: 'attr', detail: 'attr_pkg.__version__' },
      backend: 'setuptools', buildBackendString: 'setuptools.build_meta', requiresPython: null, problems: [],
    }],
    ['flit', 'flit.toml', null, {
      name: 'flit-demo', version: { kind: 'dynamic', provider: 'attr', detail: '__version__ of the package module (flit)' },
      backend: 'flit', buildBackendString: 'flit_core.buildapi', requiresPython: '>=3.8', problems: [],
    }],
    ['pdm + scm', 'pdm-scm.toml', null, {
      name: 'pdm-demo', version: { kind: 'dynamic', provider: 'pdm-scm' },
      backend: 'pdm', buildBackendString: 'pdm.backend', requiresPython: '>=3.9', problems: [],
    }],
    ['maturin', 'maturin.toml', null, {
      name: 'fast-thing', version: { kind: 'dynamic', provider: 'file', detail: 'Cargo.toml' },
      backend: 'maturin', buildBackendString: 'maturin', requiresPython: '>=3.9', problems: [],
    }],
    ['scikit-build-core', 'scikit-build-core.toml', null, {
      name: 'cpp-ext', version: { kind: 'static', version: '0.7.2', from: '[project]' },
      backend: 'scikit-build-core', buildBackendString: 'scikit_build_core.build', requiresPython: '>=3.9', problems: [],
    }],
    ['version mismatch between [project] and [tool.poetry]', 'version-mismatch.toml', null, {
      name: 'drifting-pkg', version: { kind: 'static', version: '1.4.0', from: '[project]' },
      backend: 'poetry-core', buildBackendString: 'poetry.core.masonry.api', requiresPython: '>=3.9', problems: ['version-mismatch'],
    }],
    ['broken TOML', 'broken.toml', null, {
      name: null, version: { kind: 'missing' }, backend: 'other', buildBackendString: null, requiresPython: null, problems: ['toml-invalid'],
    }],
    ['no build-system: legacy setuptools, setuptools-scm table', 'legacy-no-build-system.toml', null, {
      name: null, version: { kind: 'dynamic', provider: 'setuptools-scm' },
      backend: 'setuptools', buildBackendString: null, requiresPython: null, problems: [],
    }],
    ['setup.cfg only, static version', null, 'setup-static.cfg', {
      name: 'legacy_pkg', version: { kind: 'static', version: '3.1.4', from: 'setup.cfg' },
      backend: 'setuptools', buildBackendString: null, requiresPython: '>=3.7', problems: [],
    }],
    ['setup.cfg only, attr: version', null, 'setup-attr.cfg', {
      name: 'attr-legacy', version: { kind: 'dynamic', provider: 'attr', detail: 'attr_legacy.__version__' },
      backend: 'setuptools', buildBackendString: null, requiresPython: '>=3.8', problems: [],
    }],
    ['tool-only pyproject.toml beside a setup.cfg', 'legacy-no-build-system.toml', 'setup-static.cfg', {
      name: 'legacy_pkg', version: { kind: 'static', version: '3.1.4', from: 'setup.cfg' },
      backend: 'setuptools', buildBackendString: null, requiresPython: '>=3.7', problems: [],
    }],
  ])('%s', (_label, toml, cfg, expected) => {
    const facts = readProjectFacts({
      pyprojectToml: toml === null ? null : fixture(toml),
      setupCfg: cfg === null ? null : fixture(cfg),
    });
    const { problems, ...rest } = expected;
    const { inTreeBackend: _inTree, packageDir: _packageDir, ...plain } = facts;
    expect({ ...plain, version: declared(facts.version), problems: codes(facts) }).toEqual({ ...rest, problems });
  });

  it('reports where the TOML is broken (tomllib says line 7, column 17)', () => {
    const [problem] = readProjectFacts({ pyprojectToml: fixture('broken.toml') }).problems;
    expect(problem?.line).toBe(7);
    expect(problem?.column).toBe(17);
    expect(problem?.message).toMatch(/^pyproject\.toml is not valid TOML \(line 7, column 17\): /);
  });

  it('names both fields of a version mismatch', () => {
    const [problem] = readProjectFacts({ pyprojectToml: fixture('version-mismatch.toml') }).problems;
    expect(problem).toEqual({
      code: 'version-mismatch',
      message: 'project.version is `1.4.0` but tool.poetry.version is `1.3.2`',
      field: 'tool.poetry.version',
    });
  });
});

// Inline pyproject.toml text -> [version source, backend, problem codes].
const inline: Array<[string, string, VersionSource, BuildBackend, string[]]> = [
  ['version both static and dynamic (PEP 621 error)', '[project]\nname = "a"\nversion = "1.0"\ndynamic = ["version"]',
    { kind: 'static', version: '1.0', from: '[project]' }, 'setuptools', ['version-static-and-dynamic']],
  ['[project] without version or dynamic', '[project]\nname = "a"', { kind: 'missing' }, 'setuptools', ['version-not-declared']],
  ['Poetry 2 with the version only in [tool.poetry], not declared dynamic',
    '[project]\nname = "a"\n[tool.poetry]\nversion = "1.0"\n[build-system]\nbuild-backend = "poetry.core.masonry.api"',
    { kind: 'static', version: '1.0', from: '[tool.poetry]' }, 'poetry-core', ['version-not-declared']],
  ['dynamic version with no known provider', '[project]\nname = "a"\ndynamic = ["version"]',
    { kind: 'dynamic', provider: 'unknown', detail: 'no known version provider is configured' }, 'setuptools', []],
  ['invalid PEP 440 version keeps the raw string', '[project]\nname = "a"\nversion = "1.0-foo"',
    { kind: 'static', version: '1.0-foo', from: '[project]' }, 'setuptools', ['version-invalid']],
  ['non-canonical but valid version is no problem here', '[project]\nname = "a"\nversion = "1.0-RC1"',
    { kind: 'static', version: '1.0-RC1', from: '[project]' }, 'setuptools', []],
  ['same version spelled differently is no mismatch', '[project]\nname = "a"\nversion = "1.0rc1"\n[tool.poetry]\nversion = "1.0-rc.1"',
    { kind: 'static', version: '1.0rc1', from: '[project]' }, 'setuptools', []],
  ['1.0 and 1.0.0 are reported as a mismatch (different file names)', '[project]\nname = "a"\nversion = "1.0"\n[tool.poetry]\nversion = "1.0.0"',
    { kind: 'static', version: '1.0', from: '[project]' }, 'setuptools', ['version-mismatch']],
  ['version as a TOML float', '[project]\nname = "a"\nversion = 1.0', { kind: 'missing' }, 'setuptools', ['field-type']],
  ['dynamic as a string', '[project]\nname = "a"\nversion = "1"\ndynamic = "version"',
    { kind: 'static', version: '1', from: '[project]' }, 'setuptools', ['field-type']],
  ['missing project name', '[project]\nversion = "1.0"', { kind: 'static', version: '1.0', from: '[project]' }, 'setuptools', ['name-missing']],
  ['name listed in dynamic', '[project]\nversion = "1.0"\ndynamic = ["name"]',
    { kind: 'static', version: '1.0', from: '[project]' }, 'setuptools', ['name-missing', 'name-dynamic']],
  ['name as a number', '[project]\nname = 3\nversion = "1.0"', { kind: 'static', version: '1.0', from: '[project]' }, 'setuptools', ['field-type']],
  ['invalid project name', '[project]\nname = "my package!"\nversion = "1.0"',
    { kind: 'static', version: '1.0', from: '[project]' }, 'setuptools', ['name-invalid']],
  ['name with trailing separator', '[project]\nname = "pkg-"\nversion = "1.0"',
    { kind: 'static', version: '1.0', from: '[project]' }, 'setuptools', ['name-invalid']],
  ['names equal after PEP 503 normalization', '[project]\nname = "Foo.Bar"\nversion = "1"\n[tool.poetry]\nname = "foo__bar"',
    { kind: 'static', version: '1', from: '[project]' }, 'setuptools', []],
  ['names that differ', '[project]\nname = "foo"\nversion = "1"\n[tool.poetry]\nname = "bar"',
    { kind: 'static', version: '1', from: '[project]' }, 'setuptools', ['name-mismatch']],
  ['setuptools-scm from build requires only', '[build-system]\nrequires = ["setuptools>=64", "setuptools_scm[toml]>=6.2"]\n[project]\nname = "a"\ndynamic = ["version"]',
    { kind: 'dynamic', provider: 'setuptools-scm' }, 'setuptools', []],
  ['setuptools dynamic file', '[project]\nname = "a"\ndynamic = ["version"]\n[tool.setuptools.dynamic]\nversion = {file = "VERSION"}',
    { kind: 'dynamic', provider: 'file', detail: 'VERSION' }, 'setuptools', []],
  ['setuptools dynamic file list', '[project]\nname = "a"\ndynamic = ["version"]\n[tool.setuptools.dynamic]\nversion = {file = ["VERSION", "EXTRA"]}',
    { kind: 'dynamic', provider: 'file', detail: 'VERSION, EXTRA' }, 'setuptools', []],
  ['hatch with another source', '[project]\nname = "a"\ndynamic = ["version"]\n[tool.hatch.version]\nsource = "code"\npath = "x.py"',
    { kind: 'dynamic', provider: 'unknown', detail: '[tool.hatch.version] source = "code"' }, 'setuptools', []],
  ['pdm version from a file', '[project]\nname = "a"\ndynamic = ["version"]\n[tool.pdm.version]\nsource = "file"\npath = "src/a/__init__.py"',
    { kind: 'dynamic', provider: 'file', detail: 'src/a/__init__.py' }, 'setuptools', []],
  ['scikit-build-core with setuptools-scm', '[build-system]\nbuild-backend = "scikit_build_core.build"\n[project]\nname = "a"\ndynamic = ["version"]\n[tool.scikit-build]\nmetadata.version.provider = "scikit_build_core.metadata.setuptools_scm"',
    { kind: 'dynamic', provider: 'setuptools-scm' }, 'scikit-build-core', []],
  ['poetry-dynamic-versioning disabled keeps the static version', '[tool.poetry]\nname = "a"\nversion = "0.1.0"\n[tool.poetry-dynamic-versioning]\nenable = false',
    { kind: 'static', version: '0.1.0', from: '[tool.poetry]' }, 'setuptools', []],
  ['empty file', '', { kind: 'missing' }, 'setuptools', []],
  ['build-system without build-backend', '[build-system]\nrequires = ["setuptools"]', { kind: 'missing' }, 'setuptools', []],
  ['legacy setuptools backend object', '[build-system]\nbuild-backend = "setuptools.build_meta:__legacy__"', { kind: 'missing' }, 'setuptools', []],
  ['Poetry (not core) backend', '[build-system]\nbuild-backend = "poetry.masonry.api"', { kind: 'missing' }, 'poetry', []],
  ['old pdm backend', '[build-system]\nbuild-backend = "pdm.pep517.api"', { kind: 'missing' }, 'pdm', []],
  // Flit always reads the version from the module's __version__.
  ['old flit backend', '[build-system]\nbuild-backend = "flit.buildapi"',
    { kind: 'dynamic', provider: 'attr', detail: '__version__ of the package module (flit)' }, 'flit', []],
  ['meson-python is other', '[build-system]\nbuild-backend = "mesonpy"', { kind: 'missing' }, 'other', []],
  ['a prototype name is other', '[build-system]\nbuild-backend = "constructor"', { kind: 'missing' }, 'other', []],
  ['build-backend as a number', '[build-system]\nbuild-backend = 3', { kind: 'missing' }, 'other', ['field-type']],
  ['nesting beyond the parser limit', `a = ${'['.repeat(5000)}`, { kind: 'missing' }, 'other', ['toml-invalid']],
  ['duplicate key', '[project]\nname = "a"\nname = "b"', { kind: 'missing' }, 'other', ['toml-invalid']],
];

describe('readProjectFacts on inline pyproject.toml', () => {
  it.each(inline)('%s', (_label, toml, version, backend, problems) => {
    const facts = readProjectFacts({ pyprojectToml: toml });
    expect(declared(facts.version)).toEqual(version);
    expect(facts.backend).toBe(backend);
    expect(codes(facts)).toEqual(problems);
  });
});

describe('readProjectFacts with both files and with none', () => {
  it.each<[string, { pyprojectToml?: string | null; setupCfg?: string | null }, string | null, string[]]>([
    ['nothing', {}, null, ['no-build-config']],
    ['both null', { pyprojectToml: null, setupCfg: null }, null, ['no-build-config']],
    ['[project] and setup.cfg disagree on the version', { pyprojectToml: '[project]\nname = "a"\nversion = "1.0"', setupCfg: '[metadata]\nname = a\nversion = 2.0' }, 'a', ['version-mismatch']],
    ['[project] and setup.cfg disagree on the name', { pyprojectToml: '[project]\nname = "a"\nversion = "1.0"', setupCfg: '[metadata]\nname = b' }, 'a', ['name-mismatch']],
    ['broken setup.cfg', { setupCfg: 'name = x\n[metadata]\nname = y\n!!!' }, 'y', ['setup-cfg-invalid', 'setup-cfg-invalid']],
    ['invalid version in setup.cfg', { setupCfg: '[metadata]\nname = y\nversion = one' }, 'y', ['version-invalid']],
  ])('%s', (_label, files, name, problems) => {
    const facts = readProjectFacts(files);
    expect(facts.name).toBe(name);
    expect(codes(facts)).toEqual(problems);
  });

  it('falls back to setup.cfg python_requires when requires-python is absent', () => {
    const facts = readProjectFacts({ pyprojectToml: '[project]\nname = "a"\nversion = "1"', setupCfg: '[options]\npython_requires = >=3.10' });
    expect(facts.requiresPython).toBe('>=3.10');
  });

  // Deterministic junk (fixed-seed LCG): the reader must answer with values, never throw.
  it('never throws on junk input', () => {
    let seed = 20260101;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const alphabet = '[]{}="\'\n \t.,#;:=-_abcv019\\\u00e9\u0000';
    for (let i = 0; i < 2000; i++) {
      let text = '';
      const len = next() % 60;
      for (let j = 0; j < len; j++) text += alphabet[next() % alphabet.length];
      expect(() => readProjectFacts({ pyprojectToml: text, setupCfg: text })).not.toThrow();
    }
  });
});
