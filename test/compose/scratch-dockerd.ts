import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A Docker daemon of the suite's own (Debian's docker.io), everything under one scratch
 * directory: data root, exec root (its containerd too), pid file and socket. Without a
 * default bridge or iptables rules (FACTS.md, "Building and running the image here"):
 * Compose's own network is a plain Linux bridge, reachable from the host at its gateway
 * address. Its address pool holds one /24 and no more, so Compose's network, created
 * again by every `up` after a `down`, always has the same gateway, known before `up`.
 */
export interface ScratchDockerd {
  /** The environment a docker or compose client needs to reach this daemon. */
  readonly env: Readonly<Record<string, string>>;
  /** The gateway address of the one network the daemon can create. */
  readonly gateway: string;
  /** Runs the docker CLI against this daemon; rejects with its stderr on failure. */
  docker(args: readonly string[], options?: { timeoutMs?: number; input?: string }): Promise<string>;
  /** Stops the daemon (its containers with it) and waits for it to exit. */
  stop(): Promise<void>;
}

const POOL = '10.213.0.0/24';
const GATEWAY = '10.213.0.1';

/** Debian's client, matching Debian's daemon (/usr/local/bin/docker may be another). */
export const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

export async function startScratchDockerd(dir: string): Promise<ScratchDockerd> {
  await mkdir(dir, { recursive: true });
  const socket = join(dir, 'docker.sock');
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', DOCKER_HOST: `unix://${socket}` };
  const child: ChildProcess = spawn(
    'dockerd',
    [
      '--data-root', join(dir, 'data'),
      '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'dockerd.pid'),
      '--host', `unix://${socket}`,
      '--iptables=false',
      '--bridge=none',
      '--default-address-pool', `base=${POOL},size=24`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (c: Buffer) => void (log = (log + c.toString()).slice(-8000)));

  const docker: ScratchDockerd['docker'] = async (args, options = {}) => {
    const pending = run(DOCKER_CLI, [...args], { env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
    if (options.input !== undefined) pending.child.stdin?.end(options.input);
    try {
      return (await pending).stdout;
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`docker ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`);
    }
  };

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    // dockerd stops its containers (10 s each at most) before it exits.
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dockerd exited (${child.exitCode}):\n${log}`);
    if (await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 5_000 }).then(() => true, () => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dockerd did not answer within 30 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { env, gateway: GATEWAY, docker, stop };
}

/** Mounts dockerd left under dir (a daemon killed mid-way), deepest first, so the dir can be removed. */
export async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((target) => target === dir || target.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const target of mounts) await run('umount', ['-l', target]).catch(() => undefined);
}
