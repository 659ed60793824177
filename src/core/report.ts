import { countBySeverity, hasErrors, sortFindings, truncate } from './findings.js';
import type { Finding, Severity } from './findings.js';
import { escapeText, plainText, renderMessage } from './markdown.js';

/**
 * The change-request comment and the one-line commit status. The comment is found again
 * by its first line, the marker, and edited in place; everything in it that came from
 * the repository is escaped (markdown.ts), so a hostile version or tag name cannot
 * mention people, link anywhere, break the table or hide the rest of the comment.
 */
export const REPORT_MARKER = '<!-- pyrelease:report -->';

/** GitHub refuses comments over 65,536 characters; stay well below (GitLab allows 1,000,000). */
export const MAX_REPORT_LENGTH = 60_000;

/** GitHub's commit-status description limit. */
export const MAX_STATUS_LENGTH = 140;

const LABEL: Readonly<Record<Severity, string>> = { error: '❌ error', warning: '⚠️ warning', notice: 'ℹ️ notice' };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function summary(findings: readonly Finding[]): string {
  const c = countBySeverity(findings);
  const parts: string[] = [];
  if (c.error > 0) parts.push(plural(c.error, 'error'));
  if (c.warning > 0) parts.push(plural(c.warning, 'warning'));
  if (c.notice > 0) parts.push(plural(c.notice, 'notice'));
  return parts.join(', ');
}

function row(f: Finding): string {
  const fix = f.fix === null ? '—' : renderMessage(f.fix);
  return `| ${LABEL[f.severity]} | ${renderMessage(f.message)} | ${fix} |`;
}

export interface ReportInput {
  readonly findings: readonly Finding[];
  readonly subject: string;
  readonly previouslyFailing?: boolean;
}

/**
 * What a report says, before it is written as markdown (the comment) or as text (a
 * terminal, report-text.ts), so that both say the same thing in the same order.
 */
export interface ReportModel {
  /** Errors first, then warnings, then notices. */
  readonly findings: readonly Finding[];
  readonly failing: boolean;
  /** As the repository spells it, not escaped: each renderer makes it safe for its medium. */
  readonly subject: string;
  /** The previous report failed and this one passes. */
  readonly fixed: boolean;
  readonly previouslyFailing: boolean;
  /** "1 error, 2 warnings"; empty without findings. */
  readonly summary: string;
}

export function buildReport(input: ReportInput): ReportModel {
  const findings = sortFindings(input.findings);
  const failing = hasErrors(findings);
  const previouslyFailing = input.previouslyFailing === true;
  return { findings, failing, subject: input.subject, fixed: !failing && previouslyFailing, previouslyFailing, summary: summary(findings) };
}

export function renderReport(input: ReportInput): string {
  const report = buildReport(input);
  const { findings, failing } = report;
  const subject = escapeText(report.subject, 200);
  const head: string[] = [REPORT_MARKER];
  if (failing) head.push(`### ❌ pyrelease: version problems in ${subject}`);
  else head.push(`### ✅ pyrelease: ${subject} passes the version checks`);
  head.push('');
  if (report.fixed) head.push('All version problems are fixed.', '');
  if (findings.length === 0) {
    if (!report.previouslyFailing) head.push('No version problems found.');
    return head.join('\n').trimEnd() + '\n';
  }
  head.push(report.summary + ':', '', '| | Problem | Fix |', '| --- | --- | --- |');

  let body = head.join('\n');
  // Reserve room for the closing note, then add rows while they fit.
  const budget = MAX_REPORT_LENGTH - 200;
  let shown = 0;
  for (const f of findings) {
    const line = '\n' + row(f);
    if (body.length + line.length > budget) break;
    body += line;
    shown++;
  }
  const left = findings.length - shown;
  if (left > 0) body += `\n\n${plural(left, 'more finding')} left out to keep this comment within the size limit.`;
  return body + '\n';
}

export function statusLine(findings: readonly Finding[]): { state: 'success' | 'failure'; description: string } {
  const sorted = sortFindings(findings);
  const first = sorted[0];
  if (!hasErrors(sorted)) {
    const c = countBySeverity(sorted);
    const extra = c.warning > 0 ? ` (${plural(c.warning, 'warning')})` : '';
    return { state: 'success', description: `Version checks passed${extra}` };
  }
  const errors = countBySeverity(sorted).error;
  const lead = errors === 1 ? '' : `${errors} errors; `;
  const text = lead + plainText(first?.message ?? '');
  return { state: 'failure', description: truncate(text, MAX_STATUS_LENGTH) };
}

/** Whether a comment body is a report of ours (the adapter must also check the author). */
export function isOwnReport(body: string): boolean {
  return body.trimStart().startsWith(REPORT_MARKER);
}
