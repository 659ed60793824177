import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/publishing/containment.js';
import type { BwrapContainment } from '../../src/publishing/containment.js';
import { ETC_READ, identityFiles, sandboxArgv } from '../../src/publishing/sandbox-argv.js';
import type { SandboxLayout, SystemDirs } from '../../src/publishing/sandbox-argv.js';

const layout: SandboxLayout = {
  src: '/data/work/job-1/src/p', out: '/data/work/job-1/dist', home: '/tmp/b/home', tmp: '/tmp/b/tmp',
  passwd: '/tmp/b/passwd', group: '/tmp/b/group', readOnly: [{ host: '/tmp/b/env', inside: '/build/env' }], cwd: '/build/src',
};
const merged: SystemDirs = { '/bin': { link: 'usr/bin' }, '/sbin': { link: 'usr/sbin' }, '/lib': { link: 'usr/lib' }, '/lib32': null, '/lib64': { link: 'usr/lib64' } };
const root: BwrapContainment = { kind: 'bwrap', bwrap: 'bwrap', privilege: 'root', uid: 65532, proc: true, limits: DEFAULT_LIMITS };

/** The bind mounts of an argv, as [flag, source, destination]. */
function mounts(argv: readonly string[]): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  for (let i = 0; i < argv.indexOf('--'); i += 1) {
    const flag = argv[i] ?? '';
    if (['--bind', '--ro-bind', '--ro-bind-try', '--symlink'].includes(flag)) out.push([flag, argv[i + 1] ?? '', argv[i + 2] ?? '']);
  }
  return out;
}

describe('sandboxArgv', () => {
  const [command, argv] = sandboxArgv(root, layout, merged, '/usr/bin/python3', ['-m', 'build']);
  const before = argv.slice(0, argv.indexOf('--'));
  const after = argv.slice(argv.indexOf('--') + 1);

  it('runs bwrap with new PID, network, IPC and UTS namespaces, tied to its parent', () => {
    expect(command).toBe('bwrap');
    for (const flag of ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session']) expect(before).toContain(flag);
    expect(before).not.toContain('--share-net');
  });

  it('binds writable only the job\'s source, output, home and temp directories', () => {
    const writable = mounts(argv).filter(([flag]) => flag === '--bind');
    expect(writable.map(([, from, to]) => [from, to])).toEqual([
      [layout.src, '/build/src'], [layout.out, '/build/out'], [layout.home, '/build/home'], [layout.tmp, '/build/tmp'],
    ]);
  });

  it('shows /usr, the /etc files a build needs and the extras read-only, never / or all of /etc', () => {
    const readOnly = mounts(argv).filter(([flag]) => flag.startsWith('--ro-bind')).map(([, from]) => from);
    expect(readOnly).toEqual(['/usr', ...ETC_READ, layout.passwd, layout.group, '/tmp/b/env']);
    expect(readOnly).not.toContain('/');
    expect(readOnly).not.toContain('/etc');
    expect(mounts(argv).filter(([flag]) => flag === '--symlink').map(([, link, at]) => `${at}->${link}`)).toEqual(['/bin->usr/bin', '/sbin->usr/sbin', '/lib->usr/lib', '/lib64->usr/lib64']);
  });

  it('a root worker\'s build drops to its own uid with no capabilities and no_new_privs, then takes its limits', () => {
    expect(after.slice(0, 8)).toEqual(['/usr/bin/setpriv', '--reuid=65532', '--regid=65532', '--clear-groups', '--bounding-set=-all', '--inh-caps=-all', '--no-new-privs', '--']);
    expect(after.slice(8, 14)).toEqual(['/usr/bin/prlimit', `--as=${DEFAULT_LIMITS.memoryBytes}`, `--nproc=${DEFAULT_LIMITS.maxProcesses}`, `--fsize=${DEFAULT_LIMITS.diskBytes}`, '--core=0', '--']);
    expect(after.slice(14)).toEqual(['/usr/bin/python3', '-m', 'build']);
    expect(before).not.toContain('--unshare-user');
  });

  it('a non-root worker\'s build gets a user namespace in which it is the build uid, and may make no other', () => {
    const [, userArgv] = sandboxArgv({ ...root, privilege: 'userns' }, layout, merged, '/usr/bin/true', []);
    const head = userArgv.slice(0, userArgv.indexOf('--'));
    expect(head).toEqual(expect.arrayContaining(['--unshare-user', '--uid', '65532', '--gid', '65532', '--disable-userns']));
    expect(userArgv.slice(userArgv.indexOf('--') + 1)[0]).toBe('/usr/bin/prlimit');
  });

  it('a worker with subordinate ids runs bwrap inside a user namespace mapping itself to root and its range above, then drops as root does', () => {
    const subordinate = { uid: { start: 300000, count: 65536 }, gid: { start: 400000, count: 65536 }, unshare: '/usr/bin/unshare' };
    const [cmd, sub] = sandboxArgv({ ...root, privilege: 'subuid', subordinate }, layout, merged, '/usr/bin/true', []);
    expect(cmd).toBe('/usr/bin/unshare');
    expect(sub.slice(0, sub.indexOf('bwrap'))).toEqual(['--user', '--map-user=0', '--map-group=0', '--map-users=300000,1,65536', '--map-groups=400000,1,65536', '--']);
    const inner = sub.slice(sub.indexOf('bwrap') + 1);
    expect(inner).not.toContain('--unshare-user');
    expect(inner.slice(inner.indexOf('--') + 1, inner.indexOf('--') + 3)).toEqual(['/usr/bin/setpriv', '--reuid=65532']);
  });

  it('leaves /proc out when the host refuses a fresh one, and mounts one otherwise', () => {
    expect(argv).toContain('--proc');
    const [, noProc] = sandboxArgv({ ...root, proc: false }, layout, merged, '/usr/bin/true', []);
    expect(noProc).not.toContain('--proc');
    expect(noProc.filter((a) => a === '/proc')).toEqual([]);
  });

  it('binds a real /lib read-only where /usr is not merged, and leaves out what the host lacks', () => {
    const [, split] = sandboxArgv(root, layout, { ...merged, '/lib': 'dir', '/lib64': null }, '/usr/bin/true', []);
    expect(mounts(split).filter(([, from]) => from === '/lib' || from.includes('lib64'))).toEqual([['--ro-bind', '/lib', '/lib']]);
  });

  it('names the build user in its passwd and group files', () => {
    const files = identityFiles(65532);
    expect(files.passwd).toContain('pyrelease-build:x:65532:65532:');
    expect(files.group).toContain('pyrelease-build:x:65532:');
    expect(files.passwd).not.toMatch(/root:x:0:0:.*:\/bin\/(ba)?sh/);
  });
});
