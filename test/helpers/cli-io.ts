import type { CliIo } from '../../src/cli/io.js';

export interface CapturedIo extends CliIo {
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/** An in-memory CliIo: what a command printed, with the stdin and env a test chose. */
export function captureIo(
  options: { stdin?: string; env?: Record<string, string | undefined>; cwd?: string; stdoutIsTty?: boolean } = {},
): CapturedIo {
  let out = '';
  let err = '';
  return {
    readStdin: () => Promise.resolve(options.stdin ?? ''),
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    stdinIsTty: false,
    stdoutIsTty: options.stdoutIsTty ?? false,
    stdout: () => out,
    stderr: () => err,
  };
}
