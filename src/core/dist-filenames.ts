// Wheel and sdist file names parsed exactly as packaging.utils 26.2
// (parse_wheel_filename, parse_sdist_filename) parses them.
import { parseVersion } from './pep440.js';
import type { Version } from './pep440.js';
import { canonicalizeName } from './names.js';
import { PY_WORD_CLASS } from './name-unicode.js';
import { parseWheelTag } from './wheel-tags.js';
import type { WheelTag } from './wheel-tags.js';

export interface BuildTag {
  /** The leading digits as a canonical decimal string (int() in packaging: "007" -> "7"). */
  readonly number: string;
  /** Whatever follows the digits. */
  readonly tag: string;
}

/** Which packaging exception the failure stands for: all are InvalidWheelFilename but 'build-number-size' (ValueError). */
export type WheelFilenameError = 'extension' | 'parts' | 'name' | 'version' | 'build' | 'build-number-size' | 'tag-order';
export type SdistFilenameError = 'extension' | 'parts' | 'version';

export type WheelFilenameResult =
  | {
      readonly ok: true;
      /** PEP 503 normalized. */
      readonly name: string;
      readonly version: Version;
      readonly build: BuildTag | null;
      readonly tags: readonly WheelTag[];
    }
  | { readonly ok: false; readonly code: WheelFilenameError; readonly reason: string };

export type SdistFilenameResult =
  | { readonly ok: true; readonly name: string; readonly version: Version }
  | { readonly ok: false; readonly code: SdistFilenameError; readonly reason: string };

export interface ParseWheelOptions {
  /** validate_order=True: compressed tag sets must be sorted (PEP 425). */
  readonly validateOrder?: boolean;
}

// re.match(r"^[\w\d._]*$", name, re.UNICODE): Python's `$` also matches just before a
// final "\n", so "foo\n" passes; `\d` is inside `\w` already.
const WHEEL_NAME_PART = new RegExp(`^[${PY_WORD_CLASS}.]*\\n?$`, 'u');
// _build_tag_regex `(\d+)(.*)` with re.ASCII, used with match(): anchored at the start
// only, and Python's `.` stops at "\n" alone (JS's `.` also stops at \r, U+2028, U+2029).
const BUILD_TAG = /^([0-9]+)([^\n]*)/;
// CPython >= 3.11 refuses int() of a string longer than this (sys.int_info.str_digits_check_threshold
// default); packaging then raises a plain ValueError.
const PY_INT_MAX_STR_DIGITS = 4300;

function countDashes(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === '-') n++;
  return n;
}

/** Python's str.split("-", maxsplit). */
function splitMax(s: string, maxsplit: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < maxsplit) {
    const i = rest.indexOf('-');
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + 1);
  }
  out.push(rest);
  return out;
}

function wheelFail(code: WheelFilenameError, reason: string): WheelFilenameResult {
  return { ok: false, code, reason };
}

/** packaging.utils.parse_wheel_filename; every refusal is a value. */
export function parseWheelFilename(filename: string, options: ParseWheelOptions = {}): WheelFilenameResult {
  const q = JSON.stringify(filename);
  if (!filename.endsWith('.whl')) return wheelFail('extension', `Invalid wheel filename (extension must be '.whl'): ${q}`);
  const stem = filename.slice(0, -4);
  const dashes = countDashes(stem);
  if (dashes !== 4 && dashes !== 5) {
    return wheelFail('parts', `Invalid wheel filename (wrong number of parts: ${dashes + 1}, expected 5 or 6): ${q}`);
  }
  const parts = splitMax(stem, dashes - 2);
  const namePart = parts[0] ?? '';
  if (namePart.includes('__') || !WHEEL_NAME_PART.test(namePart)) {
    return wheelFail('name', `Invalid project name ${JSON.stringify(namePart)} in wheel filename ${q}`);
  }
  const version = parseVersion(parts[1] ?? '');
  if (version === null) {
    return wheelFail('version', `Invalid wheel filename (invalid version ${JSON.stringify(parts[1])}): ${q}`);
  }
  let build: BuildTag | null = null;
  if (dashes === 5) {
    const buildPart = parts[2] ?? '';
    const m = BUILD_TAG.exec(buildPart);
    if (m === null) {
      return wheelFail('build', `Invalid build number ${JSON.stringify(buildPart)} (must start with a digit) in ${q}`);
    }
    const digits = m[1] ?? '';
    if (digits.length > PY_INT_MAX_STR_DIGITS) {
      return wheelFail('build-number-size', `Build number longer than ${PY_INT_MAX_STR_DIGITS} digits in ${q}`);
    }
    build = { number: digits.replace(/^0+(?=.)/, ''), tag: m[2] ?? '' };
  }
  const tagResult = parseWheelTag(parts[parts.length - 1] ?? '', options);
  if (!tagResult.ok) {
    // Two dashes are left in the last part by construction, so only order can fail.
    return wheelFail(
      'tag-order',
      `Invalid wheel filename (compressed tag set components must be in sorted order per PEP 425): ${q}`,
    );
  }
  return { ok: true, name: canonicalizeName(namePart), version, build, tags: tagResult.tags };
}

/** packaging.utils.parse_sdist_filename: ".tar.gz" or ".zip", split on the last dash, no name check. */
export function parseSdistFilename(filename: string): SdistFilenameResult {
  const q = JSON.stringify(filename);
  let stem: string;
  if (filename.endsWith('.tar.gz')) stem = filename.slice(0, -'.tar.gz'.length);
  else if (filename.endsWith('.zip')) stem = filename.slice(0, -'.zip'.length);
  else return { ok: false, code: 'extension', reason: `Invalid sdist filename (extension must be '.tar.gz' or '.zip'): ${q}` };
  // A PEP 440 version cannot contain a dash, so the last one separates name and version.
  const dash = stem.lastIndexOf('-');
  if (dash < 0) return { ok: false, code: 'parts', reason: `Invalid sdist filename (no dash between name and version): ${q}` };
  const versionPart = stem.slice(dash + 1);
  const version = parseVersion(versionPart);
  if (version === null) {
    return { ok: false, code: 'version', reason: `Invalid sdist filename (invalid version ${JSON.stringify(versionPart)}): ${q}` };
  }
  return { ok: true, name: canonicalizeName(stem.slice(0, dash)), version };
}
