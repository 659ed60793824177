/**
 * What the version checks report: one Finding per problem, each with one sentence that
 * names the concrete values and, where there is one, a fix.
 *
 * Messages are plain text. Every value that came from the repository (a version, a tag,
 * a branch, a registry name) is wrapped in backticks by `quote()`, which also removes
 * backticks, line breaks and control characters from the value, so that a consumer can
 * tell our words from the repository's: the report renders backtick spans as code and
 * escapes the rest (see report.ts), and a status line simply drops the backticks.
 */
export type Severity = 'error' | 'warning' | 'notice';

export type FindingCode =
  | 'invalid-version'
  | 'non-canonical-version'
  | 'version-missing'
  | 'version-unknown'
  | 'dynamic-version'
  | 'version-unreadable'
  | 'version-not-greater'
  | 'version-not-bumped'
  | 'version-already-tagged'
  | 'version-already-published'
  /** Reserved for the publishing job: a file of the release already exists on the index. */
  | 'files-already-published'
  | 'local-version-on-pypi'
  | 'tag-mismatch'
  | 'tag-rejected'
  | 'prerelease-forbidden'
  | 'invalid-config'
  | 'config-note'
  | 'project-problem'
  | 'no-registries'
  /** The server config does not let this repository publish (this name) to a target it names. */
  | 'registry-not-allowed'
  | 'release-branch'
  | 'tag-unprotected'
  /** require-changelog: the version a change request sets has no entry in the changelog. */
  | 'changelog-entry-missing';

export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  /** One sentence, plain text, repository values in backticks. */
  readonly message: string;
  /** What to do about it, same conventions; null when there is nothing to do. */
  readonly fix: string | null;
  /** The config or pyproject field at fault, as a dotted path. */
  readonly field?: string;
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { error: 0, warning: 1, notice: 2 };

/** Errors first, then warnings, then notices; the order within a severity is kept. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  // Array.prototype.sort is stable (ES2019), which keeps the order within a severity.
  return [...findings].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, notice: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** Longest value, in UTF-16 code units, that a message quotes before cutting it. */
export const MAX_VALUE_LENGTH = 80;

// C0 and C1 controls, DEL, and the invisible format characters that can reorder or hide
// text (bidi embeddings, overrides and isolates: the "Trojan Source" characters).
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Removes control and bidi characters; line breaks and tabs become spaces. */
export function stripControl(text: string): string {
  return text.replace(/[\r\n\t\u2028\u2029]+/g, ' ').replace(UNSAFE_CHARS, '');
}

/** Cuts text to at most `max` code units without splitting a surrogate pair; adds '…'. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - 1);
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return `${text.slice(0, cut)}…`;
}

/** A repository value, made safe for a message: `value`. */
export function quote(value: string): string {
  const clean = truncate(stripControl(value).replace(/`/g, "'"), MAX_VALUE_LENGTH);
  return `\`${clean}\``;
}

export function finding(
  code: FindingCode,
  severity: Severity,
  message: string,
  fix: string | null,
  field?: string,
): Finding {
  return field === undefined ? { code, severity, message, fix } : { code, severity, message, fix, field };
}
