import { AppError } from '../errors.js';
import type { RunOutcome } from './run-process.js';

const ERROR_LOG_TAIL = 2048;

/** What a failed step is called in its error: the build tool, or a PEP 517 hook. */
export interface StepInfo {
  readonly tool: string;
  readonly command: string;
  readonly timeoutMs: number;
  /** Secrets that may appear in the log (an index URL's password). */
  readonly secrets: ReadonlyArray<string | undefined>;
}

/** Turns a finished run into its log, or into the AppError that says why it failed. */
export function judgeRun(outcome: RunOutcome, step: StepInfo): { log: string; durationMs: number } {
  if (outcome.kind === 'spawn-failed') {
    const what = outcome.errno === 'ENOENT' ? 'was not found' : `could not be started (${outcome.errno})`;
    throw new AppError('build-failed', `the build tool ${step.command} ${what}; install it in the worker image or set its path`, {
      details: { tool: step.tool, command: step.command, errno: outcome.errno },
    });
  }
  const log = redactIndexCredentials(outcome.log, step.secrets);
  const details = { tool: step.tool, durationMs: outcome.durationMs, logBytesCut: outcome.cutBytes };
  if (outcome.kind === 'timeout') {
    throw new AppError('build-timeout', `the build ran longer than ${step.timeoutMs} ms and was killed\n${tail(log)}`, { details });
  }
  if (outcome.kind === 'limit') {
    throw new AppError('build-failed', `the build was stopped: ${outcome.reason}\n${tail(log)}`, { details: { ...details, limit: outcome.reason } });
  }
  if (outcome.kind === 'signalled') {
    throw new AppError('build-failed', `the build was killed by ${outcome.signal}\n${tail(log)}`, { details });
  }
  if (outcome.exitCode !== 0) {
    throw new AppError('build-failed', `the build exited with code ${outcome.exitCode}\n${tail(log)}`, {
      details: { ...details, exitCode: outcome.exitCode },
    });
  }
  return { log, durationMs: outcome.durationMs };
}

function tail(log: string): string {
  return log.length > ERROR_LOG_TAIL ? `[...]\n${log.slice(-ERROR_LOG_TAIL)}` : log;
}

/** pip masks passwords in index URLs, but a build backend printing its env would not. */
export function redactIndexCredentials(log: string, urls: ReadonlyArray<string | undefined>): string {
  let out = log;
  for (const url of urls) {
    if (url === undefined) continue;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      continue;
    }
    for (const secret of [parsed.password, decodeURIComponent(parsed.password)]) {
      if (secret.length >= 4) out = out.split(secret).join('****');
    }
  }
  return out;
}
