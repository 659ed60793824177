import { spawn } from 'node:child_process';

export interface RunRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** stdout and stderr together are kept up to this many bytes: the tail, where errors are. */
  readonly maxLogBytes: number;
  /** Time between SIGTERM and SIGKILL on a timeout. */
  readonly killGraceMs?: number;
}

export type RunOutcome =
  | { readonly kind: 'exited'; readonly exitCode: number; readonly log: string; readonly cutBytes: number; readonly durationMs: number }
  | { readonly kind: 'signalled'; readonly signal: string; readonly log: string; readonly cutBytes: number; readonly durationMs: number }
  | { readonly kind: 'timeout'; readonly log: string; readonly cutBytes: number; readonly durationMs: number }
  | { readonly kind: 'spawn-failed'; readonly errno: string; readonly message: string };

/**
 * Runs one command from an argv array (never a shell) in its own process group, so
 * that a timeout, and the end of the run, can kill everything it started: a build
 * backend's compilers, or a `sleep` a hostile setup.py left behind.
 */
export function runProcess(req: RunRequest): Promise<RunOutcome> {
  const started = performance.now();
  const log = new TailBuffer(req.maxLogBytes);
  return new Promise((resolve) => {
    const child = spawn(req.command, [...req.args], {
      cwd: req.cwd,
      env: { ...req.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
    });
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), req.killGraceMs ?? 2000);
    }, req.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => log.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => log.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ kind: 'spawn-failed', errno: error.code ?? 'UNKNOWN', message: error.message });
    });
    // 'close' waits for the pipes, which a leftover grandchild could hold open for
    // ever: so on 'exit' the whole group is killed first.
    child.on('exit', () => killGroup(child.pid, 'SIGKILL'));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      const durationMs = Math.round(performance.now() - started);
      const { text, cutBytes } = log.text();
      if (timedOut) resolve({ kind: 'timeout', log: text, cutBytes, durationMs });
      else if (code !== null) resolve({ kind: 'exited', exitCode: code, log: text, cutBytes, durationMs });
      else resolve({ kind: 'signalled', signal: signal ?? 'unknown', log: text, cutBytes, durationMs });
    });
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Keeps the last `max` bytes of a stream and counts what it dropped. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private cut = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 0) {
      const first = this.chunks[0] as Buffer;
      const excess = this.size - this.max;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.cut += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.cut += excess;
      }
    }
  }

  /** The kept tail as text, prefixed with a note when bytes were cut. */
  text(): { text: string; cutBytes: number } {
    const body = Buffer.concat(this.chunks).toString('utf8');
    const text = this.cut > 0 ? `[... ${this.cut} bytes of earlier output cut ...]\n${body}` : body;
    return { text, cutBytes: this.cut };
  }
}
