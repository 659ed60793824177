import { INSIDE } from './containment.js';
import type { BwrapContainment } from './containment.js';

/** The host directories of one contained run, and what it may only read. */
export interface SandboxLayout {
  /** Writable: the project, the output directory, HOME and TMPDIR. */
  readonly src: string;
  readonly out: string;
  readonly home: string;
  readonly tmp: string;
  /** A passwd and a group file naming the build's uid (git and getpass look it up). */
  readonly passwd: string;
  readonly group: string;
  /** Read-only extras: the build-requirements environment, the hook runner. */
  readonly readOnly: ReadonlyArray<{ readonly host: string; readonly inside: string }>;
  /** Working directory inside the sandbox. */
  readonly cwd: string;
}

/**
 * How the host's top-level system directories look: on merged-/usr systems (Debian 12)
 * /bin, /lib, /lib64 and /sbin are symlinks into /usr, and are recreated as such; a real
 * directory is bound read-only instead; null: absent.
 */
export type SystemDirs = Readonly<Record<'/bin' | '/sbin' | '/lib' | '/lib32' | '/lib64', { link: string } | 'dir' | null>>;

/**
 * Files under /etc a build needs: the dynamic loader's cache, Debian's alternatives
 * (cc, c++), Python's own config. Never the whole /etc: it holds the host's shadow
 * file, TLS keys and whatever an operator put there.
 */
export const ETC_READ = [
  '/etc/alternatives',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
  '/etc/nsswitch.conf',
  '/etc/python3',
  '/etc/python3.11',
  '/etc/python3.12',
  '/etc/python3.13',
] as const;

const SHM_BYTES = 64 * 1024 * 1024;

/**
 * The argv that runs `command args` contained (see containment.ts). Pure: everything
 * it needs about the host comes in as arguments, so the tests can read it whole.
 *
 * Order matters: bwrap builds the view; setpriv (root mode) drops to the build's uid
 * with no capabilities and no_new_privs, so the setuid programs under /usr stay inert;
 * prlimit then lowers the limits and runs the command.
 */
export function sandboxArgv(
  c: BwrapContainment,
  layout: SandboxLayout,
  system: SystemDirs,
  command: string,
  args: readonly string[],
): [string, string[]] {
  const ns = ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'];
  const user = c.privilege === 'userns' ? ['--unshare-user', '--uid', String(c.uid), '--gid', String(c.uid), '--disable-userns'] : [];
  const view = [
    '--ro-bind', '/usr', '/usr',
    ...Object.entries(system).flatMap(([path, kind]) => {
      if (kind === null) return [];
      return kind === 'dir' ? ['--ro-bind', path, path] : ['--symlink', kind.link, path];
    }),
    // bwrap (0.8) creates a bind destination's missing parent 0700. With a root or
    // subuid worker that /etc is root's, and the build, once setpriv drops it to its uid,
    // could read none of the files below, its own passwd line included (git stops at
    // "unable to access '/etc/gitconfig'", so meson dist failed). /etc holds only what is
    // bound here: 0755 shows nothing more of the host.
    '--perms', '0755', '--dir', '/etc',
    ...ETC_READ.flatMap((path) => ['--ro-bind-try', path, path]),
    '--ro-bind', layout.passwd, '/etc/passwd',
    '--ro-bind', layout.group, '/etc/group',
    ...(c.proc ? ['--proc', '/proc'] : []),
    '--dev', '/dev',
    '--perms', '1777', '--size', String(SHM_BYTES), '--tmpfs', '/dev/shm',
    '--perms', '0755', '--dir', '/build',
    '--bind', layout.src, INSIDE.src,
    '--bind', layout.out, INSIDE.out,
    '--bind', layout.home, INSIDE.home,
    '--bind', layout.tmp, INSIDE.tmp,
    ...layout.readOnly.flatMap((m) => ['--ro-bind', m.host, m.inside]),
    '--chdir', layout.cwd,
  ];
  const drop =
    c.privilege !== 'userns'
      ? ['/usr/bin/setpriv', `--reuid=${c.uid}`, `--regid=${c.uid}`, '--clear-groups', '--bounding-set=-all', '--inh-caps=-all', '--no-new-privs', '--']
      : [];
  const { memoryBytes, maxProcesses, diskBytes } = c.limits;
  const limits = ['/usr/bin/prlimit', `--as=${memoryBytes}`, `--nproc=${maxProcesses}`, `--fsize=${diskBytes}`, '--core=0', '--'];
  const argv = [...ns, ...user, '--die-with-parent', '--new-session', '--hostname', 'pyrelease-build', ...view, '--', ...drop, ...limits, command, ...args];
  if (c.privilege !== 'subuid') return [c.bwrap, argv];
  const [command0, ...outer] = subordinateWrap(c);
  return [command0 as string, [...outer, c.bwrap, ...argv]];
}

/**
 * util-linux unshare with a user namespace in which the worker is root and its
 * subordinate ids follow (newuidmap writes both ranges): inside it, bwrap can set up
 * the view over the worker's own 0700 directories, and setpriv can drop to a uid that
 * is a subordinate id on the host. Also used to hand the writable directories to the
 * build's uid before a run, and back to the worker after.
 */
export function subordinateWrap(c: BwrapContainment): string[] {
  const sub = c.subordinate;
  if (sub === undefined) throw new Error('subuid containment without subordinate ids');
  return [
    sub.unshare,
    '--user', '--map-user=0', '--map-group=0',
    `--map-users=${sub.uid.start},1,${sub.uid.count}`,
    `--map-groups=${sub.gid.start},1,${sub.gid.count}`,
    '--',
  ];
}

/** The passwd and group lines of the build's user, so tools that look themselves up find a name. */
export function identityFiles(uid: number): { passwd: string; group: string } {
  return {
    passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\npyrelease-build:x:${uid}:${uid}:pyrelease build:${INSIDE.home}:/usr/sbin/nologin\n`,
    group: `root:x:0:\npyrelease-build:x:${uid}:\n`,
  };
}
