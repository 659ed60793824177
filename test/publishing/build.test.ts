import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import { buildDistributions } from '../../src/publishing/build.js';
import type { BuildRequest } from '../../src/publishing/build.js';
import { buildEnvironment, looksSecret } from '../../src/publishing/build-env.js';
import { needsGitSnapshot } from '../../src/publishing/git-snapshot.js';
import { DEFAULT_LIMITS, INSIDE } from '../../src/publishing/containment.js';
import { runContained } from '../../src/publishing/contained-run.js';
import { ETC_READ } from '../../src/publishing/sandbox-argv.js';
import { probeSandbox } from '../../src/publishing/sandbox-probe.js';
import { collectDistributions } from '../../src/publishing/build-output.js';
import { TailBuffer, runProcess } from '../../src/publishing/run-process.js';
import { extractSourceArchive } from '../../src/publishing/source-archive.js';
import { copyProject, packForgeArchive } from '../helpers/archive-fixtures.js';
import type { FixtureProject } from '../helpers/archive-fixtures.js';

/** How a worker on this machine contains builds (bubblewrap); the attack suite requires it. */
const decision = await probeSandbox({ setting: 'auto', uid: 65532, limits: DEFAULT_LIMITS });
const CONTAINED: BuildRequest['sandbox'] = decision.kind === 'contained' ? { containment: decision.containment, system: decision.system } : undefined;

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `pyrelease-${prefix}-`));
  temps.push(dir);
  return dir;
}

async function project(name: FixtureProject): Promise<string> {
  const dir = await copyProject(name);
  temps.push(join(dir, '..'));
  return dir;
}

async function request(projectDir: string, over: Partial<BuildRequest> = {}): Promise<BuildRequest> {
  return {
    projectDir,
    tool: 'build',
    version: '1.0.0',
    outDir: join(await tempDir('out'), 'dist'),
    isolation: false,
    timeoutMs: 60_000,
    maxLogBytes: 256 * 1024,
    ...over,
  };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe.concurrent('buildDistributions: real builds of the sample projects', () => {
  // One row per build backend Debian packages (and the ways a project hands it its version).
  const rows: ReadonlyArray<{ name: FixtureProject; tool: 'build' | 'poetry'; version: string; sdist: string; wheel: string }> = [
    { name: 'setuptools-static', tool: 'build', version: '1.4.0', sdist: 'sample-static-1.4.0.tar.gz', wheel: 'sample_static-1.4.0-py3-none-any.whl' },
    // setup.py only, the version read from a module (psf/requests); and beside a pyproject.toml of tool tables only.
    { name: 'setuppy-module', tool: 'build', version: '2.7.1', sdist: 'setuppy-sample-2.7.1.tar.gz', wheel: 'setuppy_sample-2.7.1-py3-none-any.whl' },
    { name: 'setuppy-tool-tables', tool: 'build', version: '0.8.3', sdist: 'tooltables-sample-0.8.3.tar.gz', wheel: 'tooltables_sample-0.8.3-py3-none-any.whl' },
    { name: 'hatchling-static', tool: 'build', version: '2.0.1', sdist: 'hatch_static-2.0.1.tar.gz', wheel: 'hatch_static-2.0.1-py3-none-any.whl' },
    { name: 'poetry', tool: 'build', version: '0.3.0', sdist: 'poetry_sample-0.3.0.tar.gz', wheel: 'poetry_sample-0.3.0-py3-none-any.whl' },
    { name: 'poetry', tool: 'poetry', version: '0.3.0', sdist: 'poetry_sample-0.3.0.tar.gz', wheel: 'poetry_sample-0.3.0-py3-none-any.whl' },
    // flit_core: version and description from the module.
    { name: 'flit-module', tool: 'build', version: '0.5.2', sdist: 'flit-sample-0.5.2.tar.gz', wheel: 'flit_sample-0.5.2-py3-none-any.whl' },
    { name: 'meson-python', tool: 'build', version: '1.2.0', sdist: 'meson_sample-1.2.0.tar.gz', wheel: 'meson_sample-1.2.0-py3-none-any.whl' },
    { name: 'in-tree-backend', tool: 'build', version: '4.0.0', sdist: 'intree-sample-4.0.0.tar.gz', wheel: 'intree_sample-4.0.0-py3-none-any.whl' },
    // Dynamic versions: no .git in a source archive, the release version must get through.
    { name: 'setuptools-scm', tool: 'build', version: '3.1.4', sdist: 'scm-sample-3.1.4.tar.gz', wheel: 'scm_sample-3.1.4-py3-none-any.whl' },
    { name: 'hatch-vcs', tool: 'build', version: '0.9.0rc1', sdist: 'vcs_sample-0.9.0rc1.tar.gz', wheel: 'vcs_sample-0.9.0rc1-py3-none-any.whl' },
    { name: 'flit-scm', tool: 'build', version: '2.0.0.post1', sdist: 'flitscm-sample-2.0.0.post1.tar.gz', wheel: 'flitscm_sample-2.0.0.post1-py3-none-any.whl' },
  ];
  // Each row as the worker builds here: contained when this machine can, and uncontained
  // (PYRELEASE_BUILD_SANDBOX=off). A machine without the sandbox skips the contained rows.
  const modes = [
    { mode: 'contained', sandbox: CONTAINED },
    { mode: 'uncontained', sandbox: undefined },
  ] as const;
  const table = rows.flatMap((row) => modes.map((m) => ({ ...row, ...m })));

  it.for(table)('$name with $tool ($mode) -> $sdist + $wheel', async ({ name, tool, version, sdist, wheel, mode, sandbox }, { skip }) => {
    if (mode === 'contained' && sandbox === undefined) skip(`no sandbox on this machine (probe: ${decision.kind})`);
    const req = await request(await project(name), { tool, version, ...(sandbox === undefined ? {} : { sandbox }) });
    const out = await buildDistributions(req);
    expect(basename(out.sdist)).toBe(sdist);
    expect(out.wheels.map((w) => basename(w))).toEqual([wheel]);
    expect((await readdir(req.outDir)).sort()).toEqual([sdist, wheel].sort());
    expect(out.log.length).toBeGreaterThan(0);
    expect(out.durationMs).toBeGreaterThan(0);
  });

  it('builds from an extracted forge archive (no .git, dynamic version)', async () => {
    const archive = await packForgeArchive(await project('hatch-vcs'), { name: 'vcs-sample', sha: 'f'.repeat(40) });
    temps.push(join(archive, '..'));
    const extracted = await extractSourceArchive(archive, join(await tempDir('src'), 'x'));
    const out = await buildDistributions(await request(extracted.root, { version: '5.0.0.post2' }));
    expect(basename(out.sdist)).toBe('vcs_sample-5.0.0.post2.tar.gz');
  });
});

describe('buildDistributions: secrets never reach the build', () => {
  // 'off' shows the probe works (the worker's /proc/<pid>/environ is readable: the known
  // hole); 'contained' shows the sandbox closes it.
  // A machine without the sandbox reports the contained case as skipped, not as passed.
  it.for([
    { mode: 'off', ancestorsReadable: true },
    { mode: 'contained', ancestorsReadable: false },
  ])('a setup.py that dumps its environment finds no parent secret (builds $mode)', async ({ mode, ancestorsReadable }, { skip }) => {
    const sandbox = mode === 'contained' ? CONTAINED : undefined;
    if (mode === 'contained' && sandbox === undefined) skip(`no sandbox on this machine (probe: ${decision.kind})`);
    const secrets = {
      GITLAB_TOKEN: `glpat-${randomBytes(12).toString('hex')}`,
      TWINE_PASSWORD: `pypi-${randomBytes(16).toString('hex')}`,
      AWS_SECRET_ACCESS_KEY: randomBytes(20).toString('base64'),
      REDIS_URL: `redis://:${randomBytes(10).toString('hex')}@127.0.0.1:6379/0`,
      PYRELEASE_WEBHOOK_SECRET: randomBytes(8).toString('hex'),
    };
    const dir = await project('malicious-env');
    const req = await request(dir, { version: '6.6.6', baseEnv: { ...process.env, ...secrets }, ...(sandbox === undefined ? {} : { sandbox }) });
    const out = await buildDistributions(req);
    const dumpFiles = [
      ...(await readdir(req.outDir)).filter((f) => f.startsWith('env-dump-')).map((f) => join(req.outDir, f)),
      ...(await readdir(dir)).filter((f) => f.startsWith('env-dump-')).map((f) => join(dir, f)),
    ];
    // sdist step in the project dir, wheel step in the unpacked sdist: at least two dumps in outDir and projectDir.
    expect(dumpFiles.length).toBeGreaterThanOrEqual(2);
    const dumps = await Promise.all(dumpFiles.map((f) => readFile(f, 'utf8')));
    expect(out.log).toContain('ENV-DUMP ');
    for (const text of [...dumps, out.log]) {
      for (const value of Object.values(secrets)) expect(text).not.toContain(value);
      expect(text).not.toContain(new URL(secrets.REDIS_URL).password);
    }
    for (const dump of dumps) {
      const env = JSON.parse(dump) as Record<string, string>;
      expect(Object.keys(env).filter(looksSecret)).toEqual([]);
      expect(env['SETUPTOOLS_SCM_PRETEND_VERSION']).toBe('6.6.6');
      expect(env['HOME']).toMatch(mode === 'contained' ? /^\/build\/home$/ : /pyrelease-build-.*\/home$/);
      expect(env['LC_ALL']).toBe('C.UTF-8');
      expect(env['__readable_ancestor_environs__'] !== '').toBe(ancestorsReadable);
    }
  });

  it('buildEnvironment keeps only the allowlist and drops secret-looking names', () => {
    const env = buildEnvironment(
      { PATH: '/x/bin', GITHUB_TOKEN: 't', SOURCE_DATE_EPOCH: '1700000000', TZ: 'Europe/Paris', HOME: '/root', NPM_CONFIG_AUTH: 'a' },
      { home: '/h', tmp: '/t', version: '1.2.3', pipIndexUrl: 'https://mirror.invalid/simple' },
    );
    expect(env).toEqual({
      PATH: '/x/bin',
      TZ: 'Europe/Paris',
      SOURCE_DATE_EPOCH: '1700000000',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      HOME: '/h',
      TMPDIR: '/t',
      SETUPTOOLS_SCM_PRETEND_VERSION: '1.2.3',
      POETRY_DYNAMIC_VERSIONING_BYPASS: '1.2.3',
      PDM_BUILD_SCM_VERSION: '1.2.3',
      PBR_VERSION: '1.2.3',
      PYTHONDONTWRITEBYTECODE: '1',
      PIP_NO_INPUT: '1',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
      POETRY_NO_INTERACTION: '1',
      POETRY_VIRTUALENVS_CREATE: 'false',
      PIP_INDEX_URL: 'https://mirror.invalid/simple',
    });
  });

  it.each([
    ['GITLAB_TOKEN', true],
    ['TWINE_PASSWORD', true],
    ['AWS_SECRET_ACCESS_KEY', true],
    ['SSH_PRIVATE_KEY', true],
    ['GOOGLE_APPLICATION_CREDENTIALS', true],
    ['NPM_CONFIG__AUTH', true],
    ['PATH', false],
    ['SOURCE_DATE_EPOCH', false],
    ['PIP_INDEX_URL', false],
  ])('looksSecret(%s) = %s', (name, secret) => {
    expect(looksSecret(name)).toBe(secret);
  });
});

describe('needsGitSnapshot: which sources are committed before their build (meson dist needs git)', () => {
  const cases: ReadonlyArray<{ name: string; pyproject: string | null; dotGit?: boolean; expected: boolean }> = [
    { name: 'mesonpy', pyproject: '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n', expected: true },
    { name: "numpy's vendored mesonpy", pyproject: '[build-system]\nrequires = ["Cython>=3"]\nbuild-backend = "mesonpy"\nbackend-path = ["./vendored-meson/meson-python"]\n', expected: true },
    { name: 'an in-tree backend over meson-python', pyproject: '[build-system]\nrequires = ["meson_python>=0.12"]\nbuild-backend = "backend"\nbackend-path = ["_build"]\n', expected: true },
    { name: 'mesonpy with a .git already', pyproject: '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n', dotGit: true, expected: false },
    { name: 'a name that only starts like it', pyproject: '[build-system]\nrequires = ["meson-python-extras"]\nbuild-backend = "hatchling.build"\n', expected: false },
    { name: 'setuptools', pyproject: '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n', expected: false },
    { name: 'no pyproject.toml', pyproject: null, expected: false },
    { name: 'broken TOML', pyproject: '[build-system\n', expected: false },
  ];
  it.each(cases)('$name -> $expected', async ({ pyproject, dotGit, expected }) => {
    const dir = await tempDir('snapshot');
    if (pyproject !== null) await writeFile(join(dir, 'pyproject.toml'), pyproject);
    if (dotGit === true) await mkdir(join(dir, '.git'));
    expect(await needsGitSnapshot(dir)).toBe(expected);
  });
});

describe("a contained build's /etc", () => {
  // bwrap made /etc 0700 (root's): the build's uid could read none of the files bound
  // there, and git (meson dist) stopped at "unable to access '/etc/gitconfig'".
  it('lets the build uid read the /etc files it is given, and holds nothing else', async ({ skip }) => {
    if (CONTAINED === undefined) return skip(`no sandbox on this machine (probe: ${decision.kind})`);
    const root = await tempDir('etc');
    const ws = { src: join(root, 'src'), out: join(root, 'out'), home: join(root, 'home'), tmp: join(root, 'tmp'), private: root };
    await Promise.all([ws.src, ws.out, ws.home, ws.tmp].map((d) => mkdir(d)));
    const script = 'import json, os, pwd; print(json.dumps([pwd.getpwuid(os.getuid()).pw_name, oct(os.stat("/etc").st_mode & 0o777), sorted(os.listdir("/etc"))]))';
    const out = await runContained(CONTAINED.containment, CONTAINED.system, ws, {
      command: '/usr/bin/python3', args: ['-c', script], cwd: INSIDE.src, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 15_000, maxLogBytes: 64 * 1024,
    });
    expect(out).toMatchObject({ kind: 'exited', exitCode: 0 });
    if (out.kind !== 'exited') return;
    const [name, mode, listing] = JSON.parse(out.log) as [string, string, string[]];
    expect(name).toBe('pyrelease-build');
    expect(mode).toBe('0o755');
    const allowed = new Set([...ETC_READ.map((p) => basename(p)), 'passwd', 'group']);
    expect(listing.filter((f) => !allowed.has(f))).toEqual([]);
    expect(listing).toEqual(expect.arrayContaining(['passwd', 'group', 'ld.so.cache']));
  });
});

describe('buildDistributions: failures', () => {
  it('a syntax error in setup.py is build-failed with the log in the message', async () => {
    const dir = await project('setuptools-static');
    await writeFile(join(dir, 'setup.py'), 'from setuptools import setup\nsetup(name=\n');
    const error = await failure(buildDistributions(await request(dir)));
    expect(error.code).toBe('build-failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('SyntaxError');
    expect(error.message.length).toBeLessThan(2600);
  });

  it('a build past its timeout is build-timeout, and its grandchild is gone', async () => {
    const dir = await project('setuptools-static');
    const pidFile = join(dir, 'sleeper.pid');
    await writeFile(
      join(dir, 'setup.py'),
      [
        'import subprocess, time',
        `p = subprocess.Popen(["sleep", "60"])`,
        `open(${JSON.stringify(pidFile)}, "w").write(str(p.pid))`,
        'print("sleeping", flush=True)',
        'time.sleep(60)',
      ].join('\n'),
    );
    const started = Date.now();
    const error = await failure(buildDistributions(await request(dir, { timeoutMs: 2500 })));
    expect(error.code).toBe('build-timeout');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('sleeping');
    expect(Date.now() - started).toBeLessThan(10_000);
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(1);
    await expect.poll(() => processAlive(pid), { timeout: 3000 }).toBe(false);
  });

  it.skipIf(CONTAINED === undefined)('a timeout inside the sandbox kills the build too', async () => {
    const dir = await project('setuptools-static');
    await writeFile(join(dir, 'setup.py'), 'import subprocess, time\nsubprocess.Popen(["sleep", "60"])\ntime.sleep(60)\n');
    const started = Date.now();
    const error = await failure(buildDistributions(await request(dir, { timeoutMs: 1500, ...(CONTAINED === undefined ? {} : { sandbox: CONTAINED }) })));
    expect(error.code).toBe('build-timeout');
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('a missing interpreter is build-failed with a clear message', async () => {
    const error = await failure(buildDistributions(await request(await project('setuptools-static'), { python: '/nonexistent/python3' })));
    expect(error.code).toBe('build-failed');
    expect(error.message).toMatch(/\/nonexistent\/python3 was not found/);
  });

  it('a tool that succeeds without output is build-output-invalid', async () => {
    const error = await failure(buildDistributions(await request(await project('setuptools-static'), { python: '/bin/true' })));
    expect(error.code).toBe('build-output-invalid');
  });

  const outputs: ReadonlyArray<{ name: string; files: string[]; links?: string[]; code: ErrorCode | 'ok' }> = [
    { name: 'one sdist, one wheel, a log', files: ['a-1.tar.gz', 'a-1-py3-none-any.whl', 'build.log'], code: 'ok' },
    { name: 'two sdists', files: ['a-1.tar.gz', 'a-2.tar.gz', 'a-1-py3-none-any.whl'], code: 'build-output-invalid' },
    { name: 'no wheel', files: ['a-1.tar.gz'], code: 'build-output-invalid' },
    { name: 'no sdist', files: ['a-1-py3-none-any.whl'], code: 'build-output-invalid' },
    { name: 'a wheel that is a symlink', files: ['a-1.tar.gz'], links: ['a-1-py3-none-any.whl'], code: 'build-output-invalid' },
  ];
  it.each(outputs)('collectDistributions: $name -> $code', async ({ files, links, code }) => {
    const dir = await tempDir('collect');
    for (const f of files) await writeFile(join(dir, f), 'x');
    for (const l of links ?? []) await symlink('/etc/passwd', join(dir, l));
    const got = await collectDistributions(dir).then(
      () => 'ok',
      (e: unknown) => (e instanceof AppError ? e.code : String(e)),
    );
    expect(got).toBe(code);
  });
});

describe('runProcess and its log', () => {
  it('keeps the tail of a long log and says how much was cut', async () => {
    const dir = await tempDir('log');
    const script = 'import sys\nfor i in range(20000): print("line %05d" % i)\nprint("THE END", file=sys.stderr)';
    const out = await runProcess({ command: '/usr/bin/python3', args: ['-u', '-c', script], cwd: dir, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10_000, maxLogBytes: 4096 });
    expect(out.kind).toBe('exited');
    if (out.kind !== 'exited') return;
    expect(out.cutBytes).toBe(20000 * 11 + 8 - 4096);
    expect(out.log).toMatch(/^\[\.\.\. \d+ bytes of earlier output cut \.\.\.\]\n/);
    expect(out.log).toContain('line 19999');
    expect(out.log).not.toContain('line 00000');
    expect(out.log.endsWith('THE END\n')).toBe(true);
  });

  it.each([
    [[3, 3, 3], 4, 'fghi', 5],
    [[1, 1], 4, 'ab', 0],
    [[10], 3, 'hij', 7],
  ])('TailBuffer chunks %j, max %i -> %j (cut %i)', (sizes, max, expected, cut) => {
    const buffer = new TailBuffer(max);
    let next = 0;
    for (const size of sizes) {
      buffer.push(Buffer.from(Array.from({ length: size }, () => 97 + next++)));
    }
    const { text, cutBytes } = buffer.text();
    expect(cutBytes).toBe(cut);
    expect(text.endsWith(expected)).toBe(true);
  });

  it('runs argv without a shell', async () => {
    const dir = await tempDir('argv');
    const out = await runProcess({ command: '/bin/echo', args: ['$(id)', '; rm -rf /', '`x`'], cwd: dir, env: {}, timeoutMs: 5000, maxLogBytes: 1000 });
    expect(out).toMatchObject({ kind: 'exited', exitCode: 0, log: '$(id) ; rm -rf / `x`\n' });
  });
});

/** Alive and not a zombie (a zombie is dead but not yet reaped by its new parent). */
async function processAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}

