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

export function renderReport(input: {
  readonly findings: readonly Finding[];
  readonly subject: string;
  readonly previouslyFailing?: boolean;
}): string {
  const findings = sortFindings(input.findings);
  const failing = hasErrors(findings);
  const subject = escapeText(input.subject, 200);
  const head: string[] = [REPORT_MARKER];
  if (failing) head.push(`### ❌ pyrelease: version problems in ${subject}`);
  else head.push(`### ✅ pyrelease: ${subject} passes the version checks`);
  head.push('');
  if (!failing && input.previouslyFailing === true) head.push('All version problems are fixed.', '');
  if (findings.length === 0) {
    if (input.previouslyFailing !== true) head.push('No version problems found.');
    return head.join('\n').trimEnd() + '\n';
  }
  head.push(summary(findings) + ':', '', '| | Problem | Fix |', '| --- | --- | --- |');

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
