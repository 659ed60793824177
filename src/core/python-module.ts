// What a Python module says about a name, read the way build backends read it without
// importing: setuptools' `attr:` takes the first module-level assignment and
// `ast.literal_eval`s it; flit takes the first module-level `__version__ = "..."`.
import { pythonStatements } from './python-tokens.js';
import type { Statement, Token } from './python-tokens.js';

export interface Assignment {
  readonly names: readonly string[];
  readonly annotated: boolean;
  readonly value: readonly Token[];
  readonly line: number;
}

export interface ImportFrom {
  /** As written: `._version`, `pkg.version`. */
  readonly module: string;
  /** [imported name, bound name] pairs. */
  readonly names: ReadonlyArray<readonly [string, string]>;
  readonly line: number;
}

export interface ModuleModel {
  readonly statements: readonly Statement[];
  /** Module-level assignments, in order. */
  readonly assignments: readonly Assignment[];
  /** Assignments at module level or in if/with/try/for blocks, not in a def or class body. */
  readonly visibleAssignments: readonly Assignment[];
  readonly importsFrom: readonly ImportFrom[];
  /** Module-level `import a.b [as c]`: bound name -> module. */
  readonly imports: ReadonlyMap<string, string>;
}

export function readModule(text: string): ModuleModel {
  const statements = pythonStatements(text);
  const assignments: Assignment[] = [];
  const visibleAssignments: Assignment[] = [];
  const importsFrom: ImportFrom[] = [];
  const imports = new Map<string, string>();
  // The open blocks above each statement, to tell a function body from an `if` block.
  const blocks: Array<{ indent: number; hidden: boolean }> = [];
  for (const s of statements) {
    while (blocks.length > 0 && (blocks[blocks.length - 1]?.indent ?? 0) >= s.indent) blocks.pop();
    const hidden = blocks.some((b) => b.hidden);
    const head = s.tokens[0]?.text ?? '';
    if (s.tokens[s.tokens.length - 1]?.text === ':') blocks.push({ indent: s.indent, hidden: head === 'def' || head === 'class' || head === 'async' });
    if (!hidden) {
      const visible = asAssignment(s);
      if (visible !== null) visibleAssignments.push(visible);
    }
    if (s.indent !== 0) continue;
    const assignment = asAssignment(s);
    if (assignment !== null) assignments.push(assignment);
    const from = asImportFrom(s);
    if (from !== null) importsFrom.push(from);
    for (const [bound, module] of asImport(s)) imports.set(bound, module);
  }
  return { statements, assignments, visibleAssignments, importsFrom, imports };
}

// `a = b = value` and `a: T = value`; tuple targets (`a, b = ...`) are not version holders.
function asAssignment(s: Statement): Assignment | null {
  const t = s.tokens;
  if (t[0]?.kind !== 'name' || KEYWORDS.has(t[0].text)) return null;
  if (t[1]?.text === ':') {
    const eq = t.findIndex((tok, k) => k > 1 && tok.text === '=');
    if (eq < 0) return null;
    return { names: [t[0].text], annotated: true, value: t.slice(eq + 1), line: s.line };
  }
  const names: string[] = [];
  let k = 0;
  while (t[k]?.kind === 'name' && t[k + 1]?.text === '=') {
    names.push(t[k]?.text ?? '');
    k += 2;
  }
  if (names.length === 0) return null;
  return { names, annotated: false, value: t.slice(k), line: s.line };
}

function asImportFrom(s: Statement): ImportFrom | null {
  const t = s.tokens;
  if (t[0]?.text !== 'from') return null;
  const importAt = t.findIndex((tok) => tok.kind === 'name' && tok.text === 'import');
  if (importAt < 2) return null;
  const module = t.slice(1, importAt).map((tok) => tok.text).join('');
  const names: Array<readonly [string, string]> = [];
  const rest = t.slice(importAt + 1).filter((tok) => tok.text !== '(' && tok.text !== ')');
  for (let k = 0; k < rest.length; k++) {
    const tok = rest[k];
    if (tok?.kind !== 'name') continue;
    if (rest[k + 1]?.text === 'as' && rest[k + 2]?.kind === 'name') {
      names.push([tok.text, rest[k + 2]?.text ?? tok.text]);
      k += 2;
    } else names.push([tok.text, tok.text]);
  }
  return { module, names, line: s.line };
}

function asImport(s: Statement): Array<readonly [string, string]> {
  const t = s.tokens;
  if (t[0]?.text !== 'import') return [];
  const out: Array<readonly [string, string]> = [];
  const parts = splitTopLevel(t.slice(1), ',');
  for (const part of parts) {
    const asAt = part.findIndex((tok) => tok.text === 'as');
    const dotted = (asAt < 0 ? part : part.slice(0, asAt)).map((tok) => tok.text).join('');
    // `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`.
    if (asAt >= 0 && part[asAt + 1] !== undefined) out.push([part[asAt + 1]?.text ?? '', dotted]);
    else out.push([dotted, dotted]);
  }
  return out;
}

const KEYWORDS = new Set(['from', 'import', 'if', 'else', 'elif', 'try', 'except', 'finally', 'for', 'while', 'with', 'def', 'class', 'return', 'del', 'pass', 'raise', 'global', 'nonlocal', 'assert', 'async', 'await', 'lambda', 'yield', 'not', 'and', 'or', 'in', 'is', 'None', 'True', 'False']);

/** Splits tokens on a separator at bracket depth 0. */
export function splitTopLevel(tokens: readonly Token[], separator: string): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const tok of tokens) {
    if (tok.kind === 'op' && '([{'.includes(tok.text)) depth++;
    if (tok.kind === 'op' && ')]}'.includes(tok.text)) depth--;
    if (depth === 0 && tok.kind === 'op' && tok.text === separator) parts.push([]);
    else parts[parts.length - 1]?.push(tok);
  }
  return parts.filter((p) => p.length > 0);
}

export type LiteralValue = { readonly kind: 'str'; readonly value: string } | { readonly kind: 'other'; readonly value: string };

/**
 * `ast.literal_eval` of a version-shaped value, made a string the way setuptools makes
 * one: a str as it is; a tuple or list of literals joined with '.'; a number as Python
 * prints it. null when it is not a literal (a name, a call, an f-string, an operator).
 */
export function literalVersion(tokens: readonly Token[]): LiteralValue | null {
  const str = stringConcat(tokens);
  if (str !== null) return { kind: 'str', value: str };
  if (tokens.length === 1 && tokens[0]?.kind === 'number') {
    const n = numberText(tokens[0].text);
    return n === null ? null : { kind: 'other', value: n };
  }
  let inner = tokens;
  const first = tokens[0]?.text;
  const last = tokens[tokens.length - 1]?.text;
  if ((first === '(' && last === ')') || (first === '[' && last === ']')) inner = tokens.slice(1, -1);
  const parts = splitTopLevel(inner, ',');
  if (parts.length === 0) return null;
  // A parenthesised single value without a comma is that value, not a tuple.
  const isSequence = inner !== tokens ? first === '[' || inner.some((t) => t.text === ',') : parts.length > 1 || tokens.some((t) => t.text === ',');
  if (!isSequence) return parts.length === 1 && inner !== tokens ? literalVersion(parts[0] ?? []) : null;
  const items: string[] = [];
  for (const part of parts) {
    const s = stringConcat(part);
    if (s !== null) {
      items.push(s);
      continue;
    }
    if (part.length === 1 && part[0]?.kind === 'number') {
      const n = numberText(part[0].text);
      if (n === null) return null;
      items.push(n);
      continue;
    }
    return null;
  }
  return { kind: 'other', value: items.join('.') };
}

/** Adjacent plain string literals, concatenated as Python does; null for anything else. */
export function stringConcat(tokens: readonly Token[]): string | null {
  let inner = tokens;
  while (inner.length >= 3 && inner[0]?.text === '(' && inner[inner.length - 1]?.text === ')' && !inner.some((t) => t.text === ',')) inner = inner.slice(1, -1);
  if (inner.length === 0 || !inner.every((t) => t.kind === 'string' && typeof t.value === 'string')) return null;
  return inner.map((t) => t.value ?? '').join('');
}

// Python's str() of an int or float literal: `1_0` is 10, `1.10` is 1.1, `2.0` is 2.0.
function numberText(text: string): string | null {
  const plain = text.replace(/_/g, '');
  if (/^[0-9]+$/.test(plain)) return BigInt(plain).toString();
  if (!/^[0-9]*\.[0-9]*$/.test(plain) || plain === '.') return null;
  const n = Number(plain);
  if (!Number.isFinite(n)) return null;
  return Number.isInteger(n) && Math.abs(n) < 1e16 ? `${n}.0` : String(n);
}
