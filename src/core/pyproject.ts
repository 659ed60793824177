// Project metadata from build configuration text: pyproject.toml (PEP 517/518/621, Poetry)
// and setup.cfg. Pure and total: bad input becomes ProjectProblem values, never a throw.
import { parse, TomlError } from 'smol-toml';
import { canonicalizeName, isValidProjectName } from './names.js';
import { isValidVersion, normalizeVersion } from './pep440.js';
import { readSetupCfg } from './setup-cfg.js';
import type { SetupCfgFacts } from './setup-cfg.js';
import { get, tableAt } from './toml-tables.js';
import type { Table } from './toml-tables.js';
import { detectProvider, oldFlitName, pdmLegacyVersion } from './version-provider.js';

export type BuildBackend =
  | 'setuptools' | 'hatchling' | 'poetry' | 'poetry-core' | 'flit' | 'pdm' | 'maturin'
  | 'scikit-build-core' | 'other' | 'none';

export type VersionProvider =
  | 'setuptools-scm' | 'hatch-vcs' | 'poetry-dynamic-versioning' | 'pdm-scm' | 'flit_scm' | 'versioningit' | 'dunamai'
  | 'attr' | 'file' | 'unknown';

/**
 * How a dynamic version is declared, for version-layout.ts to follow into the files it
 * names: setuptools' `attr:` and `file:`, hatch's and pdm's version file with its
 * pattern, flit's module.
 */
export type VersionDirective =
  | { readonly kind: 'attr'; readonly spec: string; readonly declaredIn: 'pyproject.toml' | 'setup.cfg' }
  | { readonly kind: 'text-file'; readonly paths: readonly string[]; readonly declaredIn: 'pyproject.toml' | 'setup.cfg' }
  | { readonly kind: 'regex-file'; readonly path: string; readonly pattern: string | null; readonly style: 'hatch' | 'pdm' }
  | { readonly kind: 'flit-module'; readonly module: string | null }
  /** hatch's `source = "code"`: the file is imported, so only where it is set can be said. */
  | { readonly kind: 'code-file'; readonly path: string; readonly attr: string };

export type VersionSource =
  | { kind: 'static'; version: string; from: '[project]' | '[tool.poetry]' | 'setup.cfg' }
  | { kind: 'dynamic'; provider: VersionProvider; detail?: string; directive?: VersionDirective }
  | { kind: 'missing' };

export type ProjectProblemCode =
  | 'toml-invalid' | 'setup-cfg-invalid' | 'no-build-config' | 'field-type'
  | 'name-missing' | 'name-dynamic' | 'name-invalid' | 'name-mismatch'
  | 'version-static-and-dynamic' | 'version-not-declared' | 'version-invalid' | 'version-mismatch';

export interface ProjectProblem {
  code: ProjectProblemCode;
  message: string;
  field?: string;
  /** 1-based position, for problems found by a parser. */
  line?: number;
  column?: number;
}

export interface ProjectFacts {
  name: string | null;
  version: VersionSource;
  backend: BuildBackend;
  buildBackendString: string | null;
  /** `[build-system] backend-path`: the backend is the repository's own code. */
  inTreeBackend: boolean;
  /** setuptools' package-dir (pyproject or setup.cfg): package ('' for the root) -> directory. */
  packageDir: ReadonlyMap<string, string>;
  requiresPython: string | null;
  problems: ProjectProblem[];
}

export function readProjectFacts(files: { pyprojectToml?: string | null; setupCfg?: string | null }): ProjectFacts {
  const problems: ProjectProblem[] = [];
  const tomlText = files.pyprojectToml ?? null;
  const cfgText = files.setupCfg ?? null;
  const doc = tomlText === null ? null : parseToml(tomlText, problems);
  const cfg = cfgText === null ? null : readSetupCfg(cfgText);
  for (const p of cfg?.problems ?? []) {
    problems.push({ code: 'setup-cfg-invalid', message: `setup.cfg: ${p.message}`, line: p.line });
  }
  if (tomlText === null && cfgText === null) {
    problems.push({ code: 'no-build-config', message: 'neither pyproject.toml nor setup.cfg was found' });
  }

  const str = (t: Table | null, key: string, field: string): string | null => {
    const v = get(t, key);
    if (v === undefined) return null;
    if (typeof v === 'string') return v;
    problems.push({ code: 'field-type', message: `\`${field}\` must be a string`, field });
    return null;
  };

  const { backend, buildBackendString } = readBackend(doc, tomlText !== null, cfgText !== null, problems);
  const project = tableAt(doc, 'project');
  const poetry = tableAt(doc, 'tool', 'poetry');
  const dynamic = readDynamic(project, problems);

  const name = readName(project, poetry, cfg, dynamic, str, problems) ?? oldFlitName(doc);
  const statics: StaticVersion[] = [];
  // Early pdm-pep517 spelled a dynamic version as a table in [project] itself.
  const pdmLegacy = pdmLegacyVersion(project);
  const projectVersion = pdmLegacy === null ? str(project, 'version', 'project.version') : null;
  if (projectVersion !== null) statics.push({ version: projectVersion, from: '[project]', field: 'project.version' });
  const poetryVersion = str(poetry, 'version', 'tool.poetry.version');
  const pdv = get(tableAt(doc, 'tool', 'poetry-dynamic-versioning'), 'enable') === true;
  // With poetry-dynamic-versioning the [tool.poetry] version is a placeholder.
  if (poetryVersion !== null && !pdv) statics.push({ version: poetryVersion, from: '[tool.poetry]', field: 'tool.poetry.version' });
  if (cfg?.version.kind === 'static') statics.push({ version: cfg.version.version, from: 'setup.cfg', field: 'metadata.version' });

  const version = pdmLegacy ?? chooseVersion({ doc, backend, project, dynamic, pdv, statics, cfg, problems });
  checkStatics(statics, problems);

  const requiresPython = str(project, 'requires-python', 'project.requires-python') ?? cfg?.requiresPython ?? null;
  const inTreeBackend = get(tableAt(doc, 'build-system'), 'backend-path') !== undefined;
  return { name, version, backend, buildBackendString, inTreeBackend, packageDir: packageDirOf(doc, cfg), requiresPython, problems };
}

function packageDirOf(doc: Table | null, cfg: SetupCfgFacts | null): ReadonlyMap<string, string> {
  const table = tableAt(doc, 'tool', 'setuptools', 'package-dir');
  if (table === null) return cfg?.packageDir ?? new Map();
  return new Map(Object.entries(table).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function parseToml(text: string, problems: ProjectProblem[]): Table | null {
  try {
    return parse(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const what = e.message.replace(/^Invalid TOML document: /, '').split('\n')[0] ?? '';
      problems.push({
        code: 'toml-invalid',
        message: `pyproject.toml is not valid TOML (line ${e.line}, column ${e.column}): ${what}`,
        line: e.line,
        column: e.column,
      });
    } else {
      problems.push({ code: 'toml-invalid', message: `pyproject.toml could not be read: ${String(e)}` });
    }
    return null;
  }
}

// build-backend module -> backend; `module:object` is looked up by its module.
const BACKENDS: ReadonlyMap<string, BuildBackend> = new Map<string, BuildBackend>([
  ['setuptools.build_meta', 'setuptools'],
  ['hatchling.build', 'hatchling'],
  ['poetry.core.masonry.api', 'poetry-core'],
  ['poetry.masonry.api', 'poetry'],
  // poetry-dynamic-versioning's backend wraps poetry-core.
  ['poetry_dynamic_versioning.backend', 'poetry-core'],
  ['flit_core.buildapi', 'flit'],
  ['flit.buildapi', 'flit'],
  ['pdm.backend', 'pdm'],
  ['pdm.pep517.api', 'pdm'],
  ['maturin', 'maturin'],
  ['scikit_build_core.build', 'scikit-build-core'],
]);

function readBackend(
  doc: Table | null,
  hasToml: boolean,
  hasCfg: boolean,
  problems: ProjectProblem[],
): { backend: BuildBackend; buildBackendString: string | null } {
  // A setup.cfg without pyproject.toml is a legacy setuptools project (setup.py unseen).
  if (!hasToml) return { backend: hasCfg ? 'setuptools' : 'none', buildBackendString: null };
  // Unreadable pyproject.toml: no frontend could build it, and we cannot say with what.
  if (doc === null) return { backend: 'other', buildBackendString: null };
  const raw = get(tableAt(doc, 'build-system'), 'build-backend');
  // PEP 517: no build-system or no build-backend means setuptools' legacy backend.
  if (raw === undefined) return { backend: 'setuptools', buildBackendString: null };
  if (typeof raw !== 'string') {
    problems.push({ code: 'field-type', message: '`build-system.build-backend` must be a string', field: 'build-system.build-backend' });
    return { backend: 'other', buildBackendString: null };
  }
  const module = raw.split(':')[0]?.trim() ?? '';
  return { backend: BACKENDS.get(module) ?? 'other', buildBackendString: raw };
}

function readDynamic(project: Table | null, problems: ProjectProblem[]): readonly string[] {
  const raw = get(project, 'dynamic');
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string')) {
    problems.push({ code: 'field-type', message: '`project.dynamic` must be an array of strings', field: 'project.dynamic' });
    return [];
  }
  return raw;
}

type Str = (t: Table | null, key: string, field: string) => string | null;

function readName(
  project: Table | null,
  poetry: Table | null,
  cfg: SetupCfgFacts | null,
  dynamic: readonly string[],
  str: Str,
  problems: ProjectProblem[],
): string | null {
  const found: Array<{ name: string; field: string }> = [];
  const projectName = str(project, 'name', 'project.name');
  if (project !== null && projectName === null && get(project, 'name') === undefined) {
    problems.push({ code: 'name-missing', message: 'PEP 621 requires `project.name`', field: 'project.name' });
  }
  if (dynamic.includes('name')) {
    problems.push({ code: 'name-dynamic', message: 'PEP 621 forbids listing `name` in `project.dynamic`', field: 'project.dynamic' });
  }
  if (projectName !== null) found.push({ name: projectName, field: 'project.name' });
  const poetryName = str(poetry, 'name', 'tool.poetry.name');
  if (poetryName !== null) found.push({ name: poetryName, field: 'tool.poetry.name' });
  if (cfg?.name != null) found.push({ name: cfg.name, field: 'metadata.name' });

  for (const { name, field } of found) {
    if (!isValidProjectName(name)) {
      problems.push({
        code: 'name-invalid',
        message: `\`${name}\` (${field}) is not a valid project name: use ASCII letters, digits, '.', '_' and '-', starting and ending with a letter or digit`,
        field,
      });
    }
  }
  const first = found[0];
  if (first === undefined) return null;
  for (const other of found.slice(1)) {
    if (canonicalizeName(other.name) !== canonicalizeName(first.name)) {
      problems.push({
        code: 'name-mismatch',
        message: `${first.field} is \`${first.name}\` but ${other.field} is \`${other.name}\``,
        field: other.field,
      });
    }
  }
  return first.name;
}

type StaticVersion = { version: string; from: '[project]' | '[tool.poetry]' | 'setup.cfg'; field: string };

function staticSource(s: StaticVersion): VersionSource {
  return { kind: 'static', version: s.version, from: s.from };
}

function chooseVersion(ctx: {
  doc: Table | null;
  backend: BuildBackend;
  project: Table | null;
  dynamic: readonly string[];
  pdv: boolean;
  statics: readonly StaticVersion[];
  cfg: SetupCfgFacts | null;
  problems: ProjectProblem[];
}): VersionSource {
  const { doc, backend, project, dynamic, pdv, statics, cfg, problems } = ctx;
  const fromProject = statics.find((s) => s.from === '[project]');
  const fromPoetry = statics.find((s) => s.from === '[tool.poetry]');
  const isDynamic = dynamic.includes('version');
  const cfgSource = (): VersionSource | null =>
    cfg === null || cfg.version.kind === 'missing'
      ? null
      : cfg.version.kind === 'static'
        ? { kind: 'static', version: cfg.version.version, from: 'setup.cfg' }
        : { kind: 'dynamic', provider: cfg.version.provider, detail: cfg.version.detail, directive: cfgDirective(cfg.version.provider, cfg.version.detail) };

  if (fromProject !== undefined) {
    if (isDynamic) {
      problems.push({
        code: 'version-static-and-dynamic',
        message: 'PEP 621 forbids setting `project.version` and listing `version` in `project.dynamic`',
        field: 'project.version',
      });
    }
    return staticSource(fromProject);
  }
  if (pdv) return { kind: 'dynamic', provider: 'poetry-dynamic-versioning', detail: '[tool.poetry-dynamic-versioning] enable = true' };
  if (project !== null && !isDynamic && get(project, 'version') === undefined) {
    problems.push({
      code: 'version-not-declared',
      message: 'PEP 621 requires `project.version`, or `version` listed in `project.dynamic`',
      field: 'project.version',
    });
  }
  // Poetry 2 keeps a dynamic version's value in [tool.poetry]; Poetry 1 has no [project].
  const poetryFirst = backend === 'poetry' || backend === 'poetry-core' || project === null;
  if (fromPoetry !== undefined && poetryFirst) return staticSource(fromPoetry);
  const detected = detectProvider(doc, backend);
  if (isDynamic) return detected ?? cfgSource() ?? (fromPoetry && staticSource(fromPoetry)) ?? { kind: 'dynamic', provider: 'unknown', detail: 'no known version provider is configured' };
  return cfgSource() ?? detected ?? { kind: 'missing' };
}

function cfgDirective(provider: 'attr' | 'file', detail: string): VersionDirective {
  if (provider === 'attr') return { kind: 'attr', spec: detail, declaredIn: 'setup.cfg' };
  return { kind: 'text-file', paths: detail.split(',').map((p) => p.trim()).filter((p) => p !== ''), declaredIn: 'setup.cfg' };
}

function checkStatics(statics: readonly StaticVersion[], problems: ProjectProblem[]): void {
  for (const s of statics) {
    if (!isValidVersion(s.version)) {
      problems.push({ code: 'version-invalid', message: `\`${s.version}\` (${s.field}) is not a valid PEP 440 version`, field: s.field });
    }
  }
  const first = statics[0];
  if (first === undefined) return;
  const canon = (v: string): string => normalizeVersion(v) ?? v;
  for (const other of statics.slice(1)) {
    if (canon(other.version) !== canon(first.version)) {
      problems.push({
        code: 'version-mismatch',
        message: `${first.field} is \`${first.version}\` but ${other.field} is \`${other.version}\``,
        field: other.field,
      });
    }
  }
}
