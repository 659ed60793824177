// String forms of a parsed version, as packaging 26.2 prints them: `str(Version)`,
// `.public`, `.base_version` and `packaging.utils.canonicalize_version`.
import { MAX_INT_DIGITS, parseVersion } from './pep440-parse.js';
import type { Version } from './pep440-parse.js';

function releaseString(release: readonly string[], trimTrailingZeros: boolean): string {
  let n = release.length;
  // _TrimmedRelease keeps one element: canonicalize_version('0.0') is '0'.
  if (trimTrailingZeros) while (n > 1 && release[n - 1] === '0') n--;
  let out = release[0] ?? '0';
  for (let i = 1; i < n; i++) out += '.' + (release[i] as string);
  return out;
}

function render(v: Version, trim: boolean, withLocal: boolean): string {
  let out = releaseString(v.release, trim);
  if (v.epoch !== '0') out = v.epoch + '!' + out;
  if (v.pre !== null) out += v.pre.label + v.pre.number;
  if (v.post !== null) out += '.post' + v.post;
  if (v.dev !== null) out += '.dev' + v.dev;
  if (withLocal && v.local !== null) out += '+' + v.local.join('.');
  return out;
}

/** `str(packaging.version.Version(...))` for an already parsed version. */
export function formatVersion(v: Version): string {
  return render(v, false, true);
}

// Most inputs are already canonical releases like `1.2.3`; recognising those without
// building a Version more than doubles the throughput of normalizeVersion.
function isCanonicalRelease(s: string): boolean {
  const n = s.length;
  let partStart = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      const len = i - partStart;
      if (len === 0 || len > MAX_INT_DIGITS) return false;
      if (len > 1 && s.charCodeAt(partStart) === 0x30) return false; // leading zero
      partStart = i + 1;
    } else if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** `str(Version(input))`, or null where packaging raises. */
export function normalizeVersion(input: string): string | null {
  if (isCanonicalRelease(input)) return input;
  const v = parseVersion(input);
  return v === null ? null : render(v, false, true);
}

/**
 * `packaging.utils.canonicalize_version`: invalid strings come back unaltered. Strings
 * with a number over 4300 digits, for which packaging raises ValueError, count as
 * invalid here (see MAX_INT_DIGITS).
 */
export function canonicalizeVersion(input: string | Version, stripTrailingZero = true): string {
  let v: Version | null;
  if (typeof input === 'string') {
    v = parseVersion(input);
    if (v === null) return input;
  } else v = input;
  return render(v, stripTrailingZero, true);
}

/** `Version.public`: everything before the local segment. */
export function publicVersion(v: Version): string {
  return render(v, false, false);
}

/** `Version.base_version`: epoch and release only. */
export function baseVersion(v: Version): string {
  const rel = releaseString(v.release, false);
  return v.epoch === '0' ? rel : v.epoch + '!' + rel;
}

export function isPrerelease(v: Version): boolean {
  return v.dev !== null || v.pre !== null;
}

export function isPostrelease(v: Version): boolean {
  return v.post !== null;
}

export function isDevrelease(v: Version): boolean {
  return v.dev !== null;
}

export function hasLocal(v: Version): boolean {
  return v.local !== null;
}
