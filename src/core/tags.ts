// Release tag names -> candidate versions under a repository's tag policy, and the
// "commit subject starts with a version" trigger. Every tag name that reaches git, a URL,
// a job id or a log line passes classifyTag first, so the safety checks come before any
// version logic and are stricter than git itself.
import type { Version } from './pep440.js';
import { normalizeVersion, parseVersion } from './pep440.js';

export type TagPolicy = { prefixes: readonly string[]; mode: 'strict' | 'lenient' };

// Frozen: it is shared by every caller that omits a policy.
export const DEFAULT_TAG_POLICY: TagPolicy = Object.freeze({ prefixes: Object.freeze(['v', 'v-', '']), mode: 'strict' });

export type TagVerdict =
  | { kind: 'release'; tag: string; prefix: string; version: Version; normalized: string }
  | { kind: 'not-a-release'; tag: string; reason: string }
  | { kind: 'rejected'; tag: string; reason: string; fix?: string };

// Filesystems cap a path component (a loose ref file) at 255 bytes; forges cap lower.
export const MAX_TAG_BYTES = 255;

// `!` is included although PEP 440 uses it for epochs: safety wins over the rare epoch,
// and a tag with `!` is refused with a reason that says so.
const SHELL_META = new Set(['$', ';', '|', '&', '<', '>', '(', ')', '{', '}', "'", '"', '`', '!']);
// git check-ref-format: "cannot have ASCII control characters, space, ~ ^ : ? * [ or \".
const GIT_FORBIDDEN = new Set([' ', '~', '^', ':', '?', '*', '[', '\\']);

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

function show(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code < 0x20 || code === 0x7f ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : `'${c}'`;
}

/** Why a tag name is unsafe to hand to git, a shell or a URL, or null when it is safe. */
export function unsafeTagReason(tag: string): string | null {
  if (tag === '') return 'the tag name is empty';
  const bytes = utf8Length(tag);
  if (bytes > MAX_TAG_BYTES) return `the tag name is ${bytes} bytes long; the limit is ${MAX_TAG_BYTES}`;
  for (const ch of tag) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x20 || c === 0x7f) return `the tag name contains the control character ${show(ch)}`;
    if (c > 0x7e) {
      return `the tag name contains the non-ASCII character U+${c.toString(16).toUpperCase().padStart(4, '0')} (look-alikes of ASCII letters and digits are refused)`;
    }
    if (ch === '!') return "the tag name contains '!' (a PEP 440 epoch): tags with '!' are refused as unsafe in shells";
    if (SHELL_META.has(ch)) return `the tag name contains the shell metacharacter ${show(ch)}`;
    if (GIT_FORBIDDEN.has(ch)) return `git refuses tag names containing ${show(ch)}`;
  }
  if (tag.startsWith('-')) return "the tag name starts with '-' and would be read as a command-line option";
  if (tag === '@') return "'@' alone is git's shorthand for HEAD";
  if (tag.includes('..')) return "git refuses tag names containing '..'";
  if (tag.includes('@{')) return "git refuses tag names containing '@{'";
  if (tag.startsWith('/')) return "git refuses tag names starting with '/'";
  if (tag.endsWith('/')) return "git refuses tag names ending with '/'";
  if (tag.includes('//')) return "git refuses tag names containing '//'";
  if (tag.endsWith('.')) return "git refuses tag names ending with '.'";
  for (const part of tag.split('/')) {
    if (part.startsWith('.')) return `git refuses the path component '${part}' because it starts with '.'`;
    if (part.endsWith('.lock')) return `git refuses the path component '${part}' because it ends with '.lock'`;
  }
  return null;
}

// A PEP 440 version may itself start with `v` or `V` ("v1.0" is a valid spelling of 1.0).
const LOOKS_LIKE_VERSION = /^[vV]?[0-9]/;

export function classifyTag(tag: string, policy: TagPolicy = DEFAULT_TAG_POLICY): TagVerdict {
  const unsafe = unsafeTagReason(tag);
  if (unsafe !== null) return { kind: 'rejected', tag, reason: unsafe };

  // Longest prefix first, so `v-1.0` under [v, v-, ''] strips `v-`, and '' comes last.
  const prefixes = [...new Set(policy.prefixes)].sort((a, b) => b.length - a.length);
  const prefix = prefixes.find((p) => tag.startsWith(p));
  const preferred = prefixes.includes('v') ? 'v' : (policy.prefixes[0] ?? '');

  if (prefix === undefined && policy.prefixes.length === 0) {
    return { kind: 'not-a-release', tag, reason: 'the tag policy allows no release prefix' };
  }
  if (prefix === undefined) {
    // A bare valid version under a policy that demands a prefix is a release attempt
    // with the wrong name: say so instead of ignoring it silently.
    const normalized = LOOKS_LIKE_VERSION.test(tag) ? normalizeVersion(tag) : null;
    if (normalized !== null) {
      const allowed = policy.prefixes.map((p) => `'${p}'`).join(', ');
      return { kind: 'rejected', tag, reason: `\`${tag}\` has none of the allowed prefixes (${allowed})`, fix: tagForVersion(normalized, preferred) };
    }
    return { kind: 'not-a-release', tag, reason: 'the tag does not start with a release prefix' };
  }

  const rest = tag.slice(prefix.length);
  if (!LOOKS_LIKE_VERSION.test(rest)) {
    return { kind: 'not-a-release', tag, reason: `\`${rest}\` after the prefix '${prefix}' does not start with a digit` };
  }
  const version = parseVersion(rest);
  const normalized = version === null ? null : normalizeVersion(rest);
  if (version === null || normalized === null) {
    return { kind: 'rejected', tag, reason: `\`${rest}\` is not a valid PEP 440 version` };
  }
  if (policy.mode === 'strict' && normalized !== rest) {
    // A `v` inside the rest (only reachable through the '' prefix or a doubled `vv`)
    // means the author meant the `v` prefix.
    const fixPrefix = /^[vV]/.test(rest) ? preferred : prefix;
    return {
      kind: 'rejected',
      tag,
      reason: `\`${rest}\` is not canonical: the canonical spelling is \`${normalized}\``,
      fix: tagForVersion(normalized, fixPrefix),
    };
  }
  return { kind: 'release', tag, prefix, version, normalized };
}

/** The tag to push for a version; expects the canonical spelling, adds the prefix. */
export function tagForVersion(normalized: string, prefix = 'v'): string {
  return prefix + normalized;
}

// Ends a leading token: whitespace or the punctuation that follows a version in
// subjects such as `v2.0.0: big`, `1.2.3, 1.2.4` or `(1.2.3)`.
const TOKEN = /^[^\s:,;)]+/;

/**
 * The version a commit subject starts with, or null. The subject is the first non-blank
 * line, trimmed (as `git log --format=%s` skips leading blank lines). Its first token must
 * be a whole PEP 440 version, optionally spelled with a leading `v`, that starts with a
 * digit and has at least two release components: a bare integer such as `2024 recap` or
 * `3 fixes` is a valid PEP 440 version but far more often the start of a sentence.
 * `Release 1.2.3` stays null on purpose: the version must come first.
 */
export function versionFromCommitMessage(
  message: string,
): { version: Version; normalized: string; spelled: string } | null {
  const subject = message.split(/\r\n|\r|\n/).find((line) => line.trim() !== '')?.trim() ?? '';
  const spelled = TOKEN.exec(subject)?.[0];
  if (spelled === undefined || !LOOKS_LIKE_VERSION.test(spelled)) return null;
  const version = parseVersion(spelled);
  const normalized = normalizeVersion(spelled);
  if (version === null || normalized === null || version.release.length < 2) return null;
  return { version, normalized, spelled };
}
