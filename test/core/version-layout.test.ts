// The layout reader's rules, one at a time, and its bounds: a repository decides which
// paths the reader asks for, so every path, pattern and chain it can name is an input.
import { describe, expect, it } from 'vitest';
import { safePath, tomlKeyLine } from '../../src/core/config-lines.js';
import { LAYOUT_LIMITS, moduleCandidates, readLayout, resolveProjectFacts } from '../../src/core/version-layout.js';
import type { ResolvedProject } from '../../src/core/version-layout.js';

async function readTree(tree: Record<string, string>): Promise<{ project: ResolvedProject; asked: string[] }> {
  const asked: string[] = [];
  const project = await resolveProjectFacts(async (path) => {
    asked.push(path);
    return tree[path] ?? null;
  });
  return { project, asked };
}

const SETUPTOOLS_ATTR = (attr: string, extra = ''): string =>
  `[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "demo"\ndynamic = ["version"]\n[tool.setuptools.dynamic]\nversion = {attr = "${attr}"}\n${extra}`;

describe('setuptools attr: the first module-level assignment, literal_eval-ed', () => {
  it.each<[string, Record<string, string>, unknown]>([
    ['a plain string', { 'demo/__init__.py': '"""Doc."""\n__version__ = "1.2.3"\n' }, { kind: 'static', version: '1.2.3', origin: 'module', file: 'demo/__init__.py', line: 2 }],
    ['an annotated assignment', { 'demo/__init__.py': '__version__: str = "1.2.3"\n' }, { kind: 'static', version: '1.2.3', origin: 'module', file: 'demo/__init__.py', line: 1 }],
    ['a tuple is joined with dots', { 'demo/__init__.py': 'VERSION = (1, 2, 3)\n__version__ = VERSION\n' }, { kind: 'static', version: '1.2.3', origin: 'module', file: 'demo/__init__.py', line: 1 }],
    ['the first assignment wins over a later one', { 'demo/__init__.py': '__version__ = "1.0"\n__version__ = "2.0"\n' }, { kind: 'static', version: '1.0', origin: 'module', file: 'demo/__init__.py', line: 1 }],
    ['an assignment in a try block is not module level', { 'demo/__init__.py': 'try:\n    __version__ = "9.9"\nexcept ImportError:\n    pass\n__version__ = "1.0"\n' }, { kind: 'static', version: '1.0', origin: 'module', file: 'demo/__init__.py', line: 5 }],
    ['an expression is unreadable at its line', { 'demo/__init__.py': 'VERSION = (1, 2)\n__version__ = ".".join(map(str, VERSION))\n' }, { kind: 'unreadable', file: 'demo/__init__.py', line: 2, reason: '`__version__` is computed by code' }],
    ['a relative import is followed', { 'demo/__init__.py': 'from ._version import __version__\n', 'demo/_version.py': "__version__ = '0.4.0'\n" }, { kind: 'static', version: '0.4.0', origin: 'module', file: 'demo/_version.py', line: 1 }],
    ['an import under another name is followed', { 'demo/__init__.py': 'from demo.meta import VERSION as __version__\n', 'demo/meta.py': 'VERSION = "3.0"\n' }, { kind: 'static', version: '3.0', origin: 'module', file: 'demo/meta.py', line: 1 }],
    ['a src layout is found', { 'src/demo/__init__.py': '__version__ = "1.0"\n' }, { kind: 'static', version: '1.0', origin: 'module', file: 'src/demo/__init__.py', line: 1 }],
    ['a BOM and CRLF do not matter', { 'demo/__init__.py': '\uFEFF# comment\r\n__version__ = "1.0"  # bumped by CI\r\n' }, { kind: 'static', version: '1.0', origin: 'module', file: 'demo/__init__.py', line: 2 }],
    ['a missing module is unreadable', {}, { kind: 'unreadable', file: 'pyproject.toml', line: null, reason: 'the module demo was not found' }],
  ])('%s', async (_label, files, version) => {
    const { project } = await readTree({ 'pyproject.toml': SETUPTOOLS_ATTR('demo.__version__'), ...files });
    expect(project.version).toEqual(version);
  });

  it('follows package-dir to the module', async () => {
    const { project } = await readTree({ 'pyproject.toml': SETUPTOOLS_ATTR('demo.about.v', '[tool.setuptools.package-dir]\n"" = "lib"\n'), 'lib/demo/about.py': 'v = "5.0"\n' });
    expect(project.version).toMatchObject({ kind: 'static', version: '5.0', file: 'lib/demo/about.py' });
  });

  it('module candidates follow setuptools: the mapping first, else the root and src/', () => {
    expect(moduleCandidates('a.b', new Map())).toEqual(['a/b/__init__.py', 'a/b.py', 'src/a/b/__init__.py', 'src/a/b.py']);
    expect(moduleCandidates('a.b', new Map([['', 'src']]))).toEqual(['src/a/b/__init__.py', 'src/a/b.py']);
    expect(moduleCandidates('a.b', new Map([['a', 'lib/a']]))).toEqual(['lib/a/b/__init__.py', 'lib/a/b.py']);
  });
});

describe('setup.py-only projects', () => {
  it.each<[string, Record<string, string>, unknown]>([
    ['a literal', { 'setup.py': 'from setuptools import setup\nsetup(\n    name="demo",\n    version="0.1.0",\n)\n' }, { kind: 'static', version: '0.1.0', origin: 'setup.py', file: 'setup.py', line: 4 }],
    ['a module-level name', { 'setup.py': 'VERSION = "2.0"\nsetup(name="demo", version=VERSION)\n' }, { kind: 'static', version: '2.0', origin: 'setup.py', file: 'setup.py', line: 1 }],
    ['exec of the version module into a dict (requests)', {
      'setup.py': 'import os\nhere = os.path.abspath(os.path.dirname(__file__))\nabout = {}\nwith open(os.path.join(here, "src", "demo", "__version__.py"), "r", "utf-8") as f:\n    exec(f.read(), about)\nsetup(name=about["__title__"], version=about["__version__"])\n',
      'src/demo/__version__.py': '__title__ = "demo"\n__version__ = "2.32.3"\n',
    }, { kind: 'static', version: '2.32.3', origin: 'module', file: 'src/demo/__version__.py', line: 2 }],
    ['an import from the package', { 'setup.py': 'from demo import __version__\nsetup(name="demo", version=__version__)\n', 'demo/__init__.py': '__version__ = "1.1"\n' }, { kind: 'static', version: '1.1', origin: 'module', file: 'demo/__init__.py', line: 1 }],
    ['a helper named after the file it reads', { 'setup.py': 'def find_version(*parts):\n    ...\nsetup(name="demo", version=find_version("demo", "__init__.py"))\n', 'demo/__init__.py': "__version__ = '4.0'\n" }, { kind: 'static', version: '4.0', origin: 'module', file: 'demo/__init__.py', line: 1 }],
    ['versioneer: the tag is the version', { 'setup.py': 'import versioneer\nsetup(name="demo", version=versioneer.get_version(), cmdclass=versioneer.get_cmdclass())\n' }, { kind: 'scm', provider: 'versioneer', file: 'setup.py' }],
    ['use_scm_version: the tag is the version', { 'setup.py': 'setup(name="demo", use_scm_version=True)\n' }, { kind: 'scm', provider: 'setuptools-scm', file: 'setup.py' }],
    ['pbr: the tag is the version', { 'setup.py': 'setup(setup_requires=["pbr"], pbr=True)\n' }, { kind: 'scm', provider: 'pbr', file: 'setup.py' }],
    ['a computed version is unreadable at its line', { 'setup.py': 'import subprocess\nsetup(\n    name="demo",\n    version=subprocess.check_output(["git", "describe"]).decode(),\n)\n' }, { kind: 'unreadable', file: 'setup.py', line: 4, reason: '`subprocess.check_output(["git","describe"]).decode()` is computed by code pyrelease does not run' }],
    ['no version keyword is missing', { 'setup.py': 'setup(name="demo")\n' }, { kind: 'missing' }],
  ])('%s', async (_label, files, version) => {
    const { project } = await readTree(files);
    expect(project.version).toEqual(version);
  });

  it('takes the name from setup() when no configuration names it', async () => {
    const { project } = await readTree({ 'pyproject.toml': '[tool.black]\nline-length = 99\n', 'setup.py': 'NAME = "tool-only"\nsetup(name=NAME, version="1.0")\n' });
    expect(project.name).toBe('tool-only');
    expect(project.version).toMatchObject({ kind: 'static', version: '1.0', origin: 'setup.py' });
  });

  it('reads name=about["__title__"] from the module setup.py exec()s, like the version', async () => {
    const { project } = await readTree({
      'setup.py': 'about = {}\nexec(open("pkg/__version__.py").read(), about)\nsetup(name=about["__title__"], version=about["__version__"])\n',
      'pkg/__version__.py': '__title__ = "pkg-name"\n__version__ = "1.0"\n',
    });
    expect(project.name).toBe('pkg-name');
  });

  it('leaves the name unknown when only code says it', async () => {
    const { project } = await readTree({ 'setup.py': 'import os\nsetup(name=os.environ["NAME"], version="1.0")\n' });
    expect(project.name).toBeNull();
  });

  it('does not read setup.py when pyproject.toml declares the version', async () => {
    const { asked } = await readTree({ 'pyproject.toml': '[project]\nname = "a"\nversion = "1.0"\n', 'setup.py': 'setup(version="9")' });
    expect(asked.sort()).toEqual(['pyproject.toml', 'setup.cfg']);
  });
});

describe('hatch, pdm and flit version files', () => {
  const hatch = (path: string, pattern?: string): string =>
    `[build-system]\nbuild-backend = "hatchling.build"\n[project]\nname = "h"\ndynamic = ["version"]\n[tool.hatch.version]\npath = "${path}"\n${pattern === undefined ? '' : `pattern = ${JSON.stringify(pattern)}\n`}`;

  it.each<[string, string, Record<string, string>, unknown]>([
    ['hatch default pattern drops a leading v', hatch('src/h/__about__.py'), { 'src/h/__about__.py': '# SPDX\n__version__ = "v1.4.0"\n' }, { kind: 'static', version: '1.4.0', origin: 'module', file: 'src/h/__about__.py', line: 2 }],
    ['hatch default pattern is case-insensitive', hatch('h.py'), { 'h.py': "Version = '2.0'\n" }, { kind: 'static', version: '2.0', origin: 'module', file: 'h.py', line: 1 }],
    ['hatch does not read an annotated assignment', hatch('h.py'), { 'h.py': '__version__: str = "2.0"\n' }, { kind: 'unreadable', file: 'h.py', line: null, reason: 'no line of h.py matches the version pattern' }],
    ['hatch custom pattern', hatch('VERSION.txt', 'release (?P<version>[0-9.]+)'), { 'VERSION.txt': 'this is release 3.1.4\n' }, { kind: 'static', version: '3.1.4', origin: 'file', file: 'VERSION.txt', line: 1 }],
    ['pdm file', '[build-system]\nbuild-backend = "pdm.backend"\n[project]\nname = "p"\ndynamic = ["version"]\n[tool.pdm.version]\nsource = "file"\npath = "p.py"\n', { 'p.py': "x = 1\n__version__ = '0.9'  # comment\n" }, { kind: 'static', version: '0.9', origin: 'module', file: 'p.py', line: 2 }],
    ['flit: __init__.py wins over version.py', '[build-system]\nbuild-backend = "flit_core.buildapi"\n[project]\nname = "f-lib"\ndynamic = ["version", "description"]\n', { 'f_lib/__init__.py': '"""F."""\n__version__ = "1.0"\n', 'f_lib/version.py': '__version__ = "0.5"\n' }, { kind: 'static', version: '1.0', origin: 'module', file: 'f_lib/__init__.py', line: 2 }],
    ['flit: version.py when __init__.py has none', '[build-system]\nbuild-backend = "flit_core.buildapi"\n[project]\nname = "f"\ndynamic = ["version"]\n', { 'src/f/__init__.py': 'from .version import __version__\n', 'src/f/version.py': '__version__ = "0.5"\n' }, { kind: 'static', version: '0.5', origin: 'module', file: 'src/f/version.py', line: 1 }],
    ['flit: an annotated __version__ means an import', '[build-system]\nbuild-backend = "flit_core.buildapi"\n[project]\nname = "f"\ndynamic = ["version"]\n', { 'f.py': '__version__: str = "1.0"\n' }, { kind: 'unreadable', file: 'f.py', line: 1, reason: 'flit would import the module to find `__version__`' }],
  ])('%s', async (_label, pyproject, files, version) => {
    const { project } = await readTree({ 'pyproject.toml': pyproject, ...files });
    expect(project.version).toEqual(version);
  });
});

describe('what a repository cannot make the reader do', () => {
  it.each(['../../../etc/passwd', '/etc/passwd', 'a/../../b', 'a\\b', 'a\u0000b', ''])('%j is not a path it reads', (path) => {
    expect(safePath(path)).toBeNull();
  });

  it('never asks for a path outside the project, however the config spells it', async () => {
    const { project, asked } = await readTree({
      'pyproject.toml': '[build-system]\nbuild-backend = "hatchling.build"\n[project]\nname = "h"\ndynamic = ["version"]\n[tool.hatch.version]\npath = "../../../../etc/passwd"\n',
    });
    expect(asked.every((p) => !p.includes('..') && !p.startsWith('/'))).toBe(true);
    expect(project.version).toMatchObject({ kind: 'unreadable', reason: 'the version file ../../../../etc/passwd is outside the project' });
  });

  it('runs a repository pattern in linear time (RE2): a catastrophic pattern cannot stall the service', async () => {
    const pattern = '(?P<version>(a+)+)$';
    const { project } = await readTree({
      'pyproject.toml': `[build-system]\nbuild-backend = "hatchling.build"\n[project]\nname = "h"\ndynamic = ["version"]\n[tool.hatch.version]\npath = "v.txt"\npattern = ${JSON.stringify(pattern)}\n`,
      'v.txt': `${'a'.repeat(200_000)}!`,
    });
    // A backtracking engine would take longer than the universe; RE2 says "no match".
    expect(project.version).toMatchObject({ kind: 'unreadable', file: 'v.txt' });
  });

  it('refuses a pattern RE2 cannot run (a backreference) instead of guessing', async () => {
    const { project } = await readTree({
      'pyproject.toml': '[build-system]\nbuild-backend = "hatchling.build"\n[project]\nname = "h"\ndynamic = ["version"]\n[tool.hatch.version]\npath = "v.py"\npattern = "(\\"|\')(?P<version>.+)\\\\1"\n',
      'v.py': '__version__ = "1.0"\n',
    });
    expect(project.version).toMatchObject({ kind: 'unreadable', reason: 'the version pattern uses regular-expression features pyrelease does not run' });
  });

  it('stops following an import chain within its bounds, and says so', async () => {
    // a -> b -> c -> ... each module re-exports the next: the reader stops, never loops.
    const tree: Record<string, string> = { 'pyproject.toml': SETUPTOOLS_ATTR('m0.__version__') };
    for (let k = 0; k < 40; k++) tree[`m${k}/__init__.py`] = `from m${k + 1} import __version__\n`;
    const { project, asked } = await readTree(tree);
    expect(project.version.kind).toBe('unreadable');
    expect(asked.length).toBeLessThanOrEqual(LAYOUT_LIMITS.files);
  });

  it('an import cycle ends too', async () => {
    const { project } = await readTree({ 'pyproject.toml': SETUPTOOLS_ATTR('a.__version__'), 'a/__init__.py': 'from b import __version__\n', 'b/__init__.py': 'from a import __version__\n' });
    expect(project.version.kind).toBe('unreadable');
  });

  it('does not read a file larger than the limit', async () => {
    const { project } = await readTree({ 'pyproject.toml': SETUPTOOLS_ATTR('demo.__version__'), 'demo/__init__.py': `__version__ = "1.0"\n${'#'.repeat(LAYOUT_LIMITS.bytes)}\n` });
    expect(project.version.kind).toBe('unreadable');
  });

  it('a final step answers with what it has: files not read count as absent', () => {
    const step = readLayout(new Map([['pyproject.toml', SETUPTOOLS_ATTR('demo.__version__')], ['setup.cfg', null]]), { final: true });
    expect(step).toMatchObject({ kind: 'done', project: { version: { kind: 'unreadable' } } });
    const asking = readLayout(new Map([['pyproject.toml', SETUPTOOLS_ATTR('demo.__version__')], ['setup.cfg', null]]));
    expect(asking).toEqual({ kind: 'need', paths: ['demo/__init__.py', 'demo.py', 'src/demo/__init__.py', 'src/demo.py'] });
  });
});

describe('tomlKeyLine', () => {
  it('finds a key in its table, by a line scan', () => {
    const text = '[build-system]\nrequires = []\n\n[project]\nname = "a"\n"version" = "1.0"\n[tool.poetry]\nversion = "2.0"\n';
    expect(tomlKeyLine(text, 'project', 'version')).toBe(6);
    expect(tomlKeyLine(text, 'tool.poetry', 'version')).toBe(8);
    expect(tomlKeyLine(text, 'project', 'dynamic')).toBeNull();
  });
});
