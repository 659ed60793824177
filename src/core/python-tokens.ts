// A small Python tokenizer for reading versions statically: enough of the language to
// find top-level assignments, imports and a setup() call's keywords in real files,
// never to run them. It splits text into logical statements (brackets, backslashes and
// triple-quoted strings join physical lines, as Python's own tokenizer does) and drops
// comments. It never throws: text it cannot follow ends the statement it is in.

export type TokenKind = 'name' | 'number' | 'string' | 'op';

export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token (for a string: with its prefix and quotes). */
  readonly text: string;
  /** 1-based line where the token starts. */
  readonly line: number;
  /** For a string: its value, or null when it is not a plain str literal (f-string, bytes). */
  readonly value?: string | null;
}

export interface Statement {
  /** Column of the first token: 0 means the statement is at module level. */
  readonly indent: number;
  readonly line: number;
  readonly tokens: readonly Token[];
}

const NAME_START = /[A-Za-z_\u00C0-\uFFFF]/u;
const NAME_PART = /[A-Za-z0-9_\u00C0-\uFFFF]/u;
const STRING_PREFIX = /^(?:[rRuUbBfF]|[rR][bBfF]|[bBfF][rR])?$/;
const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);
const LONG_OPS = ['**=', '//=', '>>=', '<<=', '->', '**', '//', '==', '!=', '<=', '>=', ':=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '@=', '<<', '>>'];

/** Statements of a Python source text; a leading BOM and any line ending are accepted. */
export function pythonStatements(source: string): Statement[] {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const statements: Statement[] = [];
  let tokens: Token[] = [];
  let indent = 0;
  let depth = 0;
  let line = 1;
  let atLineStart = true;
  let column = 0;
  let i = 0;

  const end = (): void => {
    const first = tokens[0];
    if (first !== undefined) statements.push({ indent, line: first.line, tokens });
    tokens = [];
    depth = 0;
  };

  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === '\n') {
      line++;
      i++;
      column = 0;
      if (depth === 0) {
        end();
        atLineStart = true;
      }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\f') {
      column += c === '\t' ? 8 - (column % 8) : 1;
      i++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '\\' && text[i + 1] === '\n') {
      // An explicit line join: the statement goes on.
      i += 2;
      line++;
      continue;
    }
    if (atLineStart && tokens.length === 0) {
      indent = column;
      atLineStart = false;
    }
    if (c === ';' && depth === 0) {
      end();
      i++;
      continue;
    }
    const stringAt = readString(text, i);
    if (stringAt !== null) {
      tokens.push({ kind: 'string', text: text.slice(i, stringAt.end), line, value: stringAt.value });
      line += countNewlines(text, i, stringAt.end);
      i = stringAt.end;
      continue;
    }
    if (NAME_START.test(c)) {
      let j = i + 1;
      while (j < text.length && NAME_PART.test(text[j] ?? '')) j++;
      tokens.push({ kind: 'name', text: text.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^(?:0[xXoObB][0-9a-fA-F_]+|[0-9_]*\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?[jJ]?)/.exec(text.slice(i, i + 64));
      const len = Math.max(1, m?.[0].length ?? 1);
      tokens.push({ kind: 'number', text: text.slice(i, i + len), line });
      i += len;
      continue;
    }
    const op = LONG_OPS.find((o) => text.startsWith(o, i)) ?? c;
    if (OPENERS.has(op)) depth++;
    if (CLOSERS.has(op)) depth = Math.max(0, depth - 1);
    tokens.push({ kind: 'op', text: op, line });
    i += op.length;
  }
  end();
  return statements;
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) if (text[k] === '\n') n++;
  return n;
}

/** A string literal starting at `i` (with its prefix), or null when none starts there. */
function readString(text: string, i: number): { end: number; value: string | null } | null {
  let q = i;
  while (q < text.length && q - i < 2 && /[rRuUbBfF]/.test(text[q] ?? '')) q++;
  const quote = text[q];
  if (quote !== '"' && quote !== "'") return null;
  const prefix = text.slice(i, q);
  if (!STRING_PREFIX.test(prefix)) return null;
  // A name such as `rb` followed by a quote is a prefix; `print"` is not Python 3.
  if (prefix.length > 0 && i > 0 && NAME_PART.test(text[i - 1] ?? '')) return null;
  const triple = text.startsWith(quote.repeat(3), q);
  const delimiter = triple ? quote.repeat(3) : quote;
  const raw = /[rR]/.test(prefix);
  let j = q + delimiter.length;
  let body = '';
  for (;;) {
    if (j >= text.length) return { end: text.length, value: null };
    const ch = text[j] ?? '';
    if (!triple && ch === '\n') return { end: j, value: null };
    if (text.startsWith(delimiter, j)) {
      j += delimiter.length;
      break;
    }
    if (ch === '\\' && j + 1 < text.length) {
      body += text.slice(j, j + 2);
      j += 2;
      continue;
    }
    body += ch;
    j++;
  }
  const plain = !/[bBfF]/.test(prefix);
  return { end: j, value: plain ? (raw ? body : unescape(body)) : null };
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\n': '',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

// Python's escapes; an unknown escape keeps its backslash, as Python does.
function unescape(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])/g, (whole, e: string) => {
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) return simple;
    if (/^[xuU]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCodePoint(parseInt(e, 8));
    return whole;
  });
}
