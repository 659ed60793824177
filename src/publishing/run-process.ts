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
  /**
   * How long to wait for stdout and stderr to close once the command has exited. A
   * daemon the command left behind (double fork, setsid) can hold them open for ever;
   * past this grace they are closed from our side and the run is over.
   */
  readonly pipeGraceMs?: number;
  /** Checked every `intervalMs` while the command runs; a reason ends the run (a limit the kernel cannot enforce). */
  readonly watch?: { readonly intervalMs: number; check(): Promise<string | null> };
}

export type RunOutcome =
  | { readonly kind: 'exited'; readonly exitCode: number; readonly log: string; readonly cutBytes: number; readonly durationMs: number }
  | { readonly kind: 'signalled'; readonly signal: string; readonly log: string; readonly cutBytes: number; readonly durationMs: number }
  | { readonly kind: 'timeout'; readonly log: string; readonly cutBytes: number; readonly durationMs: number }
  | { readonly kind: 'limit'; readonly reason: string; readonly log: string; readonly cutBytes: number; readonly durationMs: number }
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
    let limitReason: string | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    let pipeTimer: NodeJS.Timeout | undefined;
    let watchTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), req.killGraceMs ?? 2000);
    }, req.timeoutMs);
    const watch = req.watch;
    if (watch !== undefined) {
      const tick = (): void => {
        watchTimer = setTimeout(() => {
          void watch.check().then((reason) => {
            if (settled) return;
            if (reason === null) return tick();
            limitReason = reason;
            killGroup(child.pid, 'SIGKILL');
          });
        }, watch.intervalMs);
      };
      tick();
    }
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      for (const t of [timer, killTimer, pipeTimer, watchTimer]) if (t !== undefined) clearTimeout(t);
      child.stdout.destroy();
      child.stderr.destroy();
      const durationMs = Math.round(performance.now() - started);
      const { text, cutBytes } = log.text();
      if (limitReason !== null) resolve({ kind: 'limit', reason: limitReason, log: text, cutBytes, durationMs });
      else if (timedOut) resolve({ kind: 'timeout', log: text, cutBytes, durationMs });
      else if (code !== null) resolve({ kind: 'exited', exitCode: code, log: text, cutBytes, durationMs });
      else resolve({ kind: 'signalled', signal: signal ?? 'unknown', log: text, cutBytes, durationMs });
    };
    child.stdout.on('data', (chunk: Buffer) => log.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => log.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      settled = true;
      for (const t of [timer, watchTimer]) if (t !== undefined) clearTimeout(t);
      resolve({ kind: 'spawn-failed', errno: error.code ?? 'UNKNOWN', message: error.message });
    });
    // 'close' waits for the pipes, which a leftover grandchild could hold open for
    // ever: so on 'exit' the whole group is killed, and the pipes get a short grace.
    child.on('exit', (code, signal) => {
      killGroup(child.pid, 'SIGKILL');
      pipeTimer = setTimeout(() => finish(code, signal), req.pipeGraceMs ?? 2000);
    });
    child.on('close', (code, signal) => finish(code, signal));
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
