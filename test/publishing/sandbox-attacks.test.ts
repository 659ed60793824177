import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { buildDistributions } from '../../src/publishing/build.js';
import type { BuildRequest } from '../../src/publishing/build.js';
import { DEFAULT_LIMITS } from '../../src/publishing/containment.js';
import { diskUsage } from '../../src/publishing/disk-usage.js';
import type { BuildLimits } from '../../src/publishing/containment.js';
import { probeSandbox } from '../../src/publishing/sandbox-probe.js';
import type { SandboxDecision } from '../../src/publishing/sandbox-probe.js';
import { attackProject, hostUidsOf, processesWith } from '../helpers/attack-projects.js';

/**
 * The attack suite: a maintainer with push rights on one repository writes a setup.py
 * that goes after what the worker holds. Each attack is a real project built by the
 * real build path (buildDistributions, contained as a worker contains it); each must be
 * stopped inside the build, the build must end within its limits, and nothing it
 * started may be left running. Every target is on this machine's loopback.
 */
const REDIS_URL = process.env['PYRELEASE_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const APP_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECRET = `pypi-AgEI${randomBytes(12).toString('hex')}`;
// The names a contained build's environment may hold (build-env.ts), and nothing else.
const BUILD_ENV_NAMES = ['PATH', 'TZ', 'SOURCE_DATE_EPOCH', 'LANG', 'LC_ALL', 'HOME', 'TMPDIR', 'SETUPTOOLS_SCM_PRETEND_VERSION', 'POETRY_DYNAMIC_VERSIONING_BYPASS', 'PDM_BUILD_SCM_VERSION', 'PBR_VERSION', 'PYTHONDONTWRITEBYTECODE', 'PIP_NO_INPUT', 'PIP_DISABLE_PIP_VERSION_CHECK', 'POETRY_NO_INTERACTION', 'POETRY_VIRTUALENVS_CREATE'];
const marker = `pyrelease-attack-${randomBytes(6).toString('hex')}`;

let decision: SandboxDecision;
let dataDir: string;
let listener: Server;
let listenerPort: number;
let connections = 0;
const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
const cleanup: string[] = [];

async function contained(limits: BuildLimits = DEFAULT_LIMITS): Promise<NonNullable<BuildRequest['sandbox']>> {
  const d = limits === DEFAULT_LIMITS ? decision : await probeSandbox({ setting: 'required', uid: 65532, limits });
  if (d.kind !== 'contained') throw new Error(`builds cannot be contained on this machine: ${d.kind === 'refused' ? d.problem : 'off'}`);
  return { containment: d.containment, system: d.system };
}

async function build(name: string, attack: string, over: Partial<BuildRequest> & { limits?: BuildLimits } = {}): Promise<{ log: string; error: AppError | null; ms: number; projectDir: string }> {
  const projectDir = await attackProject(name, attack);
  cleanup.push(dirname(projectDir));
  const started = Date.now();
  const { limits, ...rest } = over;
  try {
    const out = await buildDistributions({
      projectDir, tool: 'build', version: '1.0.0', outDir: `${projectDir}-out`, isolation: false, timeoutMs: 60_000, maxLogBytes: 512 * 1024,
      sandbox: await contained(limits), ...rest,
    });
    return { log: out.log, error: null, ms: Date.now() - started, projectDir };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { log: error.message, error, ms: Date.now() - started, projectDir };
  }
}

function expectBlocked(log: string, name: string): void {
  expect(log).not.toContain(`PYRELEASE-ATTACK ${name} SUCCEEDED`);
  expect(log).toContain(`PYRELEASE-ATTACK ${name} blocked`);
  expect(log).not.toContain(SECRET);
}

beforeAll(async () => {
  decision = await probeSandbox({ setting: 'required', uid: 65532, limits: DEFAULT_LIMITS });
  // What a worker holds: a data dir with another job's artifacts and a pypirc.
  dataDir = await mkdtemp(join(tmpdir(), 'pyrelease-attack-data-'));
  cleanup.push(dataDir);
  await mkdir(join(dataDir, 'artifacts', 'other-job'), { recursive: true });
  await writeFile(join(dataDir, 'artifacts', 'other-job', 'victim-1.0.tar.gz'), 'another job\'s sdist');
  await writeFile(join(dataDir, 'artifacts', 'other-job', 'victim-1.0-py3-none-any.whl'), 'another job\'s wheel');
  // What the worker's environment holds, as a real worker's would hold a token.
  process.env['PYRELEASE_TEST_WORKER_SECRET'] = SECRET;
  await writeFile(join(dataDir, 'pypirc'), `[pypi]\nusername = __token__\npassword = ${SECRET}\n`, { mode: 0o600 });
  listener = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  listenerPort = (listener.address() as AddressInfo).port;
  await redis.connect();
});

afterAll(async () => {
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  delete process.env['PYRELEASE_TEST_WORKER_SECRET'];
  await redis.del(marker);
  redis.disconnect();
  await Promise.all(cleanup.map((d) => rm(d, { recursive: true, force: true })));
});

describe('builds are contained on this machine', () => {
  it('the probe finds a way to contain builds (bubblewrap, namespaces)', () => {
    expect(decision.kind === 'refused' ? decision.problem : decision.kind).toBe('contained');
  });
});

describe.concurrent('attacks from a setup.py fail inside the build', () => {
  it('cannot reach Redis on 127.0.0.1:6379 or the worker\'s REDIS_URL', async () => {
    const url = new URL(REDIS_URL);
    const { log } = await build('redis', `
for host, port in [("127.0.0.1", 6379), (${JSON.stringify(url.hostname)}, ${Number(url.port || 6379)})]:
    s = socket.create_connection((host, port), timeout=3)
    s.sendall(b"SET ${marker} forged\\r\\n")
    report("SUCCEEDED " + repr(s.recv(64)))
`);
    expectBlocked(log, 'redis');
    expect(await redis.get(marker)).toBeNull();
  });

  it('cannot reach a listener on the host\'s loopback', async () => {
    const { log } = await build('loopback', `
s = socket.create_connection(("127.0.0.1", ${listenerPort}), timeout=3)
report("SUCCEEDED")
`);
    expectBlocked(log, 'loopback');
    expect(connections).toBe(0);
  });

  it.each([
    ['data-dir', () => join(dataDir, 'forged-job.json')],
    ['artifacts', () => join(dataDir, 'artifacts', 'other-job', 'victim-1.0.tar.gz')],
    ['app-dir', () => join(APP_DIR, 'dist', `${marker}.js`)],
    ['tmp', () => join(tmpdir(), `${marker}-outside`)],
    ['root-home', () => `/root/${marker}`],
  ])('cannot write to %s', async (what, target) => {
    const path = target();
    const before = existsSync(path);
    const { log } = await build(`write-${what}`, `
with open(${JSON.stringify(path)}, "w") as f:
    f.write("pwned")
report("SUCCEEDED")
`);
    expectBlocked(log, `write-${what}`);
    expect(existsSync(path)).toBe(before);
    if (before) expect(await readFile(path, 'utf8')).toBe('another job\'s sdist');
  });

  it.each([
    ['pypirc', () => join(dataDir, 'pypirc')],
    ['pid1-environ', () => '/proc/1/environ'],
    ['worker-environ', () => `/proc/${process.pid}/environ`],
    ['shadow', () => '/etc/shadow'],
    ['other-artifacts', () => join(dataDir, 'artifacts', 'other-job', 'victim-1.0-py3-none-any.whl')],
  ])('cannot read %s', async (what, target) => {
    // Success is reading what is not the build's own: a secret, another job's file, the
    // host's shadow file, or any variable outside the build's allowlisted environment.
    const { log } = await build(`read-${what}`, `
with open(${JSON.stringify(target())}, "rb") as f:
    data = f.read()
allowed = ${JSON.stringify(BUILD_ENV_NAMES)}
names = [kv.split(b"=", 1)[0].decode() for kv in data.split(b"\\0") if b"=" in kv] if "environ" in ${JSON.stringify(target())} else []
# Another process's environment: names outside the allowlist, or not the build's own at all.
strange = [n for n in names if n not in allowed] or (["not the build's"] if names and "SETUPTOOLS_SCM_PRETEND_VERSION" not in names else [])
if b"pypi-AgEI" in data or b"another job" in data or b"root:" in data or strange:
    report("SUCCEEDED " + repr(strange[:5]))
else:
    raise PermissionError("read only the sandbox's own " + ${JSON.stringify(target())})
`);
    expectBlocked(log, `read-${what}`);
  });

  it('a double-forked setsid daemon holding stdout neither keeps the build nor survives it', async () => {
    const { log, error, ms } = await build('daemon', `
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sh", ["/bin/sh", "-c", "sleep 300; : " + ${JSON.stringify(marker)}])
    os._exit(0)
time.sleep(0.5)
raise PermissionError("the daemon is started; the sandbox must end it")
`);
    expect(error).toBeNull();
    expectBlocked(log, 'daemon');
    expect(ms).toBeLessThan(30_000);
    expect(await processesWith(marker)).toEqual([]);
  });
});

describe('who the build is', () => {
  it('runs as a uid of its own on the host: neither root nor the worker\'s', async () => {
    const tag = `pyrelease-uid-${randomBytes(4).toString('hex')}`;
    const building = build('uid', `
import subprocess
subprocess.run(["/bin/sh", "-c", "sleep 3; : ${tag}"])
raise PermissionError("the build's uid is read from outside")
`);
    const uids = await hostUidsOf(tag, building);
    expectBlocked((await building).log, 'uid');
    expect(uids).toEqual([65532]);
    expect(uids).not.toContain(process.getuid?.());
  });
});

describe('limits stop what the kernel cannot refuse outright', () => {
  it('a fork bomb stops at the process limit, and nothing is left running', async () => {
    const limits = { ...DEFAULT_LIMITS, maxProcesses: 64 };
    const { log, ms } = await build('forkbomb', `
children = 0
try:
    while children < 5000:
        if os.fork() == 0:
            os.execv("/bin/sh", ["/bin/sh", "-c", "sleep 300; : " + ${JSON.stringify(marker)}])
        children += 1
finally:
    report("blocked: fork failed after %d children" % children)
`, { limits, timeoutMs: 30_000 });
    const forked = Number(/fork failed after (\d+) children/.exec(log)?.[1] ?? 'NaN');
    expect(forked).toBeLessThan(64);
    expect(ms).toBeLessThan(45_000);
    expect(await processesWith(marker)).toEqual([]);
  });

  it('4 GB of allocation is refused by the memory limit', async () => {
    const { log } = await build('memory', `
block = bytearray(4 * 1024 ** 3)
report("SUCCEEDED %d" % len(block))
`);
    expectBlocked(log, 'memory');
    expect(log).toMatch(/blocked: MemoryError/);
  });

  it('10 GB of disk writes are stopped by the disk limit', async () => {
    const limits = { ...DEFAULT_LIMITS, diskBytes: 256 * 1024 * 1024 };
    const { log, error, ms, projectDir } = await build('disk', `
chunk = b"x" * (16 * 1024 * 1024)
written = 0
for i in range(640):
    with open("fill-%d.bin" % i, "wb") as f:
        f.write(chunk)
    written += len(chunk)
report("SUCCEEDED %d" % written)
`, { limits });
    expect(log).not.toContain('PYRELEASE-ATTACK disk SUCCEEDED');
    expect(error?.code).toBe('build-failed');
    expect(error?.message).toMatch(/wrote more than \d+ bytes/);
    expect(ms).toBeLessThan(60_000);
    // Stopped near its limit (the walk runs every second), far from the 10 GB it wanted.
    const usage = await diskUsage([projectDir], 1_000_000);
    expect(usage.kind === 'ok' ? usage.bytes : Infinity).toBeLessThan(3 * 1024 ** 3);
  });
});
