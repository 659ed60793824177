import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePackageList, runtimePackages } from '../../src/publishing/system-packages.js';
import { probeToolchain } from '../../src/publishing/toolchain-probe.js';

// The worker's start-up check of the Python build toolchain, against this machine's
// real /usr/bin/python3 and interpreters that lack parts of it.
let dir = '';
let noSitePython = '';
let pathWithout = '';
const runtimeLine = async (): Promise<string> => ((await runtimePackages()) ?? []).join(' ');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pyrelease-toolchain-'));
  // Python without its site directories: no build, no pip (ensurepip is in the standard library).
  noSitePython = join(dir, 'python-nosite');
  await writeFile(noSitePython, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
  await chmod(noSitePython, 0o755);
  // A PATH with only node on it: no git, no poetry.
  pathWithout = join(dir, 'bin');
  await mkdir(pathWithout);
  await symlink(process.execPath, join(pathWithout, 'node'));
});
afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('the build toolchain probe', () => {
  it('finds this machine ready: /usr/bin/python3 with build, pip and venv; git and poetry on PATH', async () => {
    expect(await probeToolchain({ python: '/usr/bin/python3' })).toEqual({ kind: 'ready' });
  });

  it('names a missing interpreter and the apt-get line of system-packages/runtime.txt, with sudo when not root', async () => {
    const decision = await probeToolchain({ python: '/nonexistent/python3', euid: 1000 });
    expect(decision.kind).toBe('missing');
    if (decision.kind !== 'missing') return;
    expect(decision.every).toEqual([{ what: 'the Python interpreter /nonexistent/python3 (not found)', pkg: 'python3' }]);
    expect(decision.some).toEqual([]);
    expect(decision.problem).toBe(
      'no build can run without the Python interpreter /nonexistent/python3 (not found) [Debian package python3]; ' +
        `install what a worker needs (system-packages/runtime.txt) with: sudo apt-get install -y --no-install-recommends ${await runtimeLine()}`,
    );
    const asRoot = await probeToolchain({ python: '/nonexistent/python3', euid: 0 });
    expect(asRoot.kind === 'missing' && asRoot.problem).toContain(`with: apt-get install -y --no-install-recommends python3 python3-venv`);
  });

  it('names the modules an interpreter lacks, each with its Debian package', async () => {
    const decision = await probeToolchain({ python: noSitePython, euid: 0 });
    expect(decision.kind === 'missing' && decision.every.map((p) => p.pkg)).toEqual(['python3-build', 'python3-pip']);
  });

  it('only warns about git and poetry: some builds need them, not every one', async () => {
    const decision = await probeToolchain({ python: '/usr/bin/python3', path: pathWithout, euid: 0 });
    expect(decision.kind === 'missing' && { every: decision.every, some: decision.some.map((p) => p.pkg) }).toEqual({ every: [], some: ['git', 'python3-poetry'] });
    expect(decision.kind === 'missing' && decision.problem).toMatch(/^some builds need git .*\[Debian package git\], poetry .*\[Debian package python3-poetry\]; install/);
  });

  it('falls back to the missing pieces\' packages where runtime.txt is not shipped', async () => {
    const decision = await probeToolchain({ python: noSitePython, euid: 0, packages: join(dir, 'no-such-list.txt') });
    expect(decision.kind === 'missing' && decision.problem).toMatch(/with: apt-get install -y --no-install-recommends python3-build python3-pip$/);
  });
});

describe('package lists', () => {
  it('read one package a line, ignoring comments and blank lines', () => {
    expect(parsePackageList('# why\npython3   # the interpreter\n\n  git\n')).toEqual(['python3', 'git']);
  });
});
