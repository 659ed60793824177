/**
 * How builds are contained: the resolved form of PYRELEASE_BUILD_SANDBOX, decided once
 * when a worker starts (sandbox-probe.ts) and handed to every build.
 *
 * A build runs repository code (setup.py, a PEP 517 backend and its plugins, poetry
 * plugins). Contained, it runs under bubblewrap with no network (its own network
 * namespace: its 127.0.0.1 is not the host's), in its own PID, IPC and UTS namespaces
 * with a fresh /proc, in a filesystem view of read-only system directories plus the
 * job's own source, output, home and temp directories, as an unprivileged uid, under
 * resource limits.
 */

export interface BuildLimits {
  /** RLIMIT_AS of every process of the build (bytes). */
  readonly memoryBytes: number;
  /** RLIMIT_NPROC of the build's uid (processes and threads). */
  readonly maxProcesses: number;
  /** What the build may leave in its writable directories, all together (bytes); also each file's RLIMIT_FSIZE. */
  readonly diskBytes: number;
}

export type Containment =
  | { readonly kind: 'off' }
  | {
      readonly kind: 'bwrap';
      /** bubblewrap's path. */
      readonly bwrap: string;
      /**
       * 'root': the worker is root; bwrap sets up the view with its privileges and the
       * build then drops to `uid` (setpriv), a uid of its own on the host.
       * 'userns': the worker is not root; bwrap makes a user namespace in which the build
       * is `uid`, while on the host it keeps the worker's uid (see docs/security.md).
       */
      readonly privilege: 'root' | 'userns';
      readonly uid: number;
      readonly limits: BuildLimits;
    };

export type BwrapContainment = Extract<Containment, { kind: 'bwrap' }>;

/** Where the job's directories appear inside the sandbox. */
export const INSIDE = {
  src: '/build/src',
  out: '/build/out',
  home: '/build/home',
  tmp: '/build/tmp',
  env: '/build/env',
  tools: '/build/tools',
} as const;

export const DEFAULT_LIMITS: BuildLimits = {
  memoryBytes: 2 * 1024 ** 3,
  maxProcesses: 256,
  diskBytes: 2 * 1024 ** 3,
};
