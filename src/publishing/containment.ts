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
       * How the build gets a uid of its own:
       * 'root': the worker is root; bwrap sets up the view with its privileges and the
       * build then drops to `uid` (setpriv), a uid of its own on the host.
       * 'subuid': the worker is not root but has subordinate ids (/etc/subuid, newuidmap):
       * an outer user namespace maps the worker to its root and the subordinate range
       * above it; bwrap runs there as in 'root', and the build's `uid` is a subordinate
       * id on the host, neither root nor the worker's.
       * 'userns': neither; bwrap makes a user namespace in which the build is `uid`,
       * while on the host it keeps the worker's uid. `required` does not accept it.
       */
      readonly privilege: 'root' | 'subuid' | 'userns';
      readonly uid: number;
      /** For 'subuid': the worker's subordinate ranges, and util-linux unshare's path. */
      readonly subordinate?: SubordinateIds;
      /**
       * A fresh /proc of the build's PID namespace. false where the kernel refuses one
       * (a container's masked /proc paths, with no systempaths=unconfined): the build
       * then has no /proc at all, which hides the same and costs a few tools their
       * /proc/self.
       */
      readonly proc: boolean;
      readonly limits: BuildLimits;
    };

/** A user's first subordinate uid and gid ranges (start, count). */
export interface SubordinateIds {
  readonly uid: { readonly start: number; readonly count: number };
  readonly gid: { readonly start: number; readonly count: number };
  readonly unshare: string;
}

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
