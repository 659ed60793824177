// PEP 440 ordering exactly as packaging 26.2 `_cmpkey` builds it, computed piece by
// piece instead of through a key tuple, on digit strings so that big integers compare
// exactly.
import type { Version } from './pep440-parse.js';

export type Ordering = -1 | 0 | 1;

function stripZeros(a: string): string {
  if (a.length < 2 || a.charCodeAt(0) !== 0x30) return a;
  let i = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 0x30) i++;
  return a.slice(i);
}

/** Numeric order of two non-negative decimal digit strings of any length. */
export function compareDigitStrings(a: string, b: string): Ordering {
  if (a === b) return 0;
  // Parsed versions hold canonical digits; tolerate leading zeros from other callers.
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x === y ? 0 : x < y ? -1 : 1;
}

// `_cmpkey` strips every trailing zero (1.0.0 == 1 and 0.0 == 0 == ()).
function trimmedLength(release: readonly string[]): number {
  let n = release.length;
  while (n > 0 && release[n - 1] === '0') n--;
  return n;
}

function compareRelease(a: readonly string[], b: readonly string[]): Ordering {
  const na = trimmedLength(a);
  const nb = trimmedLength(b);
  const n = na < nb ? na : nb;
  for (let i = 0; i < n; i++) {
    const c = compareDigitStrings(a[i] as string, b[i] as string);
    if (c !== 0) return c;
  }
  return na === nb ? 0 : na < nb ? -1 : 1;
}

// pre_rank of _cmpkey: dev-only = -1, a = 0, b = 1, rc = 2, no pre = 3.
function preRank(v: Version): number {
  if (v.pre !== null) return v.pre.label === 'a' ? 0 : v.pre.label === 'b' ? 1 : 2;
  return v.post === null && v.dev !== null ? -1 : 3;
}

function compareSuffix(a: Version, b: Version): Ordering {
  const ra = preRank(a);
  const rb = preRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  let c = compareDigitStrings(a.pre?.number ?? '0', b.pre?.number ?? '0');
  if (c !== 0) return c;
  // post: absent sorts before any post-release.
  if (a.post === null || b.post === null) {
    if (a.post !== b.post) return a.post === null ? -1 : 1;
  } else if ((c = compareDigitStrings(a.post, b.post)) !== 0) return c;
  // dev: present sorts before absent.
  if (a.dev === null || b.dev === null) {
    if (a.dev !== b.dev) return a.dev === null ? 1 : -1;
    return 0;
  }
  return compareDigitStrings(a.dev, b.dev);
}

// A local part is an integer only when every character is a digit ("0a" is a string).
function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x39) return false;
  return true;
}

// Local parts: strings sort before integers, strings by code point, integers by value,
// and a shorter segment sorts first when it is a prefix of the other.
function compareLocal(a: readonly string[] | null, b: readonly string[] | null): Ordering {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const dx = isDigits(x);
    const dy = isDigits(y);
    if (dx !== dy) return dx ? 1 : -1;
    const c = dx ? compareDigitStrings(x, y) : x === y ? 0 : x < y ? -1 : 1;
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** PEP 440 order, as packaging's `<`, `==`, `>` on Version. */
export function compareVersions(a: Version, b: Version): Ordering {
  return (
    compareDigitStrings(a.epoch, b.epoch) ||
    compareRelease(a.release, b.release) ||
    compareSuffix(a, b) ||
    compareLocal(a.local, b.local)
  );
}

/** packaging's `==`: 1.0 == 1.0.0, 1.0+01 == 1.0+1. */
export function versionsEqual(a: Version, b: Version): boolean {
  return compareVersions(a, b) === 0;
}
