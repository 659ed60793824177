import { lchown, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Containment } from './containment.js';
import { diskUsage } from './disk-usage.js';
import { runProcess } from './run-process.js';
import type { RunOutcome } from './run-process.js';
import { identityFiles, sandboxArgv } from './sandbox-argv.js';
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
  // A root worker's build runs as a uid of its own: it must own what it may write.
  if (containment.privilege === 'root') await Promise.all(writable.map((dir) => chownTree(dir, containment.uid)));

  const layout: SandboxLayout = { ...ws, passwd: passwdFile, group: groupFile, readOnly: cmd.readOnly ?? [], cwd: cmd.cwd };
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

async function chownTree(dir: string, uid: number): Promise<void> {
  await lchown(dir, uid, uid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(path, uid);
    else await lchown(path, uid, uid);
  }
}
