// Which tool provides a dynamic version, from pyproject.toml: hatch's and pdm's version
// sources, setuptools' dynamic table, scikit-build's provider, the SCM plugins named in
// [build-system] requires or in their own [tool.*] tables, flit's module. The result
// says where version-layout.ts should look next (its `directive`), or that the tag is
// the version.
import { canonicalizeName } from './names.js';
import type { BuildBackend, VersionSource } from './pyproject.js';
import { get, isTable, tableAt } from './toml-tables.js';
import type { Table } from './toml-tables.js';

// PEP 508 requirement -> normalized distribution name ("setuptools_scm[toml]>=6" -> "setuptools-scm").
function requirementName(req: unknown): string | null {
  if (typeof req !== 'string') return null;
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(req);
  return m?.[1] === undefined ? null : canonicalizeName(m[1]);
}

export function detectProvider(doc: Table | null, backend: BuildBackend): VersionSource | null {
  const tool = tableAt(doc, 'tool');
  const hatch = tableAt(tool, 'hatch', 'version');
  if (hatch !== null) {
    const source = get(hatch, 'source');
    const path = get(hatch, 'path');
    if (source === 'vcs') return { kind: 'dynamic', provider: 'hatch-vcs' };
    if (source === 'versioningit') return { kind: 'dynamic', provider: 'versioningit' };
    // uv-dynamic-versioning reads the tag through dunamai.
    if (source === 'uv-dynamic-versioning' || source === 'dunamai') return { kind: 'dynamic', provider: 'dunamai' };
    if ((source === undefined || source === 'regex') && typeof path === 'string') {
      const pattern = get(hatch, 'pattern');
      return { kind: 'dynamic', provider: 'file', detail: path, directive: { kind: 'regex-file', path, pattern: typeof pattern === 'string' ? pattern : null, style: 'hatch' } };
    }
    const detail = `[tool.hatch.version] source = ${JSON.stringify(source ?? null)}`;
    if (source === 'code' && typeof path === 'string') {
      const expression = get(hatch, 'expression');
      return { kind: 'dynamic', provider: 'unknown', detail, directive: { kind: 'code-file', path, attr: typeof expression === 'string' ? expression : '__version__' } };
    }
    return { kind: 'dynamic', provider: 'unknown', detail };
  }
  const pdm = tableAt(tool, 'pdm', 'version');
  if (pdm !== null) {
    const source = get(pdm, 'source');
    const path = get(pdm, 'path');
    if (source === 'scm') return { kind: 'dynamic', provider: 'pdm-scm' };
    if (source === 'file' && typeof path === 'string') return { kind: 'dynamic', provider: 'file', detail: path, directive: { kind: 'regex-file', path, pattern: null, style: 'pdm' } };
    return { kind: 'dynamic', provider: 'unknown', detail: `[tool.pdm.version] source = ${JSON.stringify(source ?? null)}` };
  }
  const setuptoolsVersion = get(tableAt(tool, 'setuptools', 'dynamic'), 'version');
  if (isTable(setuptoolsVersion)) {
    const attr = get(setuptoolsVersion, 'attr');
    const file = get(setuptoolsVersion, 'file');
    if (typeof attr === 'string') return { kind: 'dynamic', provider: 'attr', detail: attr, directive: { kind: 'attr', spec: attr, declaredIn: 'pyproject.toml' } };
    if (typeof file === 'string') return { kind: 'dynamic', provider: 'file', detail: file, directive: { kind: 'text-file', paths: [file], declaredIn: 'pyproject.toml' } };
    if (Array.isArray(file)) {
      const paths = file.map(String);
      return { kind: 'dynamic', provider: 'file', detail: paths.join(', '), directive: { kind: 'text-file', paths, declaredIn: 'pyproject.toml' } };
    }
  }
  const skbuild = get(tableAt(tool, 'scikit-build', 'metadata', 'version'), 'provider');
  if (typeof skbuild === 'string') {
    if (skbuild.includes('setuptools_scm')) return { kind: 'dynamic', provider: 'setuptools-scm' };
    if (skbuild.endsWith('.regex')) return { kind: 'dynamic', provider: 'file', detail: String(get(tableAt(tool, 'scikit-build', 'metadata', 'version'), 'input') ?? '') };
  }
  const requires = get(tableAt(doc, 'build-system'), 'requires');
  const names = Array.isArray(requires) ? requires.map(requirementName) : [];
  const backendModule = String(get(tableAt(doc, 'build-system'), 'build-backend') ?? '').split(':')[0]?.trim();
  if (backendModule === 'flit_scm' || names.includes('flit-scm')) return { kind: 'dynamic', provider: 'flit_scm' };
  if (tableAt(tool, 'versioningit') !== null || backendModule === 'versioningit' || names.includes('versioningit')) return { kind: 'dynamic', provider: 'versioningit' };
  if (tableAt(tool, 'setuptools_scm') !== null || tableAt(tool, 'setuptools-scm') !== null || names.includes('setuptools-scm')) {
    return { kind: 'dynamic', provider: 'setuptools-scm' };
  }
  if (backend === 'flit') return { kind: 'dynamic', provider: 'attr', detail: '__version__ of the package module (flit)', directive: { kind: 'flit-module', module: flitModule(doc) } };
  if (backend === 'maturin') return { kind: 'dynamic', provider: 'file', detail: 'Cargo.toml' };
  return null;
}

// pdm-pep517 before 1.0: `version = {use_scm = true}` or `version = {from = "pkg/__init__.py"}`.
export function pdmLegacyVersion(project: Table | null): VersionSource | null {
  const v = get(project, 'version');
  if (!isTable(v)) return null;
  if (get(v, 'use_scm') === true) return { kind: 'dynamic', provider: 'pdm-scm' };
  const from = get(v, 'from');
  if (typeof from === 'string') return { kind: 'dynamic', provider: 'file', detail: from, directive: { kind: 'regex-file', path: from, pattern: null, style: 'pdm' } };
  return null;
}

// Flit before PEP 621: [tool.flit.metadata] dist-name, else its module.
export function oldFlitName(doc: Table | null): string | null {
  const metadata = tableAt(doc, 'tool', 'flit', 'metadata');
  const named = get(metadata, 'dist-name') ?? get(metadata, 'module');
  return typeof named === 'string' ? named : null;
}

// flit's module: [tool.flit.module] name, the old [tool.flit.metadata] module, or the
// project name with '-' made '_'.
function flitModule(doc: Table | null): string | null {
  const named = get(tableAt(doc, 'tool', 'flit', 'module'), 'name') ?? get(tableAt(doc, 'tool', 'flit', 'metadata'), 'module');
  if (typeof named === 'string') return named;
  const name = get(tableAt(doc, 'project'), 'name');
  return typeof name === 'string' ? name.replace(/-/g, '_') : null;
}
