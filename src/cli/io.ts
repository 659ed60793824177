
/** What a command may touch, so that tests can run commands in-process. */
export interface CliIo {
  readStdin(): Promise<string>;
  out(text: string): void;
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdinIsTty: boolean;
  /** Whether stdout is a terminal (a person watching); absent counts as not. */
  readonly stdoutIsTty?: boolean;
}

export function processIo(): CliIo {
  return {
    readStdin: () => readAll(process.stdin),
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    stdinIsTty: process.stdin.isTTY === true,
    stdoutIsTty: process.stdout.isTTY === true,
  };
}

/** Where a value is "set" for NO_COLOR / FORCE_COLOR: present and not empty (no-color.org). */
function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/**
 * Colour on stdout. NO_COLOR (any non-empty value, https://no-color.org) always wins: it
 * is the person's standing choice. FORCE_COLOR (the convention of Node, chalk and
 * supports-color) turns colour on where stdout is not a TTY, for CI logs that render
 * ANSI; FORCE_COLOR=0 or false turns it off on a TTY. Otherwise: a TTY, unless TERM=dumb.
 */
export function useColor(io: Pick<CliIo, 'env' | 'stdoutIsTty'>): boolean {
  if (isSet(io.env['NO_COLOR'])) return false;
  const force = io.env['FORCE_COLOR'];
  if (isSet(force)) return force !== '0' && force.toLowerCase() !== 'false';
  return io.stdoutIsTty === true && io.env['TERM'] !== 'dumb';
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Exit codes shared by every command. */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/**
 * One input per line. A final newline does not make an extra empty input, and a
 * trailing CR is dropped so files written on Windows read the same.
 */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

export async function inputsFrom(positionals: readonly string[], io: CliIo): Promise<string[]> {
  if (positionals.length > 0) return [...positionals];
  return splitLines(await io.readStdin());
}

/** Inputs can hold anything; show them as JSON strings so control characters stay visible. */
export function quote(input: string): string {
  return JSON.stringify(input);
}
