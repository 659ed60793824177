import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { buildDistributions } from '../../src/publishing/build.js';
import { DEFAULT_LIMITS } from '../../src/publishing/containment.js';
import { probeSandbox } from '../../src/publishing/sandbox-probe.js';

/**
 * Isolated builds, contained: build requirements come from the operator's index as
 * wheels only, before any repository code runs, and what the backend's
 * get_requires_for_build_* hooks add is fetched the same way. The index is a PEP 503
 * simple index on disk (pip reads file:// indexes as it reads https ones), holding an
 * in-house backend whose hooks ask for one more package, and a package with no wheel.
 */
const BACKEND = String.raw`
import io, os, socket, tarfile, zipfile

def _network():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2)
        return "reachable"
    except OSError as e:
        return "unreachable"

def get_requires_for_build_sdist(config_settings=None):
    return ["tinyextra==1.0"]

def get_requires_for_build_wheel(config_settings=None):
    return ["tinyextra==1.0"]

def build_sdist(sdist_directory, config_settings=None):
    import tinyextra  # installed only because the hook above asked for it
    base = "demo_iso-1.0.0"
    with tarfile.open(os.path.join(sdist_directory, base + ".tar.gz"), "w:gz") as t:
        for f in ("pyproject.toml", "demo_iso.py"):
            t.add(f, arcname=base + "/" + f)
        info = ("Metadata-Version: 2.1\nName: demo-iso\nVersion: 1.0.0\nSummary: network %s\n" % _network()).encode()
        ti = tarfile.TarInfo(base + "/PKG-INFO")
        ti.size = len(info)
        t.addfile(ti, io.BytesIO(info))
    return base + ".tar.gz"

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import tinyextra
    name = "demo_iso-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        z.write("demo_iso.py", "demo_iso.py")
        d = "demo_iso-1.0.0.dist-info/"
        z.writestr(d + "METADATA", "Metadata-Version: 2.1\nName: demo-iso\nVersion: 1.0.0\n")
        z.writestr(d + "WHEEL", "Wheel-Version: 1.0\nGenerator: tinyback\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(d + "RECORD", "")
    return name
`;

// Writes a pure wheel of one module, and a PEP 503 page for it.
const MAKE_WHEEL = String.raw`
import os, sys, zipfile
index, name, module_source = sys.argv[1], sys.argv[2], sys.argv[3]
wheel = "%s-1.0-py3-none-any.whl" % name
os.makedirs(os.path.join(index, "files"), exist_ok=True)
with zipfile.ZipFile(os.path.join(index, "files", wheel), "w") as z:
    z.writestr(name + ".py", module_source)
    d = "%s-1.0.dist-info/" % name
    z.writestr(d + "METADATA", "Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n" % name)
    z.writestr(d + "WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    z.writestr(d + "RECORD", "")
`;

let root: string;
let indexUrl: string;
let sandbox: NonNullable<Parameters<typeof buildDistributions>[0]['sandbox']>;

async function page(name: string, files: string[]): Promise<void> {
  await mkdir(join(root, 'index', 'simple', name), { recursive: true });
  const links = files.map((f) => `<a href="../../files/${f}">${f}</a>`).join('\n');
  await writeFile(join(root, 'index', 'simple', name, 'index.html'), `<!DOCTYPE html><html><body>\n${links}\n</body></html>\n`);
}

async function project(requires: string): Promise<string> {
  const dir = join(await mkdtemp(join(root, 'project-')), 'demo');
  await mkdir(dir);
  await writeFile(join(dir, 'pyproject.toml'), `[build-system]\nrequires = [${requires}]\nbuild-backend = "tinyback"\n`);
  await writeFile(join(dir, 'demo_iso.py'), 'VALUE = 1\n');
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pyrelease-isolated-'));
  const index = join(root, 'index');
  execFileSync('/usr/bin/python3', ['-c', MAKE_WHEEL, index, 'tinyback', BACKEND]);
  execFileSync('/usr/bin/python3', ['-c', MAKE_WHEEL, index, 'tinyextra', 'X = 1\n']);
  await mkdir(join(index, 'files'), { recursive: true });
  await writeFile(join(index, 'files', 'nowheel-1.0.tar.gz'), 'an sdist would run its setup.py to build');
  await page('tinyback', ['tinyback-1.0-py3-none-any.whl']);
  await page('tinyextra', ['tinyextra-1.0-py3-none-any.whl']);
  await page('nowheel', ['nowheel-1.0.tar.gz']);
  indexUrl = pathToFileURL(join(index, 'simple')).href + '/';
  const decision = await probeSandbox({ setting: 'required', uid: 65532, limits: DEFAULT_LIMITS });
  if (decision.kind !== 'contained') throw new Error('builds cannot be contained here');
  sandbox = { containment: decision.containment, system: decision.system };
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * A project with an in-tree backend (PEP 517 backend-path): the repository's own code
 * answers the hooks, so it is the attacker here. `hooks` is the module's Python source.
 */
async function inTreeBackendProject(hooks: string): Promise<string> {
  const dir = join(await mkdtemp(join(root, 'intree-')), 'demo');
  await mkdir(join(dir, '_backend'), { recursive: true });
  await writeFile(join(dir, 'pyproject.toml'), '[build-system]\nrequires = []\nbuild-backend = "evil_backend"\nbackend-path = ["_backend"]\n');
  await writeFile(join(dir, '_backend', 'evil_backend.py'), hooks);
  return dir;
}

describe('a hostile in-tree backend, against the worker that runs its hooks', () => {
  it('cannot hand pip an option through get_requires_for_build_sdist', async () => {
    const dir = await inTreeBackendProject('def get_requires_for_build_sdist(config_settings=None):\n    return ["--index-url=http://127.0.0.1:9/simple", "wheel"]\n');
    const error = await buildDistributions({ projectDir: dir, tool: 'build', version: '1.0.0', outDir: join(root, 'out-hook-option'), isolation: true, timeoutMs: 60_000, maxLogBytes: 65536, pipIndexUrl: indexUrl, sandbox }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(/^build requirement "--index-url=http:\/\/127\.0\.0\.1:9\/simple" is not a PEP 508 requirement/);
  });

  it('cannot make the worker read a host file through a symlinked hook answer', async () => {
    // A file only the worker can read, shaped like a hook answer: were it followed, its
    // contents would become requirements pip is asked for, and show in the error.
    const hostFile = join(root, 'worker-only.json');
    await writeFile(hostFile, JSON.stringify({ value: ['secret-from-the-worker'] }), { mode: 0o600 });
    const dir = await inTreeBackendProject([
      'import builtins, io, json, os',
      'def get_requires_for_build_sdist(config_settings=None):',
      '    result = "/build/tmp/pyrelease-hook-result.json"',
      `    os.symlink(${JSON.stringify(hostFile)}, result)`,
      // The runner shares this interpreter: make it write nothing over the link.
      '    builtins.open = lambda *args, **kwargs: io.StringIO()',
      '    json.dump = lambda *args, **kwargs: None',
      '    return []',
      '',
    ].join('\n'));
    const error = await buildDistributions({ projectDir: dir, tool: 'build', version: '1.0.0', outDir: join(root, 'out-hook-symlink'), isolation: true, timeoutMs: 60_000, maxLogBytes: 65536, pipIndexUrl: indexUrl, sandbox }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(/get_requires_for_build_sdist hook gave no usable answer/);
    expect((error as AppError).message).not.toContain('secret-from-the-worker');
  });
});

describe('contained isolated builds', () => {
  it('installs [build-system] requires and what the hooks add as wheels, then builds without a network', async () => {
    const dir = await project('"tinyback==1.0"');
    const outDir = join(root, 'out-ok');
    const built = await buildDistributions({ projectDir: dir, tool: 'build', version: '1.0.0', outDir, isolation: true, timeoutMs: 120_000, maxLogBytes: 256 * 1024, pipIndexUrl: indexUrl, sandbox });
    expect((await readdir(outDir)).sort()).toEqual(['demo_iso-1.0.0-py3-none-any.whl', 'demo_iso-1.0.0.tar.gz']);
    expect(built.wheels).toEqual([join(outDir, 'demo_iso-1.0.0-py3-none-any.whl')]);
    // The backend's own report, written into the sdist it built: no network inside.
    const pkgInfo = execFileSync('tar', ['-xzOf', built.sdist, 'demo_iso-1.0.0/PKG-INFO'], { encoding: 'utf8' });
    expect(pkgInfo).toContain('Summary: network unreachable');
    expect(built.log).toMatch(/Successfully installed tinyback-1\.0/);
    expect(built.log).toMatch(/Successfully installed tinyextra-1\.0/);
  });

  it('a build requirement with no wheel fails the build before any repository code runs, and says why', async () => {
    const dir = await project('"tinyback==1.0", "nowheel==1.0"');
    const error = await buildDistributions({ projectDir: dir, tool: 'build', version: '1.0.0', outDir: join(root, 'out-nowheel'), isolation: true, timeoutMs: 120_000, maxLogBytes: 256 * 1024, pipIndexUrl: indexUrl, sandbox }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(/build requirements tinyback==1\.0, nowheel==1\.0 failed\. They are installed as wheels only/);
    expect((error as AppError).message).toMatch(/No matching distribution found for nowheel==1\.0/);
    expect(await readdir(join(root, 'out-nowheel'))).toEqual([]);
  });

  it('a requirement that is a pip option or a direct reference is refused, not handed to pip', async () => {
    const dir = await project('"--index-url=http://127.0.0.1:9/simple"');
    const error = await buildDistributions({ projectDir: dir, tool: 'build', version: '1.0.0', outDir: join(root, 'out-option'), isolation: true, timeoutMs: 60_000, maxLogBytes: 65536, pipIndexUrl: indexUrl, sandbox }).catch((e: unknown) => e);
    expect((error as AppError).message).toMatch(/cannot read the build system: .*not a PEP 508 requirement/);
  });
});
