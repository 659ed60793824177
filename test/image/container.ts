import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { watchProcess } from '../helpers/worker-process.js';
import type { CliProcess } from '../helpers/worker-process.js';
import { PODMAN, ULIMITS, run } from './image-build.js';

/**
 * One container of the image, run attached (`podman run`, not -d), so its log lines and
 * exit code are the podman process's. On the host's network (`--network host`): the
 * service reaches Redis and the fakes on 127.0.0.1 and listens on a port of the test's.
 * Its environment is passed by name (`-e NAME`, the value from podman's own
 * environment), so no secret is in podman's argv.
 */
export interface Container {
  readonly name: string;
  readonly process: CliProcess;
  /** Runs a command in it (`podman exec`): stdout. */
  exec(args: readonly string[], options?: { user?: string }): Promise<string>;
  /** `podman kill --signal`: to tini, PID 1, which passes it on to node. */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** Removes it, running or not, with its anonymous volume. */
  remove(): Promise<void>;
}

export const podman = (args: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> => run(PODMAN[0] as string, [...PODMAN.slice(1), ...args], options);

export function startContainer(image: string, options: { command: readonly string[]; env: Record<string, string>; options?: readonly string[]; volumes?: readonly string[] }): Container {
  const name = `pyrelease-image-test-${randomBytes(4).toString('hex')}`;
  const args = [
    ...PODMAN.slice(1),
    'run',
    '--name', name,
    '--network', 'host',
    ...ULIMITS,
    ...(options.options ?? []),
    ...(options.volumes ?? []).flatMap((v) => ['-v', v]),
    ...Object.keys(options.env).flatMap((k) => ['-e', k]),
    image,
    ...options.command,
  ];
  const child = spawn(PODMAN[0] as string, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', ...options.env } });
  return {
    name,
    process: watchProcess(child),
    exec: (cmd, o = {}) => podman(['exec', ...(o.user === undefined ? [] : ['--user', o.user]), name, ...cmd]),
    signal: async (signal) => {
      await podman(['kill', '--signal', signal, name]);
    },
    remove: async () => {
      await podman(['rm', '--force', '--volumes', '--time', '0', name]).catch(() => '');
      child.kill('SIGKILL');
    },
  };
}

/** The first JSON log line whose `msg` matches, parsed. */
export async function logLine(c: Container, msg: RegExp, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const line = await c.process.waitForLine(new RegExp(`"msg":"${msg.source}`), timeoutMs);
  return JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;
}

/** podman prints a systemd complaint for every container with a HEALTHCHECK (no systemd here): not the service's. */
export const serviceLines = (c: Container): string[] => c.process.lines.filter((l) => l.startsWith('{'));
