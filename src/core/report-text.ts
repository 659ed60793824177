import { stripControl, truncate } from './findings.js';
import type { Finding, Severity } from './findings.js';
import type { ReportModel } from './report.js';

/**
 * The report for a person at a terminal (`pyrelease check`): a header line, then one
 * line per finding with its fix. Nothing is escaped for markdown (a terminal shows
 * backslashes as they are), but every control character is removed from what came from
 * the repository, so that a hostile project name cannot move the cursor, rewrite the
 * line or change the colours: the only escape sequences in the output are our own.
 * Repository values keep their backticks, which tell them apart from our words when
 * there is no colour.
 */
export interface TextOptions {
  /** ANSI colours; the CLI decides (a TTY, NO_COLOR, FORCE_COLOR: see useColor in cli/io.ts). */
  readonly color: boolean;
}

type Paint = 'red' | 'yellow' | 'cyan' | 'green' | 'bold';
const SGR: Readonly<Record<Paint, string>> = { red: '1;31', yellow: '1;33', cyan: '1;36', green: '1;32', bold: '1' };
const SEVERITY_PAINT: Readonly<Record<Severity, Paint>> = { error: 'red', warning: 'yellow', notice: 'cyan' };

function painter(color: boolean): (paint: Paint, text: string) => string {
  return color ? (paint, text) => `\u001b[${SGR[paint]}m${text}\u001b[0m` : (_paint, text) => text;
}

function clean(text: string, max: number): string {
  return truncate(stripControl(text), max);
}

function line(f: Finding, paint: (p: Paint, t: string) => string): string {
  const fix = f.fix === null ? '' : ` ${paint('bold', 'Fix:')} ${clean(f.fix, 1000)}`;
  return `${paint(SEVERITY_PAINT[f.severity], `${f.severity}:`)} ${clean(f.message, 1000)}${fix}`;
}

export function renderReportText(report: ReportModel, options: TextOptions): string {
  const paint = painter(options.color);
  const subject = clean(report.subject, 200);
  const counts = report.summary === '' ? '' : `: ${report.summary}`;
  const head = report.failing
    ? paint('red', `pyrelease: version problems in ${subject}${counts}`)
    : paint('green', `pyrelease: ${subject} passes the version checks${counts}`);
  const lines = [head];
  if (report.fixed) lines.push('All version problems are fixed.');
  for (const f of report.findings) lines.push(line(f, paint));
  return lines.join('\n') + '\n';
}
