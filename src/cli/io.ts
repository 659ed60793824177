
/** What a command may touch, so that tests can run commands in-process. */
export interface CliIo {
  readStdin(): Promise<string>;
  out(text: string): void;
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdinIsTty: boolean;
}

export function processIo(): CliIo {
  return {
    readStdin: () => readAll(process.stdin),
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    stdinIsTty: process.stdin.isTTY === true,
  };
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
