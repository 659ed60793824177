import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkChange, checkRelease, hasErrors } from '../core/checks.js';
import { renderReportText } from '../core/report-text.js';
import { buildReport, renderReport, statusLine } from '../core/report.js';
import { gatherChangeFacts } from '../service/change-facts.js';
import type { FactSources } from '../service/change-facts.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, useColor } from './io.js';
import type { CliIo } from './io.js';
import { defaultTargetRef, isSafeRef, listTags, readFileAtRef, readWorkingFile, refExists } from './local-repo.js';

export const CHECK_USAGE = `usage: pyrelease check [DIR] [--tag TAG] [--target REF | --no-target]
                       [--format text|markdown|json] [--json]

Runs the version checks on a local checkout (default: the current directory) and prints
what a merge request would be told.

  --tag TAG      check a release of TAG instead (tag policy, tag vs pyproject)
  --target REF   compare with the version at REF (default: the remote's default
                 branch, origin/HEAD, when there is one)
  --no-target    do not compare with any branch
  --format FMT   text (default): a header line and one line per finding, coloured
                 on a terminal unless NO_COLOR is set (FORCE_COLOR forces it);
                 markdown: the merge-request comment, for CI to post;
                 json: {"status", "findings"}
  --json         the same as --format json

Exit status: 0 when no check fails, 1 when one does, 2 on usage errors.
`;

const FORMATS = ['text', 'markdown', 'json'] as const;
type Format = (typeof FORMATS)[number];
function isFormat(value: string): value is Format {
  return (FORMATS as readonly string[]).includes(value);
}

export async function checkCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      tag: { type: 'string' },
      target: { type: 'string' },
      'no-target': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      format: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 1) {
    io.err(`pyrelease check: one DIR at most\n\n${CHECK_USAGE}`);
    return EXIT_USAGE;
  }
  const format = values.format ?? (values.json ? 'json' : 'text');
  if (!isFormat(format) || (values.json && format !== 'json')) {
    io.err(`pyrelease check: --format must be text, markdown or json (--json is --format json)\n\n${CHECK_USAGE}`);
    return EXIT_USAGE;
  }
  const dir = resolve(io.cwd, positionals[0] ?? '.');
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) {
    io.err(`pyrelease check: ${dir} is not a directory\n`);
    return EXIT_USAGE;
  }
  if (values.target !== undefined && !isSafeRef(values.target)) {
    io.err(`pyrelease check: ${JSON.stringify(values.target)} is not a usable git ref\n`);
    return EXIT_USAGE;
  }

  const tag = values.tag ?? null;
  const targetRef = values['no-target'] || tag !== null ? null : (values.target ?? (await defaultTargetRef(dir)));
  if (targetRef !== null && !(await refExists(dir, targetRef))) {
    io.err(`pyrelease check: the target ${JSON.stringify(targetRef)} is not a commit in ${dir}\n`);
    return EXIT_USAGE;
  }
  const sources: FactSources = {
    readHeadFile: (path) => readWorkingFile(dir, path),
    target: targetRef === null ? null : { branch: targetRef, readFile: (path) => readFileAtRef(dir, targetRef, path) },
    listTags: () => listTags(dir),
  };
  const { facts, project } = await gatherChangeFacts(sources, tag);
  const findings = tag === null ? checkChange(facts) : checkRelease(facts);
  const status = statusLine(findings);
  if (format === 'json') {
    io.out(JSON.stringify({ status, findings }, null, 2) + '\n');
  } else {
    const version = facts.head.version.kind === 'static' ? ` ${facts.head.version.version}` : '';
    const subject = tag === null ? `${project.name ?? 'this project'}${version}` : `tag ${tag}`;
    io.out(format === 'markdown' ? renderReport({ findings, subject }) : renderReportText(buildReport({ findings, subject }), { color: useColor(io) }));
  }
  return hasErrors(findings) ? EXIT_INVALID : EXIT_OK;
}
