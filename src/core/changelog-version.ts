import { parseVersion } from './pep440.js';
import type { Version } from './pep440.js';

/**
 * The version a changelog heading names, as people write them:
 *
 *   [1.2.0] - 2026-01-01            [22.2.0](https://…/tree/22.2.0) - 2022-12-21
 *   1.2.0 (2026-01-01)              v20.17.1 (2022-12-05)       0.10.1 -- 2022-10-25
 *   Version 1.5                     pluggy 1.0.0 (2021-08-25)   Release 4.4.0 (October 6, 2022)
 *   Changes for v2.0.0 (…)          SecretStorage 3.3.3, 2022-08-13
 *   `v2.6.0 <https://…>`__          Version 1.11.1, released 2020-02-17
 *
 * Up to three words may come before the version ("Version", a project name, "Changes
 * for"); what follows must be nothing, a date, or punctuation, never another word, so
 * that "Python 3.12 support" or "Bugfixes - 20.17.1" (a towncrier subsection) is no
 * version heading. Tokens are cut by hand, no regular expression.
 */
const LEADING = '[(`*_"\'<';
const TRAILING = '])`*_,:;"\'>.';
const FOLLOWING_WORDS = new Set(['released', 'release', 'unreleased', 'yanked', 'final', 'not', 'in', 'on', 'from']);

function strip(token: string): string {
  let a = 0;
  let b = token.length;
  // `[22.2.0](https://…)` and `` `v2.6.0 `` carry a link after the text: keep the text.
  const link = token.indexOf('](');
  if (link >= 0) b = link;
  while (a < b && LEADING.includes(token[a] ?? '')) a++;
  while (b > a && TRAILING.includes(token[b - 1] ?? '')) b--;
  return token.slice(a, b);
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isWord(token: string): boolean {
  const first = token[0] ?? '';
  if (!/[A-Za-z]/.test(first)) return false;
  for (const c of token) if (!/[A-Za-z0-9._-]/.test(c)) return false;
  return true;
}

function looksLikeVersion(token: string): boolean {
  return isDigit(token[0]) || ((token[0] === 'v' || token[0] === 'V') && isDigit(token[1]));
}

/** Whether what follows the version is a date, punctuation or one of a few words. */
function acceptableRest(rest: readonly string[], versionToken: string): boolean {
  const next = rest[0];
  if (next === undefined) return true;
  // "SecretStorage 3.3.3, 2022-08-13": the version token ended in punctuation.
  if (/[,:;]$/.test(versionToken)) return true;
  const first = next[0] ?? '';
  if (isDigit(first)) return true;
  if (/[A-Za-z]/.test(first)) return FOLLOWING_WORDS.has(next.toLowerCase().replace(/[^a-z]/g, ''));
  // `<https://…>`__ after an RST link's text, "(2026-01-01)", "- 2026-01-01", "—", "/".
  return true;
}

export interface HeadingVersion {
  /** The token as written, without brackets or a link (`v20.17.1`, `1.2`). */
  readonly text: string;
  readonly version: Version;
}

/** The version a heading title names, or null. */
export function headingVersion(title: string): HeadingVersion | null {
  if (title.length > 200) return null;
  const tokens = title.split(/[ \t]+/).filter((t) => t !== '');
  for (let i = 0; i < tokens.length && i <= 3; i++) {
    const raw = tokens[i] ?? '';
    const token = strip(raw);
    if (token === '') return null;
    if (!looksLikeVersion(token)) {
      if (!isWord(token)) return null;
      continue;
    }
    const version = parseVersion(token);
    if (version === null) return null;
    const rawEnd = raw.indexOf('](') >= 0 ? raw.slice(0, raw.indexOf('](')) : raw;
    return acceptableRest(tokens.slice(i + 1), rawEnd) ? { text: token, version } : null;
  }
  return null;
}
