// Where a project's version really is, in every layout real projects use, read
// statically. pyproject.ts says what pyproject.toml and setup.cfg declare; this follows
// the declaration into the files it names (an `attr:` module, a `file:`, hatch's or
// pdm's version file, flit's module, or whatever setup.py opens or imports), using each
// build backend's own rules, and never runs repository code.
//
// It is a step function over the files read so far, so the core stays pure: given a map
// of path -> text (null: the file does not exist), it either answers or names the files
// it needs next. resolveProjectFacts() drives it with any reader (a forge API, a local
// checkout, a fixture directory) for a bounded number of rounds.
import { RE2JS } from 're2js';
import { readProjectFacts } from './pyproject.js';
import type { ProjectFacts, ProjectProblem, VersionDirective } from './pyproject.js';
import { literalVersion, readModule } from './python-module.js';
import type { Assignment, ModuleModel } from './python-module.js';
import { readSetupPy, VERSION_ATTRS } from './setup-py.js';
import { dynamicVersionLine, iniKeyLine, lineAt, safePath, tomlKeyLine } from './config-lines.js';
import type { SetupPyFacts, SetupPyVersion } from './setup-py.js';

export type VersionOrigin = 'project' | 'poetry' | 'setup.cfg' | 'setup.py' | 'module' | 'file';

export type ResolvedVersion =
  | { readonly kind: 'static'; readonly version: string; readonly origin: VersionOrigin; readonly file: string; readonly line: number | null }
  /** The tag is the version: setuptools-scm, hatch-vcs, versioneer and the like. */
  | { readonly kind: 'scm'; readonly provider: string; readonly file: string }
  /** Only running code would say; the release goes ahead from the tag. */
  | { readonly kind: 'unreadable'; readonly file: string; readonly line: number | null; readonly reason: string }
  | { readonly kind: 'missing' };

export interface ResolvedProject {
  readonly name: string | null;
  readonly version: ResolvedVersion;
  /** What pyproject.toml and setup.cfg declare (backend, requires-python, problems). */
  readonly declared: ProjectFacts;
  readonly problems: readonly ProjectProblem[];
}

/** path (relative to the project directory) -> text, or null when it does not exist. */
export type FileMap = ReadonlyMap<string, string | null>;

export type LayoutStep = { readonly kind: 'done'; readonly project: ResolvedProject } | { readonly kind: 'need'; readonly paths: readonly string[] };

/** The files every reading starts from. */
export const BASE_FILES: readonly string[] = ['pyproject.toml', 'setup.cfg'];

/** Bounds on what one reading may ask for: a repository decides which paths it names. */
export const LAYOUT_LIMITS = { rounds: 6, files: 24, bytes: 1024 * 1024 } as const;

export async function resolveProjectFacts(read: (path: string) => Promise<string | null>): Promise<ResolvedProject> {
  const files = new Map<string, string | null>();
  const fetch = async (paths: readonly string[]): Promise<void> => {
    const fresh = paths.filter((p) => !files.has(p)).slice(0, Math.max(0, LAYOUT_LIMITS.files - files.size));
    const texts = await Promise.all(fresh.map((p) => read(p)));
    fresh.forEach((p, k) => files.set(p, texts[k] ?? null));
  };
  await fetch(BASE_FILES);
  for (let round = 0; ; round++) {
    const step = readLayout(files, { final: round >= LAYOUT_LIMITS.rounds || files.size >= LAYOUT_LIMITS.files });
    if (step.kind === 'done') return step.project;
    await fetch(step.paths);
  }
}

class Need {
  constructor(readonly paths: readonly string[]) {}
}

/**
 * One step. With `final`, files not yet read count as absent, so it always answers:
 * what a reading could not reach within the limits is `unreadable`, never a guess.
 */
export function readLayout(files: FileMap, options: { final?: boolean } = {}): LayoutStep {
  const final = options.final === true;
  const text = (path: string): string | null => {
    const safe = safePath(path);
    if (safe === null) return null;
    if (!files.has(safe)) {
      if (final) return null;
      throw new Need([safe]);
    }
    const t = files.get(safe) ?? null;
    return t !== null && t.length > LAYOUT_LIMITS.bytes ? null : t;
  };
  /** The first of `paths` that exists, asking for all of them at once. */
  const firstOf = (paths: readonly string[]): { path: string; text: string } | null => {
    const safe = paths.map(safePath).filter((p): p is string => p !== null);
    const missing = safe.filter((p) => !files.has(p));
    if (missing.length > 0 && !final) throw new Need(missing);
    for (const p of safe) {
      const t = text(p);
      if (t !== null) return { path: p, text: t };
    }
    return null;
  };
  try {
    return { kind: 'done', project: resolve(files, text, firstOf) };
  } catch (e) {
    if (e instanceof Need) return { kind: 'need', paths: e.paths };
    throw e;
  }
}

type Text = (path: string) => string | null;
type FirstOf = (paths: readonly string[]) => { path: string; text: string } | null;

function resolve(files: FileMap, text: Text, firstOf: FirstOf): ResolvedProject {
  const pyproject = files.get('pyproject.toml') ?? null;
  const setupCfg = files.get('setup.cfg') ?? null;
  const declared = readProjectFacts({ pyprojectToml: pyproject, setupCfg });
  const problems = declared.problems.filter((p) => p.code !== 'no-build-config');
  const v = declared.version;
  const done = (version: ResolvedVersion, name: string | null = declared.name): ResolvedProject => ({ name, version, declared, problems });

  if (v.kind === 'static') {
    const origin: VersionOrigin = v.from === '[project]' ? 'project' : v.from === '[tool.poetry]' ? 'poetry' : 'setup.cfg';
    const file = origin === 'setup.cfg' ? 'setup.cfg' : 'pyproject.toml';
    const line = origin === 'setup.cfg' ? iniKeyLine(setupCfg ?? '', 'metadata', 'version') : tomlKeyLine(pyproject ?? '', origin === 'project' ? 'project' : 'tool.poetry', 'version');
    return done({ kind: 'static', version: v.version, origin, file, line });
  }
  if (v.kind === 'dynamic') {
    // An in-tree backend is the repository's own code: whatever tables it reads, only
    // running it would say.
    // An SCM tool the project installs for it (versioningit, setuptools-scm) still makes
    // the tag the version; pdm-pep517's own `use_scm` is the backend's code.
    if (declared.inTreeBackend && SCM_TOOLS.has(v.provider)) return done({ kind: 'scm', provider: v.provider, file: 'pyproject.toml' });
    if (declared.inTreeBackend) {
      const line = tomlKeyLine(pyproject ?? '', 'project', 'version') ?? dynamicVersionLine(pyproject ?? '');
      return done({ kind: 'unreadable', file: 'pyproject.toml', line, reason: 'the in-tree build backend decides the version' });
    }
    if (v.directive !== undefined) return done(followDirective(v.directive, declared, text, firstOf));
    if (v.provider !== 'unknown' && v.provider !== 'attr' && v.provider !== 'file') return done({ kind: 'scm', provider: v.provider, file: 'pyproject.toml' });
    if (v.provider === 'file' && v.detail === 'Cargo.toml') {
      return done({ kind: 'unreadable', file: 'pyproject.toml', line: dynamicVersionLine(pyproject ?? ''), reason: 'maturin takes the version from Cargo.toml' });
    }
    if (v.provider === 'unknown' && v.detail !== undefined && v.detail.startsWith('[tool.')) {
      return done({ kind: 'unreadable', file: 'pyproject.toml', line: tomlKeyLine(pyproject ?? '', v.detail.startsWith('[tool.hatch') ? 'tool.hatch.version' : 'tool.pdm.version', 'source'), reason: `${v.detail} is computed by code` });
    }
  }
  // No version in pyproject.toml or setup.cfg: a setup.py project, or a dynamic version
  // only the build backend knows (setuptools falls back to setup.py).
  const setupPy = text('setup.py');
  if (setupPy !== null) {
    const facts = readSetupPy(setupPy);
    if (facts.hasSetupCall) {
      const version = fromSetupPy(facts.version, facts, declared, text, firstOf);
      // name=about["__title__"]: read from the module like the version, never guessed.
      const ref = facts.nameRef === null ? null : fromSetupPy(facts.nameRef, facts, declared, text, firstOf);
      return done(version, declared.name ?? facts.name ?? (ref?.kind === 'static' ? ref.version : null));
    }
  }
  if (v.kind === 'dynamic') {
    return done({ kind: 'unreadable', file: 'pyproject.toml', line: dynamicVersionLine(pyproject ?? ''), reason: v.detail ?? 'no version provider pyrelease knows is configured' });
  }
  return done({ kind: 'missing' });
}

function followDirective(d: VersionDirective, declared: ProjectFacts, text: Text, firstOf: FirstOf): ResolvedVersion {
  switch (d.kind) {
    case 'attr':
      return followAttr(d.spec, declared.packageDir, d.declaredIn, firstOf);
    case 'text-file': {
      const path = d.paths[0] ?? '';
      const t = text(path);
      if (t === null) return { kind: 'unreadable', file: d.declaredIn, line: null, reason: `the version file ${path} ${safePath(path) === null ? 'is outside the project' : 'does not exist'}` };
      return textFileVersion(path, t);
    }
    case 'regex-file':
      return regexFileVersion(d, text);
    case 'flit-module':
      return flitVersion(d.module, firstOf);
    case 'code-file': {
      const t = text(d.path);
      const line = t === null ? null : bindingLine(readModule(t), d.attr);
      // Without the file, the pyproject.toml line that asks for code says where.
      if (t === null) return { kind: 'unreadable', file: 'pyproject.toml', line: tomlKeyLine(text('pyproject.toml') ?? '', 'tool.hatch.version', 'source'), reason: `hatch imports ${d.path} to read \`${d.attr}\`` };
      return { kind: 'unreadable', file: d.path, line, reason: `hatch imports ${d.path} to read \`${d.attr}\`` };
    }
  }
}

function textFileVersion(path: string, t: string): ResolvedVersion {
  const stripped = t.replace(/^\uFEFF/, '').trim();
  if (stripped === '') return { kind: 'unreadable', file: path, line: null, reason: `${path} is empty` };
  const before = t.replace(/^\uFEFF/, '').slice(0, t.replace(/^\uFEFF/, '').indexOf(stripped));
  return { kind: 'static', version: stripped, origin: 'file', file: path, line: lineAt(before, before.length) };
}

/** Candidate files of a dotted module, under the package-dir mapping (setuptools' rules). */
export function moduleCandidates(dotted: string, packageDir: ReadonlyMap<string, string>): string[] {
  const parts = dotted.split('.').filter((p) => p !== '');
  const out: string[] = [];
  // The longest package prefix the mapping names decides where the module lives.
  for (let k = parts.length; k >= 1; k--) {
    const mapped = packageDir.get(parts.slice(0, k).join('.'));
    if (mapped !== undefined) {
      const base = [mapped, ...parts.slice(k)].filter((p) => p !== '' && p !== '.').join('/');
      out.push(`${base}/__init__.py`, `${base}.py`);
      return out;
    }
  }
  const root = packageDir.get('');
  const roots = root !== undefined ? [root] : ['', 'src'];
  for (const r of roots) {
    const base = [r, ...parts].filter((p) => p !== '' && p !== '.').join('/');
    out.push(`${base}/__init__.py`, `${base}.py`);
  }
  return out;
}

function followAttr(spec: string, packageDir: ReadonlyMap<string, string>, declaredIn: string, firstOf: FirstOf): ResolvedVersion {
  const dot = spec.lastIndexOf('.');
  if (dot <= 0) return { kind: 'unreadable', file: declaredIn, line: null, reason: `\`attr: ${spec}\` names no module` };
  return moduleAttr(spec.slice(0, dot), spec.slice(dot + 1), packageDir, firstOf, 0, declaredIn);
}

// setuptools: the first module-level assignment to the name, literal_eval'd; failing
// that it imports the module. A `from X import name` is what an import would follow.
function moduleAttr(module: string, attr: string, packageDir: ReadonlyMap<string, string>, firstOf: FirstOf, depth: number, declaredIn: string): ResolvedVersion {
  const found = firstOf(moduleCandidates(module, packageDir));
  if (found === null) return { kind: 'unreadable', file: declaredIn, line: null, reason: `the module ${module} was not found` };
  const model = readModule(found.text);
  const first = model.assignments.find((a) => a.names.includes(attr));
  if (first !== undefined) return assignedValue(model, first, attr, found.path);
  const from = model.importsFrom.find((f) => f.names.some(([, as]) => as === attr));
  if (from !== undefined && depth < 4) {
    const orig = from.names.find(([, as]) => as === attr)?.[0] ?? attr;
    const target = absoluteModule(from.module, module, found.path.endsWith('/__init__.py'));
    if (target !== null) return moduleAttr(target, orig, packageDir, firstOf, depth + 1, found.path);
  }
  return { kind: 'unreadable', file: found.path, line: from?.line ?? null, reason: `\`${attr}\` is set by code in ${found.path}` };
}

/**
 * An assignment's value: a literal, or a name bound earlier in the module to one
 * (`__version__ = VERSION` after `VERSION = (1, 2, 3)`), which is what importing the
 * module would give. Anything else is code; the line says where.
 */
function assignedValue(model: ModuleModel, a: Assignment, attr: string, file: string, depth = 0): ResolvedVersion {
  const value = literalVersion(a.value);
  if (value !== null) return { kind: 'static', version: value.value, origin: 'module', file, line: a.line };
  const only = a.value.length === 1 ? a.value[0] : undefined;
  if (only?.kind === 'name' && depth < 4) {
    const earlier = model.assignments.filter((b) => b.line < a.line && b.names.includes(only.text)).pop();
    if (earlier !== undefined) return assignedValue(model, earlier, only.text, file, depth + 1);
  }
  return { kind: 'unreadable', file, line: a.line, reason: `\`${attr}\` is computed by code` };
}

/** `from ._version import x` inside module `pkg` (a package) -> `pkg._version`. */
function absoluteModule(target: string, current: string, isPackage: boolean): string | null {
  const dots = /^\.*/.exec(target)?.[0].length ?? 0;
  if (dots === 0) return target;
  const base = current.split('.');
  // A package's own `.` is itself; a plain module's `.` is its parent package.
  const keep = base.length - (dots - 1) - (isPackage ? 0 : 1);
  if (keep < 0) return null;
  const rest = target.slice(dots);
  return [...base.slice(0, keep), ...(rest === '' ? [] : [rest])].join('.');
}

// flit_core: __version__.py, _version.py, version.py, __init__.py; a later one wins; in
// each, the first module-level plain `__version__ = <constant>`.
function flitVersion(module: string | null, firstOf: FirstOf): ResolvedVersion {
  if (module === null) return { kind: 'unreadable', file: 'pyproject.toml', line: null, reason: 'flit names no module' };
  const path = module.replace(/\./g, '/');
  const layouts = [`${path}/__init__.py`, `${path}.py`, `src/${path}/__init__.py`, `src/${path}.py`];
  const versionFiles = ['__version__.py', '_version.py', 'version.py'];
  // Ask for every file flit might read at once: one round, not four.
  firstOf([...layouts, ...['', 'src/'].flatMap((root) => versionFiles.map((n) => `${root}${path}/${n}`))]);
  const main = firstOf(layouts);
  if (main === null) return { kind: 'unreadable', file: 'pyproject.toml', line: null, reason: `flit's module ${module} was not found` };
  const files: Array<{ path: string; text: string }> = [];
  if (main.path.endsWith('/__init__.py')) {
    const dir = main.path.slice(0, -'/__init__.py'.length);
    for (const name of versionFiles) {
      const f = firstOf([`${dir}/${name}`]);
      if (f !== null) files.push(f);
    }
  }
  files.push(main);
  let best: ResolvedVersion | null = null;
  for (const f of files) {
    const model = readModule(f.text);
    const a = model.assignments.find((x) => !x.annotated && x.names.includes('__version__') && x.value.length >= 1 && x.value.every((t) => t.kind === 'string'));
    const value = a === undefined ? null : literalVersion(a.value);
    if (a !== undefined && value !== null) best = { kind: 'static', version: value.value, origin: 'module', file: f.path, line: a.line };
  }
  if (best !== null) return best;
  return { kind: 'unreadable', file: main.path, line: firstVersionLine(readModule(main.text)), reason: 'flit would import the module to find `__version__`' };
}

function firstVersionLine(model: ModuleModel): number | null {
  return bindingLine(model, '__version__');
}

// Where a module binds a name at module level: its first assignment or import.
function bindingLine(model: ModuleModel, name: string): number | null {
  const assigned = model.assignments.find((a) => a.names.includes(name))?.line;
  const imported = model.importsFrom.find((f) => f.names.some(([, as]) => as === name))?.line;
  const lines = [assigned, imported].filter((l): l is number => l !== undefined);
  return lines.length === 0 ? null : Math.min(...lines);
}

const HATCH_DEFAULT = `(?i)^(?:__version__|VERSION) *= *(?:"v?(?P<dq>.+?)"|'v?(?P<sq>.+?)')`;
const PDM_PATTERN = `^__version__\\s*=\\s*["'](?P<version>.+?)["']\\s*(?:#.*)?$`;

// hatchling's and pdm-backend's version files: a regular expression over the file, run
// with RE2 (linear time), since the pattern comes from the repository.
function regexFileVersion(d: Extract<VersionDirective, { kind: 'regex-file' }>, text: Text): ResolvedVersion {
  const t = text(d.path);
  const declared = 'pyproject.toml';
  if (t === null) return { kind: 'unreadable', file: declared, line: null, reason: `the version file ${d.path} ${safePath(d.path) === null ? 'is outside the project' : 'does not exist'}` };
  const source = d.pattern ?? (d.style === 'hatch' ? HATCH_DEFAULT : PDM_PATTERN);
  let matcher;
  try {
    matcher = RE2JS.compile(source, RE2JS.MULTILINE).matcher(t);
  } catch {
    return { kind: 'unreadable', file: declared, line: tomlKeyLine(t, 'tool.hatch.version', 'pattern'), reason: 'the version pattern uses regular-expression features pyrelease does not run' };
  }
  if (!matcher.find()) return { kind: 'unreadable', file: d.path, line: null, reason: `no line of ${d.path} matches the version pattern` };
  const group = ['version', 'dq', 'sq'].find((g) => {
    try {
      return matcher.group(g) !== null;
    } catch {
      return false;
    }
  });
  if (group === undefined) return { kind: 'unreadable', file: declared, line: null, reason: 'the version pattern has no group named `version`' };
  const version = matcher.group(group) ?? '';
  const start = matcher.start(group);
  return { kind: 'static', version, origin: d.path.endsWith('.py') ? 'module' : 'file', file: d.path, line: lineAt(t, start) };
}

/** What a setup.py value (its version, or a name that is not a literal) refers to. */
function fromSetupPy(v: SetupPyVersion, facts: SetupPyFacts, declared: ProjectFacts, text: Text, firstOf: FirstOf): ResolvedVersion {
  const packageDir = facts.packageRoot !== null && !declared.packageDir.has('') ? new Map([...declared.packageDir, ['', facts.packageRoot]]) : declared.packageDir;
  switch (v.kind) {
    case 'literal':
      return { kind: 'static', version: v.version, origin: 'setup.py', file: 'setup.py', line: v.line };
    case 'scm':
      return { kind: 'scm', provider: v.provider, file: 'setup.py' };
    case 'unreadable':
      return { kind: 'unreadable', file: 'setup.py', line: v.line, reason: v.reason };
    case 'missing':
      return { kind: 'missing' };
    case 'text-file': {
      const t = text(v.path);
      if (t === null) return { kind: 'unreadable', file: 'setup.py', line: v.line, reason: `setup.py reads ${v.path}, which pyrelease could not read` };
      return textFileVersion(v.path, t);
    }
    case 'module': {
      if (v.module !== null) {
        const r = moduleAttr(v.module, v.attr, packageDir, firstOf, 0, 'setup.py');
        return r.kind === 'unreadable' && r.file === 'setup.py' ? { ...r, line: v.line } : r;
      }
      for (const path of v.paths) {
        const t = text(path);
        if (t === null) continue;
        const model = readModule(t);
        const attrs = v.attr === '__version__' ? VERSION_ATTRS : [v.attr];
        for (const attr of attrs) {
          const a = model.assignments.find((x) => x.names.includes(attr));
          if (a !== undefined) return assignedValue(model, a, attr, path);
        }
      }
      return { kind: 'unreadable', file: 'setup.py', line: v.line, reason: 'setup.py reads its version from a file pyrelease could not follow' };
    }
  }
}

const SCM_TOOLS: ReadonlySet<string> = new Set(['setuptools-scm', 'hatch-vcs', 'versioningit', 'flit_scm', 'poetry-dynamic-versioning', 'dunamai']);
