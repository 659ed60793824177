// What a setup.py says about its name and version, read without running it: the
// `setup(...)` call's keywords, and for a version that setup.py reads from elsewhere,
// which module or file it reads. Running setup.py is what pyrelease must never do
// outside the build sandbox, so anything this cannot follow is `unreadable`, and the
// release goes ahead from the tag with the built files as the judge.
import { literalVersion, readModule, splitTopLevel, stringConcat } from './python-module.js';
import type { Assignment, ModuleModel } from './python-module.js';
import type { Token } from './python-tokens.js';

/** Where setup.py's version comes from. */
export type SetupPyVersion =
  | { readonly kind: 'literal'; readonly version: string; readonly line: number }
  /** A module's attribute: `module` is dotted (from an import) or `path` is a file setup.py opens. */
  | { readonly kind: 'module'; readonly module: string | null; readonly paths: readonly string[]; readonly attr: string; readonly line: number }
  | { readonly kind: 'text-file'; readonly path: string; readonly line: number }
  | { readonly kind: 'scm'; readonly provider: 'setuptools-scm' | 'versioneer' | 'pbr'; readonly line: number }
  | { readonly kind: 'unreadable'; readonly line: number; readonly reason: string }
  | { readonly kind: 'missing' };

export interface SetupPyFacts {
  /** false when the file has no `setup(...)` call pyrelease can see. */
  readonly hasSetupCall: boolean;
  readonly name: string | null;
  /** Where a `name=` that is not a literal comes from (`about["__title__"]`), read like a version. */
  readonly nameRef: SetupPyVersion | null;
  readonly version: SetupPyVersion;
  /** `package_dir={"": "src"}`: the directory that holds top-level packages, or null. */
  readonly packageRoot: string | null;
}

/** The names a helper that does not say which is taken to read, in this order. */
export const VERSION_ATTRS: readonly string[] = ['__version__', 'VERSION', 'version'];

export function readSetupPy(text: string): SetupPyFacts {
  const model = readModule(text);
  const call = findSetupCall(model);
  if (call === null) return { hasSetupCall: false, name: null, nameRef: null, version: { kind: 'missing' }, packageRoot: null };
  const kwargs = keywordArguments(call.args, model, call.line);
  const opened = openedPaths(model);
  const nameArg = kwargs.get('name');
  const name = nameOf(nameArg, model, call.line);
  const packageRoot = packageRootOf(kwargs.get('package_dir'));
  const nameRef = name !== null || nameArg === undefined ? null : resolveExpression(nameArg.tokens, nameArg.line, model, call.line, opened, 0);

  const scm = kwargs.get('use_scm_version');
  if (scm !== undefined && !isFalsy(scm.tokens)) return { hasSetupCall: true, name, nameRef, version: { kind: 'scm', provider: 'setuptools-scm', line: scm.line }, packageRoot };
  const pbr = kwargs.get('pbr');
  if (pbr !== undefined && !isFalsy(pbr.tokens)) return { hasSetupCall: true, name, nameRef, version: { kind: 'scm', provider: 'pbr', line: pbr.line }, packageRoot };
  const version = kwargs.get('version');
  if (version === undefined) {
    const spread = call.args.some((t) => t.text === '**');
    const v: SetupPyVersion = spread ? { kind: 'unreadable', line: call.line, reason: 'setup() takes its keywords from a dictionary built in code' } : { kind: 'missing' };
    return { hasSetupCall: true, name, nameRef, version: v, packageRoot };
  }
  return { hasSetupCall: true, name, nameRef, version: resolveExpression(version.tokens, version.line, model, call.line, opened, 0), packageRoot };
}

interface Call {
  readonly args: readonly Token[];
  readonly line: number;
}

// `setup(`, `setuptools.setup(`, `distutils.core.setup(`, at any indentation (often
// under `if __name__ == "__main__":`). The last one wins, as it would when run.
function findSetupCall(model: ModuleModel): Call | null {
  let found: Call | null = null;
  for (const s of model.statements) {
    const t = s.tokens;
    for (let k = 0; k < t.length; k++) {
      if (t[k]?.kind !== 'name' || t[k]?.text !== 'setup' || t[k + 1]?.text !== '(') continue;
      if (t[k - 1]?.text === 'def') continue;
      const close = matching(t, k + 1);
      found = { args: t.slice(k + 2, close), line: t[k]?.line ?? s.line };
    }
  }
  return found;
}

function matching(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const x = tokens[k]?.text;
    if (x === '(' || x === '[' || x === '{') depth++;
    if (x === ')' || x === ']' || x === '}') depth--;
    if (depth === 0) return k;
  }
  return tokens.length;
}

// The call's own keywords, and those of a `**kwargs` dictionary setup.py built as a
// literal (`setup_args = dict(name=..., version=...)` or `{'version': ...}`).
function keywordArguments(args: readonly Token[], model: ModuleModel, callLine: number): Map<string, { tokens: Token[]; line: number }> {
  const out = new Map<string, { tokens: Token[]; line: number }>();
  for (const part of splitTopLevel(args, ',')) {
    if (part[0]?.kind === 'name' && part[1]?.text === '=') out.set(part[0].text, { tokens: part.slice(2), line: part[0].line });
    if (part[0]?.text === '**' && part.length === 2 && part[1]?.kind === 'name') {
      const built = lastAssignment(model, part[1].text, callLine);
      for (const [key, value] of built === null ? [] : dictEntries(built.value)) if (!out.has(key)) out.set(key, value);
    }
  }
  return out;
}

function dictEntries(tokens: readonly Token[]): Array<[string, { tokens: Token[]; line: number }]> {
  const out: Array<[string, { tokens: Token[]; line: number }]> = [];
  const isDictCall = tokens[0]?.text === 'dict' && tokens[1]?.text === '(' && tokens[tokens.length - 1]?.text === ')';
  const isLiteral = tokens[0]?.text === '{' && tokens[tokens.length - 1]?.text === '}';
  if (!isDictCall && !isLiteral) return out;
  for (const part of splitTopLevel(tokens.slice(isDictCall ? 2 : 1, -1), ',')) {
    if (isDictCall && part[0]?.kind === 'name' && part[1]?.text === '=') out.push([part[0].text, { tokens: part.slice(2), line: part[0].line }]);
    const colon = part.findIndex((t) => t.text === ':');
    const key = isLiteral && colon > 0 ? stringConcat(part.slice(0, colon)) : null;
    if (key !== null) out.push([key, { tokens: part.slice(colon + 1), line: part[0]?.line ?? 0 }]);
  }
  return out;
}

function isFalsy(tokens: readonly Token[]): boolean {
  return tokens.length === 1 && (tokens[0]?.text === 'False' || tokens[0]?.text === 'None' || tokens[0]?.text === '0');
}

/**
 * The last assignment to `name` before `beforeLine` (what it holds when setup() runs):
 * at module level or in an `if`/`with`/`try` block, not inside a function or class.
 */
function lastAssignment(model: ModuleModel, name: string, beforeLine: number): Assignment | null {
  let found: Assignment | null = null;
  for (const a of model.visibleAssignments) if (a.line < beforeLine && a.names.includes(name)) found = a;
  return found;
}

function nameOf(arg: { tokens: Token[] } | undefined, model: ModuleModel, callLine: number): string | null {
  if (arg === undefined) return null;
  const literal = stringConcat(arg.tokens);
  if (literal !== null) return literal;
  const only = arg.tokens.length === 1 ? arg.tokens[0] : undefined;
  if (only?.kind !== 'name') return null;
  const assigned = lastAssignment(model, only.text, callLine);
  return assigned === null ? null : stringConcat(assigned.value);
}

function packageRootOf(arg: { tokens: Token[] } | undefined): string | null {
  if (arg === undefined) return null;
  const t = arg.tokens;
  // {"": "src"} or dict(""="src") is not valid; only the dict literal form matters.
  if (t[0]?.text !== '{') return null;
  for (const entry of splitTopLevel(t.slice(1, -1), ',')) {
    const colon = entry.findIndex((x) => x.text === ':');
    if (colon < 0) continue;
    if (stringConcat(entry.slice(0, colon)) === '') return stringConcat(entry.slice(colon + 1));
  }
  return null;
}

function resolveExpression(tokens: readonly Token[], line: number, model: ModuleModel, callLine: number, opened: readonly OpenedPath[], depth: number): SetupPyVersion {
  const unreadable = (reason: string): SetupPyVersion => ({ kind: 'unreadable', line, reason });
  if (depth > 4) return unreadable('the version passes through too many names');
  const literal = literalVersion(tokens);
  if (literal !== null) return { kind: 'literal', version: literal.value, line };
  const text = tokens.map((t) => t.text).join('');

  if (/^versioneer\.get_version\(\)$/.test(text)) return { kind: 'scm', provider: 'versioneer', line };
  // A name: what setup.py bound it to, what it imported as it, or what an exec() defined.
  if (tokens.length === 1 && tokens[0]?.kind === 'name') {
    const name = tokens[0].text;
    const assigned = lastAssignment(model, name, callLine);
    // An exec() after the assignment rebinds names from the file it runs (coverage.py
    // sets `__version__ = ""` "to keep pylint happy" and then execs version.py).
    const execAfter = assigned !== null && model.statements.some((st) => st.line > assigned.line && st.line < callLine && st.tokens.some((t) => t.text === 'exec'));
    if (assigned !== null && !execAfter) return resolveExpression(assigned.value, assigned.line, model, callLine, opened, depth + 1);
    const imported = importedAs(model, name);
    if (imported !== null) return { kind: 'module', module: imported.module, paths: [], attr: imported.attr, line };
    const pyFiles = opened.filter((p) => p.path.endsWith('.py'));
    if (pyFiles.length > 0) return { kind: 'module', module: null, paths: pyFiles.map((p) => p.path), attr: name, line };
    return unreadable(`\`${name}\` is not bound to a value pyrelease can read`);
  }
  // about["__version__"]: a dictionary an exec() of an opened module filled.
  const subscript = /^([A-Za-z_]\w*)\[(["'])(\w+)\2\]$/.exec(text);
  if (subscript !== null) {
    const pyFiles = opened.filter((p) => p.path.endsWith('.py'));
    if (pyFiles.length > 0) return { kind: 'module', module: null, paths: pyFiles.map((p) => p.path), attr: subscript[3] ?? '__version__', line };
    return unreadable(`\`${text}\` is filled in by code pyrelease does not run`);
  }
  // pkg.__version__ after `import pkg`, or pkg.about.VERSION; or mod.version where
  // mod = imp.load_source("version", "pkg/version.py") (a module loaded from a path).
  const attribute = /^([A-Za-z_][\w.]*)\.(\w+)$/.exec(text);
  if (attribute !== null) {
    const module = moduleBoundTo(model, attribute[1] ?? '');
    if (module !== null) return { kind: 'module', module, paths: [], attr: attribute[2] ?? '__version__', line };
    const loaded = pathsOfName(model, attribute[1] ?? '', callLine, 0).filter((p) => p.endsWith('.py'));
    if (loaded.length > 0) return { kind: 'module', module: null, paths: loaded, attr: attribute[2] ?? '__version__', line };
  }
  // fh.read().strip() where `with open(path) as fh`: the file that handle reads.
  const handle = /^([A-Za-z_]\w*)\.read(?:lines)?\(\)/.exec(text);
  if (handle !== null) {
    const paths = pathsOfHandle(model, handle[1] ?? '', callLine);
    const py = paths.filter((p) => p.endsWith('.py'));
    if (py.length > 0) return { kind: 'module', module: null, paths: py, attr: '__version__', line };
    const first = paths[0];
    if (paths.length === 1 && first !== undefined && /^[A-Za-z_]\w*\.read\(\)(?:\.strip\(\))?$/.test(text)) return { kind: 'text-file', path: first, line };
  }
  // A call: a helper that reads a file, named in its arguments or opened elsewhere.
  const call = /^[A-Za-z_][\w.]*\(/.test(text) && tokens[tokens.length - 1]?.text === ')';
  if (call || /\bopen\(|\.read\(|read_text\(/.test(text)) {
    const own = pathsIn(tokens, (n) => {
      const a = lastAssignment(model, n, callLine);
      return a === null ? null : stringConcat(a.value);
    });
    const candidates = own.length > 0 ? own : opened.map((p) => p.path);
    const py = candidates.filter((p) => p.endsWith('.py'));
    if (py.length > 0) return { kind: 'module', module: null, paths: py, attr: '__version__', line };
    const text1 = candidates[0];
    if (candidates.length === 1 && text1 !== undefined && /\bopen\(|read_text\(|\.read\(/.test(text)) return { kind: 'text-file', path: text1, line };
    return unreadable(`\`${shorten(text)}\` is computed by code pyrelease does not run`);
  }
  return unreadable(`\`${shorten(text)}\` is an expression pyrelease does not evaluate`);
}

/** The paths opened by `with open(...) as handle` (or `handle = open(...)`). */
function pathsOfHandle(model: ModuleModel, handle: string, beforeLine: number): string[] {
  for (const st of [...model.statements].reverse()) {
    if (st.line >= beforeLine) continue;
    const t = st.tokens;
    const binds = t.some((tok, k) => tok.text === 'as' && t[k + 1]?.text === handle) || (t[0]?.text === handle && t[1]?.text === '=');
    if (!binds || !t.some((tok) => tok.text === 'open')) continue;
    const direct = pathsIn(t);
    if (direct.length > 0) return direct;
    return t.filter((tok, k) => tok.kind === 'name' && t[k - 1]?.text !== '.' && tok.text !== handle).flatMap((tok) => pathsOfName(model, tok.text, st.line, 1));
  }
  return [];
}

/** The paths a name's value is built from, following names it is built from in turn. */
function pathsOfName(model: ModuleModel, name: string, beforeLine: number, depth: number): string[] {
  const a = lastAssignment(model, name, beforeLine);
  if (a === null || depth > 3) return [];
  const direct = pathsIn(a.value, (n) => {
    const b = lastAssignment(model, n, beforeLine);
    return b === null ? null : stringConcat(b.value);
  });
  if (direct.length > 0) return direct;
  const names = a.value.filter((t, k) => t.kind === 'name' && a.value[k - 1]?.text !== '.' && t.text !== name);
  return names.flatMap((t) => pathsOfName(model, t.text, a.line, depth + 1));
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function importedAs(model: ModuleModel, bound: string): { module: string; attr: string } | null {
  for (const from of model.importsFrom) {
    for (const [orig, as] of from.names) if (as === bound && !from.module.startsWith('.')) return { module: from.module, attr: orig };
  }
  return null;
}

function moduleBoundTo(model: ModuleModel, dotted: string): string | null {
  const direct = model.imports.get(dotted);
  if (direct !== undefined) return direct;
  // `import pkg.about` binds `pkg`; `pkg.about.VERSION` then names module pkg.about.
  for (const module of model.imports.values()) if (module === dotted) return module;
  for (const from of model.importsFrom) {
    for (const [orig, as] of from.names) if (as === dotted) return `${from.module}.${orig}`;
  }
  return null;
}

interface OpenedPath {
  readonly path: string;
  readonly line: number;
}

// Paths setup.py builds from string literals: open("pkg/__init__.py"),
// os.path.join(here, "src", "pkg", "__version__.py"), Path(__file__).parent / "pkg" / "about.py".
function openedPaths(model: ModuleModel): OpenedPath[] {
  const out: OpenedPath[] = [];
  const constant = (name: string): string | null => {
    const a = lastAssignment(model, name, Number.MAX_SAFE_INTEGER);
    return a === null ? null : stringConcat(a.value);
  };
  for (const s of model.statements) for (const p of pathsIn(s.tokens, constant)) out.push({ path: p, line: s.line });
  return out.filter((p, k) => out.findIndex((q) => q.path === p.path) === k);
}

// A file name: `x.py`, `x.txt`, or a bare `VERSION` (a lower-case bare word is more often
// an argument such as find_meta("version") than a file).
const FILE_LIKE = /(?:\.py|\.txt|^VERSION)$/;

/** Path literals in `tokens`; `constant` reads a name bound to a string (`NAME = "pkg"`). */
function pathsIn(tokens: readonly Token[], constant: (name: string) => string | null = () => null): string[] {
  const out: string[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const tok = tokens[k];
    if (tok?.kind !== 'string' || typeof tok.value !== 'string') continue;
    const last = tok.value.split('/').pop() ?? '';
    if (!FILE_LIKE.test(last) || /\s/.test(tok.value)) continue;
    // Walk back over the literals joined to this one by `,` (a join call) or `/` (pathlib).
    const parts = [tok.value];
    let j = k - 1;
    for (; j >= 1 && (tokens[j]?.text === ',' || tokens[j]?.text === '/'); j -= 2) {
      const prev = tokens[j - 1];
      const part = prev?.kind === 'string' ? (prev.value ?? null) : prev?.kind === 'name' ? constant(prev.text) : null;
      if (part === null) break;
      parts.unshift(part);
    }
    // `TOPDIR + "/pkg/__init__.py"`: a path below the project, not an absolute one.
    out.push(parts.join('/').replace(/^\/+/, ''));
  }
  return out;
}

