import { lstat, mkdir, mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildLimits, BwrapContainment, Containment } from './containment.js';
import { INSIDE } from './containment.js';
import { runContained } from './contained-run.js';
import type { SystemDirs } from './sandbox-argv.js';
import { lookupSubordinateIds } from './subordinate-ids.js';

/** PYRELEASE_BUILD_SANDBOX. */
export type SandboxSetting = 'required' | 'auto' | 'off';

export type SandboxDecision =
  /** `notes`: what is weaker than it could be here (no /proc, the worker's uid), for the log. */
  | { readonly kind: 'contained'; readonly containment: BwrapContainment; readonly system: SystemDirs; readonly notes: readonly string[] }
  /** Builds run uncontained: the operator said so, or `auto` found no way to contain them. */
  | { readonly kind: 'off'; readonly system: SystemDirs; readonly problem: string | null }
  /** `required`, and builds cannot be contained here: this worker must not build. */
  | { readonly kind: 'refused'; readonly problem: string };

export interface ProbeOptions {
  readonly setting: SandboxSetting;
  readonly uid: number;
  readonly limits: BuildLimits;
  readonly bwrap?: string;
  readonly unshare?: string;
  /** The worker's effective uid (process.geteuid()); a parameter so tests can ask for the other mode. */
  readonly euid?: number;
}

/** What a host or container must allow, said once, in the log and in every refused build. */
export const SANDBOX_NEEDS =
  'builds run under bubblewrap (Debian package "bubblewrap") in new PID, network, IPC, UTS and mount namespaces; ' +
  'a non-root worker also needs user namespaces and subordinate ids (Debian package "uidmap", a range of 65536 in /etc/subuid and /etc/subgid); ' +
  'in a container that means --security-opt seccomp=unconfined --security-opt apparmor=unconfined (or profiles allowing unshare, mount and pivot_root), ' +
  'see docs/security.md';

/**
 * Decides once, at start-up, how this worker contains builds: it runs a contained
 * `id -u` the way a build would run, and checks it saw the build's uid. Asking the
 * kernel beats guessing from the environment: Docker's seccomp profile, AppArmor,
 * masked /proc paths and sysctls all differ between hosts.
 */
export async function probeSandbox(opts: ProbeOptions): Promise<SandboxDecision> {
  const system = await systemDirs();
  if (opts.setting === 'off') return { kind: 'off', system, problem: null };
  const notes: string[] = [];
  const euid = opts.euid ?? process.geteuid?.() ?? -1;
  const base = { kind: 'bwrap' as const, bwrap: opts.bwrap ?? 'bwrap', uid: opts.uid, limits: opts.limits };
  let candidate: BwrapContainment;
  if (euid === 0) {
    candidate = { ...base, privilege: 'root', proc: true };
  } else {
    const sub = await lookupSubordinateIds(opts.uid, opts.unshare);
    if (sub.ok) {
      candidate = { ...base, privilege: 'subuid', subordinate: sub.ids, proc: true };
    } else {
      const problem = `builds would keep this worker's uid on the host: ${sub.why}`;
      if (opts.setting === 'required') return { kind: 'refused', problem: `${problem}; ${SANDBOX_NEEDS}` };
      notes.push(problem);
      candidate = { ...base, privilege: 'userns', proc: true };
    }
  }
  let problem = await tryContained(candidate, system, opts.uid);
  if (problem !== null && (await tryContained({ ...candidate, proc: false }, system, opts.uid)) === null) {
    // The kernel refuses a fresh /proc under a container's masked /proc paths; the rest holds.
    notes.push(`builds get no /proc (${problem}); --security-opt systempaths=unconfined would give them their own`);
    candidate = { ...candidate, proc: false };
    problem = null;
  }
  if (problem === null) return { kind: 'contained', containment: candidate, system, notes };
  if (opts.setting === 'required') return { kind: 'refused', problem: `${problem}; ${SANDBOX_NEEDS}` };
  return { kind: 'off', system, problem: `${problem}; ${SANDBOX_NEEDS}` };
}

async function tryContained(containment: Containment, system: SystemDirs, uid: number): Promise<string | null> {
  // Anything going wrong here (a uid a user namespace cannot map: EINVAL on chown) is a host that cannot contain.
  return tryOnce(containment, system, uid).catch((e: unknown) => `preparing a contained run failed (${(e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message.slice(0, 200) : 'error')})`);
}

async function tryOnce(containment: Containment, system: SystemDirs, uid: number): Promise<string | null> {
  const root = await mkdtemp(join(tmpdir(), 'pyrelease-probe-'));
  try {
    const ws = { src: join(root, 'src'), out: join(root, 'out'), home: join(root, 'home'), tmp: join(root, 'tmp'), private: root };
    await Promise.all([ws.src, ws.out, ws.home, ws.tmp].map((d) => mkdir(d)));
    const outcome = await runContained(containment, system, ws, {
      command: '/usr/bin/id',
      args: ['-u'],
      cwd: INSIDE.src,
      env: { PATH: '/usr/bin:/bin' },
      timeoutMs: 15_000,
      maxLogBytes: 4096,
    });
    if (outcome.kind === 'spawn-failed') {
      return outcome.errno === 'ENOENT' ? 'bubblewrap (bwrap) is not installed' : `bwrap could not be started (${outcome.errno})`;
    }
    if (outcome.kind !== 'exited' || outcome.exitCode !== 0) {
      const said = outcome.log.trim().split('\n').slice(-2).join(' ').slice(0, 300);
      return `a contained test command failed (${outcome.kind === 'exited' ? `exit ${outcome.exitCode}` : outcome.kind}): ${said}`;
    }
    if (outcome.log.trim() !== String(uid)) return `a contained test command ran as uid ${outcome.log.trim()}, not ${uid}`;
    return null;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function systemDirs(): Promise<SystemDirs> {
  const one = async (path: string): Promise<{ link: string } | 'dir' | null> => {
    const st = await lstat(path).catch(() => null);
    if (st === null) return null;
    if (st.isSymbolicLink()) return { link: await readlink(path) };
    return st.isDirectory() ? 'dir' : null;
  };
  const [bin, sbin, lib, lib32, lib64] = await Promise.all(['/bin', '/sbin', '/lib', '/lib32', '/lib64'].map(one));
  return { '/bin': bin ?? null, '/sbin': sbin ?? null, '/lib': lib ?? null, '/lib32': lib32 ?? null, '/lib64': lib64 ?? null };
}
