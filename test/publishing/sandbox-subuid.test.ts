import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostUidsOf } from '../helpers/attack-projects.js';

/**
 * A non-root worker, as the image runs one (uid 10001 there), contains builds as a uid
 * that is neither root nor its own, through its subordinate ids. This machine has no
 * such user, so each case runs in a private mount namespace whose /etc is an overlay
 * with a test user (uid 42001) and its /etc/subuid and /etc/subgid ranges: newuidmap
 * reads them there, and the host's /etc is untouched. `mask` mounts a read-only tmpfs on
 * /proc/acpi, as Docker masks /proc paths, under which the kernel refuses bwrap a fresh
 * /proc. Runs the built dist/ (npm test builds it first) as the test user.
 */
const run = promisify(execFile);
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/projects/setuptools-static', import.meta.url));
const USER = { name: 'pyrelease-subuid-test', uid: 42001, subStart: 300000 };
const isRoot = process.geteuid?.() === 0;

const WORKER = String.raw`
import { buildDistributions } from '${DIST}publishing/build.js';
import { probeSandbox } from '${DIST}publishing/sandbox-probe.js';
import { cp, mkdtemp, rm, stat, writeFile, readdir } from 'node:fs/promises';
const [fixture, marker] = process.argv.slice(2);
const d = await probeSandbox({ setting: 'required', uid: 65532, limits: { memoryBytes: 2 ** 31, maxProcesses: 256, diskBytes: 2 ** 31 } });
const report = { uid: process.getuid(), kind: d.kind, privilege: d.containment?.privilege, proc: d.containment?.proc, notes: d.notes ?? [], problem: d.problem ?? null };
if (d.kind === 'contained') {
  const root = await mkdtemp('/tmp/pyrelease-subuid-');
  await cp(fixture, root + '/p', { recursive: true });
  // Lingers 3 s, so the test can read the build's uid on the host from /proc.
  await writeFile(root + '/p/setup.py', 'import subprocess\nsubprocess.run(["/bin/sh", "-c", "sleep 3; : ' + marker + '"])\nfrom setuptools import setup\nsetup()\n');
  const built = await buildDistributions({ projectDir: root + '/p', tool: 'build', version: '1.4.0', outDir: root + '/out', isolation: false, timeoutMs: 60000, maxLogBytes: 100000, sandbox: { containment: d.containment, system: d.system } });
  report.files = (await readdir(root + '/out')).sort();
  report.owners = [...new Set(await Promise.all([built.sdist, ...built.wheels].map(async (f) => (await stat(f)).uid)))];
  await rm(root, { recursive: true });
  report.removed = true;
}
console.log(JSON.stringify(report));
`;

let dir: string;

async function asTestUser(opts: { subuid: boolean; mask: boolean; marker: string }): Promise<Record<string, unknown>> {
  const etc = join(dir, `etc-${randomBytes(4).toString('hex')}`);
  await mkdir(join(etc, 'upper'), { recursive: true });
  await mkdir(join(etc, 'work'), { recursive: true });
  const sub = opts.subuid ? `${USER.name}:${USER.subStart}:65536\n` : '';
  const script = [
    'set -e',
    'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/work" /etc',
    `echo '${USER.name}:x:${USER.uid}:${USER.uid}::/nonexistent:/usr/sbin/nologin' >> /etc/passwd`,
    `echo '${USER.name}:x:${USER.uid}:' >> /etc/group`,
    `printf '${sub}' > /etc/subuid`,
    `printf '${sub}' > /etc/subgid`,
    'if [ "$2" = mask ]; then mount -t tmpfs -o ro,size=4k tmpfs /proc/acpi; fi',
    `exec setpriv --reuid=${USER.uid} --regid=${USER.uid} --clear-groups -- node "$3" "$4" "$5"`,
  ].join('\n');
  const { stdout } = await run('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', etc, opts.mask ? 'mask' : 'plain', join(dir, 'worker.mjs'), FIXTURE, opts.marker], { timeout: 90_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

beforeAll(async () => {
  if (!isRoot) return;
  dir = await mkdtemp(join(tmpdir(), 'pyrelease-subuid-test-'));
  await chmod(dir, 0o755);
  await writeFile(join(dir, 'worker.mjs'), WORKER, { mode: 0o644 });
});

afterAll(async () => {
  if (isRoot) await rm(dir, { recursive: true, force: true });
});

// Needs root to make the mount namespace and switch to the test user: CI and this
// machine's sessions run as root. Elsewhere it says so rather than passing quietly.
describe.skipIf(!isRoot)('a non-root worker with subordinate ids (the image\'s case)', () => {
  it('builds as a subordinate uid on the host, neither root nor the worker\'s, and gets its files back', async () => {
    const marker = `pyrelease-subuid-${randomBytes(4).toString('hex')}`;
    const report = asTestUser({ subuid: true, mask: false, marker });
    const uids = await hostUidsOf(marker, report);
    expect(await report).toMatchObject({ uid: USER.uid, kind: 'contained', privilege: 'subuid', proc: true, notes: [], removed: true });
    expect((await report)['files']).toEqual(['sample-static-1.4.0.tar.gz', 'sample_static-1.4.0-py3-none-any.whl']);
    // Handed back to the worker after the build, so it can read and remove them.
    expect((await report)['owners']).toEqual([USER.uid]);
    // Inside, the build is 65532: on the host that is the subordinate id start + 65531.
    expect(uids).toEqual([USER.subStart + 65531]);
  });

  it('under masked /proc paths (a container without systempaths=unconfined) still contains the build, with no /proc, and says so', async () => {
    const report = await asTestUser({ subuid: true, mask: true, marker: `pyrelease-subuid-${randomBytes(4).toString('hex')}` });
    expect(report).toMatchObject({ kind: 'contained', privilege: 'subuid', proc: false, removed: true });
    expect(report['notes']).toEqual([expect.stringMatching(/builds get no \/proc .*Can't mount proc/)]);
  });

  it('without subordinate ids, required refuses: the build would keep the worker\'s uid', async () => {
    const report = await asTestUser({ subuid: false, mask: false, marker: 'unused' });
    expect(report).toMatchObject({ uid: USER.uid, kind: 'refused' });
    expect(report['problem']).toMatch(/builds would keep this worker's uid on the host: user pyrelease-subuid-test has no range in \/etc\/subuid/);
    expect(report['problem']).toMatch(/Debian package "uidmap"/);
  });
});
