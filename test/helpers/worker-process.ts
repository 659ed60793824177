import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

const BIN = new URL('../../bin/pyrelease.js', import.meta.url).pathname;
const BUILT = new URL('../../dist/cli.js', import.meta.url).pathname;

/**
 * The installed command as a child process (`node bin/pyrelease.js ...`), so that tests
 * can kill it the way an OOM killer or a deploy does. It runs the compiled dist/, which
 * `npm test` builds first (`npx tsc -p tsconfig.build.json` by hand).
 */
export interface CliProcess {
  readonly child: ChildProcess;
  /** stdout + stderr lines so far (pino writes JSON lines to stdout). */
  readonly lines: string[];
  /** Resolves with the first line matching `pattern`; rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Exit code, or the signal name when killed by one. */
  readonly exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): void;
}

/** Only what the command needs, plus `env`: no secret of the test runner leaks in. */
function childEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    const value = process.env[key];
    if (value !== undefined) base[key] = value;
  }
  return { ...base, ...env };
}

export function spawnCli(args: readonly string[], env: Record<string, string>): CliProcess {
  if (!existsSync(BUILT)) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.build.json` (npm test does)');
  return watchProcess(spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Collects the lines of a child started with piped stdout and stderr, and waits for them or its exit. */
export function watchProcess(child: ChildProcess): CliProcess {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (stream: NodeJS.ReadableStream | null): void => {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
      for (const w of waiters) w();
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const w of waiters) w();
    });
  });
  return {
    child,
    lines,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitForLine(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = lines.find((l) => pattern.test(l));
          if (hit !== undefined) {
            done();
            resolve(hit);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`the process exited before printing ${pattern}:\n${lines.slice(-20).join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** `pyrelease worker` as a child process; resolves once it logged "worker started". */
export async function spawnWorker(env: Record<string, string>): Promise<CliProcess> {
  const worker = spawnCli(['worker'], env);
  await worker.waitForLine(/"msg":"worker started"/);
  return worker;
}

/** Runs a command to its end: exit code and output. */
export async function runCli(args: readonly string[], env: Record<string, string>): Promise<{ code: number | string; stdout: string }> {
  const cli = spawnCli(args, env);
  let stdout = '';
  cli.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const code = await cli.exited;
  return { code, stdout };
}
