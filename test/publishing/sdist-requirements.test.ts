import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { buildDistributions } from '../../src/publishing/build.js';
import type { BuildRequest } from '../../src/publishing/build.js';
import { DEFAULT_LIMITS } from '../../src/publishing/containment.js';
import { probeSandbox } from '../../src/publishing/sandbox-probe.js';
import { DiskIndex, hostileSetupPy, RELEASE_BACKEND, reportingSetupPy, SDIST_BACKEND } from './sdist-fixtures.js';

/**
 * Build requirements the operator allows from an sdist (PYRELEASE_BUILD_ALLOW_SDISTS):
 * downloaded by the worker, built in the sandbox, installed as the wheel they built.
 */
let root: string;
let index: DiskIndex;
let server: Server;
let indexUrl: string;
let sandbox: NonNullable<BuildRequest['sandbox']>;
const hostileMarker = join(tmpdir(), `pyrelease-sdist-hostile-${randomBytes(6).toString('hex')}`);

async function project(requires: string): Promise<string> {
  const dir = join(await mkdtemp(join(root, 'project-')), 'demo');
  await mkdir(dir);
  await writeFile(join(dir, 'pyproject.toml'), `[build-system]\nrequires = [${requires}]\nbuild-backend = "releaseback"\n`);
  await writeFile(join(dir, 'demo_sd.py'), 'VALUE = 1\n');
  return dir;
}

async function build(requires: string, out: string, allowSdists?: string[]): Promise<Awaited<ReturnType<typeof buildDistributions>>> {
  return buildDistributions({
    projectDir: await project(requires), tool: 'build', version: '1.0.0', outDir: join(root, out), isolation: true,
    timeoutMs: 120_000, maxLogBytes: 256 * 1024, pipIndexUrl: indexUrl, sandbox, ...(allowSdists === undefined ? {} : { allowSdists }),
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pyrelease-sdists-'));
  index = new DiskIndex(join(root, 'index'));
  const served = await index.serve();
  server = served.server;
  indexUrl = `${served.url}simple/`;
  const port = Number(new URL(served.url).port);
  await index.addWheel('releaseback', RELEASE_BACKEND);
  await index.addWheel('sdback', SDIST_BACKEND);
  // Reachable from the host: only the sandbox's own network keeps setup.py from it.
  await index.addSdist('sdist-dep', reportingSetupPy(port));
  await index.addSdist('hostile-dep', hostileSetupPy('hostile_dep', [hostileMarker, join(root, 'hostile-marker')]));
  await index.addSdist('impostor', hostileSetupPy('impostor', [], 'releaseback'));
  await index.addSdist('badhash', reportingSetupPy(port), '0'.repeat(64));
  const decision = await probeSandbox({ setting: 'required', uid: 65532, limits: DEFAULT_LIMITS });
  if (decision.kind !== 'contained') throw new Error('builds cannot be contained here');
  sandbox = { containment: decision.containment, system: decision.system };
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
  await rm(hostileMarker, { force: true });
});

describe('build requirements from allowed sdists', () => {
  it('builds an allowed sdist in the sandbox, with no network and as the build uid, and the release builds with it', async () => {
    // Spelled otherwise than the project: names compare PEP 503-normalised.
    const built = await build('"releaseback==1.0", "sdist-dep==1.0"', 'out-ok', ['Sdist_Dep']);
    expect((await readdir(join(root, 'out-ok'))).sort()).toEqual(['demo_sd-1.0.0-py3-none-any.whl', 'demo_sd-1.0.0.tar.gz']);
    const metadata = execFileSync('unzip', ['-p', built.wheels[0] ?? '', 'demo_sd-1.0.0.dist-info/METADATA'], { encoding: 'utf8' });
    // What sdist_dep's setup.py saw, shipped in the wheel it built and read by the release's backend.
    expect(metadata).toContain('Summary: network unreachable uid 65532');
    expect(built.log).toMatch(/Successfully installed .*sdist-dep-1\.0/);
  });

  it('a requirement with only an sdist that is not allowed fails and names the setting', async () => {
    const error = await build('"releaseback==1.0", "sdist-dep==1.0"', 'out-refused', ['other']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(/PYRELEASE_BUILD_ALLOW_SDISTS/);
    expect((error as AppError).message).toMatch(/No matching distribution found for sdist-dep==1\.0/);
  });

  it("a hostile allowed sdist's setup.py cannot write outside its own directories", async () => {
    await build('"releaseback==1.0", "hostile-dep==1.0"', 'out-hostile', ['hostile-dep']);
    expect(existsSync(hostileMarker)).toBe(false);
    expect(existsSync(join(root, 'hostile-marker'))).toBe(false);
  });

  it('refuses the wheel of another project built from an allowed sdist', async () => {
    const error = await build('"releaseback==1.0", "impostor==1.0"', 'out-impostor', ['impostor']).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('build-output-invalid');
    expect((error as AppError).message).toMatch(/impostor-1\.0\.tar\.gz gave releaseback-1\.0-py3-none-any\.whl/);
  });

  it('refuses an sdist whose bytes do not have the sha256 the index lists', async () => {
    const error = await build('"releaseback==1.0", "badhash==1.0"', 'out-badhash', ['badhash']).catch((e: unknown) => e);
    expect((error as AppError).message).toMatch(/badhash-1\.0\.tar\.gz does not have the sha256 the index lists/);
  });

  // Why the worker fetches sdists itself: pip cannot download one without running it.
  it('pip download --no-deps of an sdist runs its code on the host (so it is not used)', async () => {
    const marker = join(root, 'pip-download-ran');
    await index.addSdist('probe', hostileSetupPy('probe', [marker]));
    // Not execFileSync: the index is served by this process.
    await promisify(execFile)('/usr/bin/python3', ['-m', 'pip', 'download', '--no-deps', '--no-cache-dir', '--only-binary=:all:', '--no-binary', 'probe', '--index-url', indexUrl, '-d', join(root, 'dl'), 'probe==1.0'], { env: { PATH: process.env['PATH'] ?? '/usr/bin', HOME: root } });
    expect(existsSync(marker)).toBe(true);
  });
});
