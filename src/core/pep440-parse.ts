// Exact PEP 440 parser, mirroring pypa/packaging 26.2 `Version.__init__`.
//
// packaging matches `\s*` + VERSION_PATTERN + `\s*` with re.VERBOSE | re.IGNORECASE.
// Every group of that pattern is possessive (atomic) and greedy, and the groups follow
// one another, so a single left-to-right scan that takes each optional piece whenever it
// matches accepts exactly the same language and yields the same groups: no backtracking
// is ever needed. Numbers stay canonical decimal digit strings, so integers of any length
// stay exact (JS numbers would round `0.4.1.dev202204251650943961`).

export type PreLabel = 'a' | 'b' | 'rc';

export interface Version {
  readonly epoch: string;
  readonly release: readonly string[];
  readonly pre: { readonly label: PreLabel; readonly number: string } | null;
  readonly post: string | null;
  readonly dev: string | null;
  readonly local: readonly string[] | null;
}

// CPython's int() refuses decimal strings longer than sys.get_int_max_str_digits()
// (4300 by default, leading zeros included), so packaging raises ValueError for any
// numeric piece that long (measured: see test/fixtures/pep440/table.json). We call such
// input invalid rather than throw: it cannot be a version pip or PyPI would accept.
export const MAX_INT_DIGITS = 4300;

// Python's `\s` on str: the characters for which str.isspace() is true. Measured with
// `[c for c in range(0x110000) if re.fullmatch(r'\s', chr(c))]`. It differs from JS `\s`:
// it has U+001C..U+001F and U+0085, and lacks U+FEFF.
export function isPythonSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return (
    c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isSep = (c: number): boolean => c === 0x2e || c === 0x5f || c === 0x2d; // . _ -
const isAlnum = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);

// Scanner state lives in module variables to keep the hot path free of allocations;
// the module is pure and single-threaded, and every entry point resets it.
let src = '';
let pos = 0;
let end = 0;

// Greedy [0-9]+ at pos; returns the canonical digit string, '' when none, or null when
// the run is too long for Python's int().
function digits(): string | null {
  const start = pos;
  while (pos < end && isDigit(src.charCodeAt(pos))) pos++;
  const len = pos - start;
  if (len > MAX_INT_DIGITS) return null;
  let i = start;
  while (i < pos - 1 && src.charCodeAt(i) === 0x30) i++;
  return src.slice(i, pos);
}

// Case-insensitive ASCII match of a lowercase word at pos (the pattern's letters sit in
// an (?a:) group, so no Unicode case folding applies to them).
function word(w: string): boolean {
  const n = w.length;
  if (pos + n > end) return false;
  for (let k = 0; k < n; k++) {
    if ((src.charCodeAt(pos + k) | 0x20) !== w.charCodeAt(k)) return false;
  }
  pos += n;
  return true;
}

// Alternation order as in the pattern: the first alternative that matches wins.
function preLabel(): PreLabel | null {
  if (word('alpha') || word('a')) return 'a';
  if (word('beta') || word('b')) return 'b';
  if (word('preview') || word('pre') || word('c') || word('rc')) return 'rc';
  return null;
}

function optSep(): void {
  if (pos < end && isSep(src.charCodeAt(pos))) pos++;
}

// Returns undefined when the input is invalid (so that null can mean "absent").
function optNumber(): string | undefined {
  if (pos < end && isDigit(src.charCodeAt(pos))) return digits() ?? undefined;
  return '0';
}

function parseLocal(): string[] | null | undefined {
  const parts: string[] = [];
  for (;;) {
    const start = pos;
    let allDigits = true;
    while (pos < end) {
      const c = src.charCodeAt(pos);
      if (!isAlnum(c)) break;
      if (c > 0x39) allDigits = false;
      pos++;
    }
    if (pos === start) return null; // caller decides; a separator must be followed by alnum
    if (allDigits) {
      pos = start;
      const d = digits();
      if (d === null) return undefined;
      parts.push(d);
    } else {
      parts.push(src.slice(start, pos).toLowerCase());
    }
    if (pos + 1 < end && isSep(src.charCodeAt(pos)) && isAlnum(src.charCodeAt(pos + 1))) {
      pos++;
      continue;
    }
    return parts;
  }
}

export function parseVersion(input: string): Version | null {
  src = input;
  pos = 0;
  end = input.length;
  while (pos < end && isPythonSpace(input.charCodeAt(pos))) pos++;
  while (end > pos && isPythonSpace(input.charCodeAt(end - 1))) end--;
  if (pos < end && (input.charCodeAt(pos) | 0x20) === 0x76) pos++; // v?+ (only v/V fold to v)
  if (pos >= end || !isDigit(input.charCodeAt(pos))) return null;

  let epoch = '0';
  let first = digits();
  if (first === null) return null;
  if (pos < end && input.charCodeAt(pos) === 0x21) { // '!'
    pos++;
    if (pos >= end || !isDigit(input.charCodeAt(pos))) return null;
    epoch = first;
    first = digits();
    if (first === null) return null;
  }
  const release = [first];
  while (pos + 1 < end && input.charCodeAt(pos) === 0x2e && isDigit(input.charCodeAt(pos + 1))) {
    pos++;
    const d = digits();
    if (d === null) return null;
    release.push(d);
  }

  let pre: Version['pre'] = null;
  if (pos < end) {
    const save = pos;
    optSep();
    const label = preLabel();
    if (label === null) pos = save;
    else {
      optSep();
      const n = optNumber();
      if (n === undefined) return null;
      pre = { label, number: n };
    }
  }

  let post: string | null = null;
  if (pos < end) {
    const save = pos;
    if (input.charCodeAt(pos) === 0x2d && pos + 1 < end && isDigit(input.charCodeAt(pos + 1))) {
      pos++;
      post = digits();
      if (post === null) return null;
    } else {
      optSep();
      if (word('post') || word('rev') || word('r')) {
        optSep();
        const n = optNumber();
        if (n === undefined) return null;
        post = n;
      } else pos = save;
    }
  }

  let dev: string | null = null;
  if (pos < end) {
    const save = pos;
    optSep();
    if (word('dev')) {
      optSep();
      const n = optNumber();
      if (n === undefined) return null;
      dev = n;
    } else pos = save;
  }

  let local: string[] | null = null;
  if (pos < end && input.charCodeAt(pos) === 0x2b) { // '+'
    pos++;
    const l = parseLocal();
    if (l === null || l === undefined) return null;
    local = l;
  }
  if (pos !== end) return null;
  return { epoch, release, pre, post, dev, local };
}

export function isValidVersion(input: string): boolean {
  return parseVersion(input) !== null;
}
