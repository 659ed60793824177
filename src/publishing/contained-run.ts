import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import type { BwrapContainment, Containment } from './containment.js';
import { diskUsage } from './disk-usage.js';
import { runProcess } from './run-process.js';
import type { RunOutcome } from './run-process.js';
import { identityFiles, sandboxArgv, subordinateWrap } from './sandbox-argv.js';
import type { SandboxLayout, SystemDirs } from './sandbox-argv.js';

/** The host side of one contained run: its writable directories and its private files. */
export interface Workspace {
  readonly src: string;
  readonly out: string;
  readonly home: string;
  readonly tmp: string;
  /** A directory of the worker's for the passwd and group files; not mounted itself. */
  readonly private: string;
}

export interface ContainedCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Inside the sandbox when contained; on the host otherwise. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly readOnly?: SandboxLayout['readOnly'];
  readonly timeoutMs: number;
  readonly maxLogBytes: number;
}

// A walk of more files than this is over the disk limit by itself (disk-usage.ts).
const MAX_FILES = 200_000;
const DISK_CHECK_MS = 1000;

/**
 * Runs one command of a build: contained under bubblewrap (containment.ts), or as it
 * is when the operator turned containment off. Contained, the workspace's writable
 * directories are handed to the build's uid first, and the disk they take is watched.
 */
export async function runContained(
  containment: Containment,
  system: SystemDirs,
  ws: Workspace,
  cmd: ContainedCommand,
): Promise<RunOutcome> {
  const base = { env: cmd.env, timeoutMs: cmd.timeoutMs, maxLogBytes: cmd.maxLogBytes };
  if (containment.kind === 'off') return runProcess({ ...base, command: cmd.command, args: cmd.args, cwd: cmd.cwd });

  const { passwd, group } = identityFiles(containment.uid);
  const passwdFile = join(ws.private, 'passwd');
  const groupFile = join(ws.private, 'group');
  await Promise.all([writeFile(passwdFile, passwd, { mode: 0o644 }), writeFile(groupFile, group, { mode: 0o644 })]);
  const writable = [ws.src, ws.out, ws.home, ws.tmp];
  // A build with a uid of its own must own what it may write. A root worker hands the
  // directories over itself; a worker with subordinate ids can only do it from inside
  // its user namespace, and takes them back after, or it could not read or remove them.
  if (containment.privilege !== 'userns') await handOver(containment, `${containment.uid}:${containment.uid}`, writable);
  try {
    return await runSandboxed(containment, system, ws, cmd, { passwd: passwdFile, group: groupFile }, writable);
  } finally {
    if (containment.privilege === 'subuid') await handOver(containment, '0:0', writable);
  }
}

async function runSandboxed(
  containment: BwrapContainment,
  system: SystemDirs,
  ws: Workspace,
  cmd: ContainedCommand,
  ids: { passwd: string; group: string },
  writable: readonly string[],
): Promise<RunOutcome> {
  const base = { env: cmd.env, timeoutMs: cmd.timeoutMs, maxLogBytes: cmd.maxLogBytes };
  const layout: SandboxLayout = { ...ws, ...ids, readOnly: cmd.readOnly ?? [], cwd: cmd.cwd };
  const [command, args] = sandboxArgv(containment, layout, system, cmd.command, cmd.args);
  const limit = containment.limits.diskBytes;
  return runProcess({
    ...base,
    command,
    args,
    cwd: ws.private,
    watch: {
      intervalMs: DISK_CHECK_MS,
      check: async () => {
        const usage = await diskUsage(writable, MAX_FILES);
        if (usage.kind === 'too-many-files') return `the build wrote more than ${MAX_FILES} files`;
        return usage.bytes > limit ? `the build wrote more than ${limit} bytes to disk (PYRELEASE_BUILD_DISK_MB)` : null;
      },
    },
  });
}

/**
 * `chown -R`: by a root worker itself, or as the root of the worker's subordinate user
 * namespace (sandbox-argv.ts). One process for the whole tree: a walk in Node, one lchown
 * at a time, took 646 ms for 10,000 files where chown -R took 43 ms, and a contained
 * isolated build hands its directories over four times.
 */
async function handOver(c: BwrapContainment, owner: string, dirs: readonly string[]): Promise<void> {
  const chown = ['/usr/bin/chown', '-R', '--no-dereference', owner, ...dirs];
  const [command, ...args] = c.privilege === 'subuid' ? [...subordinateWrap(c), ...chown] : chown;
  const outcome = await runProcess({ command: command as string, args, cwd: '/', env: { PATH: '/usr/bin:/bin' }, timeoutMs: 60_000, maxLogBytes: 4096 });
  if (outcome.kind !== 'exited' || outcome.exitCode !== 0) {
    const said = outcome.kind === 'spawn-failed' ? outcome.errno : outcome.log.trim().slice(-300);
    throw new AppError('build-failed', `cannot hand the build's directories to ${owner === '0:0' ? 'the worker' : 'the build uid'}: ${said}`);
  }
}
