// Project names as pypa/packaging 26.2 (packaging.utils) handles them.
import { pythonLower } from './name-unicode.js';

export type NameResult = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly reason: string };

// Core metadata `Name`: ASCII letters and digits, with `.`, `_`, `-` inside. Explicit
// ranges instead of the `i` flag, so that no non-ASCII letter (U+212A KELVIN SIGN,
// U+017F LONG S) can ever match through case folding; packaging uses re.ASCII too.
const VALID_NAME = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/;

// packaging 26.2's _normalized_regex, kept verbatim. Its lookahead sits after the
// consumed character, so it accepts a single interior "--" next to a one-character
// run ("a--b", "1--1") although canonicalizeName("a--b") is "a-b". Fixed upstream
// after 26.2 (pypa/packaging#1230); we follow the released 26.2, as the brief asks.
const NORMALIZED_NAME = /^(?:[a-z0-9]|[a-z0-9](?:[a-z0-9-](?!--))*[a-z0-9])$/;

/**
 * PEP 503 normalization, `re.sub(r"[-_.]+", "-", name).lower()`, exactly as
 * packaging.utils.canonicalize_name does it (Unicode lowercasing, no validation,
 * leading and trailing separators kept: "_a_" -> "-a-").
 */
export function canonicalizeName(name: string): string {
  // packaging lowercases first and then collapses; no lowercasing yields -, _ or .,
  // so the order does not change the result.
  return pythonLower(name).replace(/[-_.]+/g, '-');
}

/** True when `name` is a valid core-metadata Name (ASCII, case-insensitive). */
export function isValidProjectName(name: string): boolean {
  return VALID_NAME.test(name);
}

/** canonicalize_name(name, validate=True): the normalized name, or why it is refused. */
export function canonicalizeValidName(name: string): NameResult {
  if (!isValidProjectName(name)) {
    return {
      ok: false,
      reason:
        `name is invalid: ${JSON.stringify(name)}; a project name must start and end with an ` +
        `ASCII letter or digit and contain only ASCII letters, digits, ".", "_" and "-"`,
    };
  }
  return { ok: true, name: canonicalizeName(name) };
}

/** packaging.utils.is_normalized_name (26.2, quirk included: see NORMALIZED_NAME). */
export function isNormalizedName(name: string): boolean {
  return NORMALIZED_NAME.test(name);
}

/**
 * The name as wheel and sdist file names spell it (binary distribution format,
 * "Escaping and Unicode"; PEP 625): PEP 503 normalized, then "-" -> "_".
 */
export function distFilenameName(name: string): string {
  return canonicalizeName(name).replaceAll('-', '_');
}
