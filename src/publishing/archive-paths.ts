/**
 * Path rules for extracting untrusted tar archives. Pure functions over the strings in
 * the tar headers, so that every refusal can be tested without touching a disk.
 *
 * Entry paths are relative, `/`-separated, with no `..`, no backslash, no drive letter
 * and no control character. `.` and empty components (`./a//b/`) are dropped, since
 * `git archive` never needs them and they only make two spellings of one path.
 */

export type PathCheck = { readonly ok: true; readonly parts: readonly string[] } | { readonly ok: false; readonly reason: string };

// Control characters (C0, DEL, C1): a NUL ends a C string early, and the others
// garble logs and terminals.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const DRIVE = /^[A-Za-z]:/;

/** Splits and checks an entry path; `parts` is never empty. */
export function checkEntryPath(raw: string, limits: { maxPathLength: number; maxDepth: number }): PathCheck {
  if (raw.length === 0) return { ok: false, reason: 'empty path' };
  if (CONTROL.test(raw)) return { ok: false, reason: 'control character in path' };
  // A backslash is a separator on Windows: `a\..\..\x` would climb there, and a Python
  // source tree has no business holding one.
  if (raw.includes('\\')) return { ok: false, reason: 'backslash in path' };
  if (raw.startsWith('/')) return { ok: false, reason: 'absolute path' };
  if (DRIVE.test(raw)) return { ok: false, reason: 'drive letter in path' };
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { ok: false, reason: '".." in path' };
  if (parts.length === 0) return { ok: false, reason: 'empty path' };
  if (parts.some((p) => DRIVE.test(p))) return { ok: false, reason: 'drive letter in path' };
  const joined = parts.join('/');
  if (joined.length > limits.maxPathLength) return { ok: false, reason: `path longer than ${limits.maxPathLength}` };
  if (parts.length > limits.maxDepth) return { ok: false, reason: `path deeper than ${limits.maxDepth}` };
  return { ok: true, parts };
}

/**
 * A symlink is allowed when its target is relative and has the form `../` * k followed
 * by plain components, with k no larger than the depth of the link's directory.
 *
 * Why this is enough, whatever order the entries come in: the link's own directory is a
 * real directory inside the root (entries never pass through a symlink), so climbing k
 * levels from it stays inside; after that the target only descends, and descending
 * through another link lands where that link points, which by the same rule is inside.
 * A lexical check alone (normalize, then test the prefix) is not enough: with
 * `p -> .`, the target `p/..` normalizes to `.` but resolves to the root's parent.
 */
export function checkSymlinkTarget(linkParts: readonly string[], target: string): { ok: true } | { ok: false; reason: string } {
  if (target.length === 0) return { ok: false, reason: 'empty symlink target' };
  if (CONTROL.test(target)) return { ok: false, reason: 'control character in symlink target' };
  if (target.includes('\\')) return { ok: false, reason: 'backslash in symlink target' };
  if (target.startsWith('/') || DRIVE.test(target)) return { ok: false, reason: 'absolute symlink target' };
  const parts = target.split('/').filter((p) => p !== '' && p !== '.');
  let ups = 0;
  while (parts[ups] === '..') ups += 1;
  if (parts.slice(ups).includes('..')) return { ok: false, reason: 'symlink target climbs after descending' };
  const linkDirDepth = linkParts.length - 1;
  if (ups > linkDirDepth) return { ok: false, reason: 'symlink target leaves the archive' };
  return { ok: true };
}

/**
 * Key for "is this path, or one of its ancestors, a link we created": folded so that a
 * case-insensitive or normalizing filesystem (macOS, Windows) cannot be tricked with
 * `Docs/x` after a link `docs`. On Linux this only makes the check stricter.
 */
export function linkKey(parts: readonly string[]): string {
  return parts.join('/').normalize('NFC').toLowerCase();
}

/** An entry name fit for an error message or a log line: printable and short. */
export function sanitizeEntryName(raw: string): string {
  const printable = raw.replace(new RegExp(CONTROL.source, 'gu'), '?');
  return printable.length > 200 ? `${printable.slice(0, 200)}...` : printable;
}
