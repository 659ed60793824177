import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCommit } from '../fakes/fake-gitlab-arrange.js';
import { startFakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeProject } from '../fakes/fake-gitlab-state.js';
import { startFakeIndex } from '../fakes/fake-index.js';
import type { FakeIndex } from '../fakes/fake-index.js';
import { packForgeArchive } from '../helpers/archive-fixtures.js';
import { eventually } from '../helpers/gitlab-service.js';
import { freePort } from '../helpers/redis-server.js';
import { logLine, serviceLines, startContainer } from './container.js';
import type { Container } from './container.js';
import { ensureImage } from './image-build.js';
import { readmeRuns } from './readme-commands.js';

// A release through the image: web (`serve --no-worker`) and worker containers as README's
// "Running it in production" runs them (the same commands and container options), on the
// host's network, with the machine's Redis (a key prefix of their own), a fake GitLab and
// a fake index on 127.0.0.1. The build is real and happens in the worker container.
const REDIS_URL = process.env['PYRELEASE_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `{pyrelease-image-${randomBytes(4).toString('hex')}}`;
const sha = 'a'.repeat(40);
const runs = readmeRuns();
const webRun = runs.find((r) => r.command.join(' ') === 'serve --no-worker');
const workerRun = runs.find((r) => r.command[0] === 'worker');

/**
 * A setuptools project whose setup.py records, into the package it builds, what the
 * build could see and reach: its uid and hostname, Redis and the index on the host's
 * loopback, the worker's data dir and app, and any secret in its environment.
 */
function probeProject(indexPort: number): Record<string, string> {
  return {
    'pyproject.toml': [
      '[build-system]', 'requires = ["setuptools"]', 'build-backend = "setuptools.build_meta"', '',
      '[project]', 'name = "sample-contained"', 'version = "1.4.0"', 'description = "records what its build could reach"', '',
      '[tool.setuptools]', 'packages = ["sample_contained"]', '',
      '[tool.setuptools.package-data]', 'sample_contained = ["probe.json"]', '',
      '[tool.pyrelease]', 'registries = ["fake"]', '',
    ].join('\n'),
    'sample_contained/__init__.py': '',
    'setup.py': `import json, os, socket
from setuptools import setup

def reach(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return "connected"
    except OSError as e:
        return type(e).__name__

probe = {
    "uid": os.getuid(),
    "hostname": socket.gethostname(),
    "redis": reach(6379),
    "index": reach(${indexPort}),
    "data_dir": os.path.exists("/var/lib/pyrelease"),
    "app": os.path.exists("/app/node_modules"),
    "secrets": sorted(k for k in os.environ if any(w in k for w in ("TOKEN", "SECRET", "PASSWORD", "REDIS"))),
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample_contained", "probe.json"), "w") as f:
    json.dump(probe, f)
setup()
`,
  };
}

let gitlab: FakeGitlab;
let index: FakeIndex;
let project: FakeProject;
let configDir = '';
let web: Container | undefined;
const workers: Container[] = [];
let env: Record<string, string> = {};
let webhookSecret = '';

beforeAll(async () => {
  const image = await ensureImage();
  const gitlabToken = `glpat-${randomBytes(12).toString('hex')}`;
  const indexToken = `pypi-${randomBytes(16).toString('hex')}`;
  webhookSecret = randomBytes(16).toString('hex');
  gitlab = await startFakeGitlab();
  gitlab.addUser('pyrelease-bot', gitlabToken);
  project = gitlab.addProject('acme/sample', 'main');
  index = await startFakeIndex({ users: { __token__: indexToken } });
  const files = probeProject(Number(new URL(index.url).port));
  addCommit(project, 'main', sha, 'Release 1.4.0', files);
  const src = mkdtempSync(join(tmpdir(), 'pyrelease-image-src-'));
  for (const [path, text] of Object.entries(files)) {
    execFileSync('mkdir', ['-p', join(src, path, '..')]);
    writeFileSync(join(src, path), text);
  }
  project.archives.set(sha, readFileSync(await packForgeArchive(src, { name: 'sample', sha })));
  rmSync(src, { recursive: true, force: true });
  project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: sha, message: '', target: sha });

  // The server config file where README puts it, readable by the image's user.
  configDir = mkdtempSync(join(tmpdir(), 'pyrelease-image-config-'));
  chmodSync(configDir, 0o755);
  writeFileSync(
    join(configDir, 'pyrelease.yml'),
    `registries:\n  fake:\n    upload-url: ${index.uploadUrl}\n    simple-url: ${index.simpleUrl}\npublishers:\n  fake:\n    - gitlab: [acme/sample]\n      projects: ['*']\n`,
    { mode: 0o644 },
  );
  env = {
    REDIS_URL,
    PYRELEASE_QUEUE_PREFIX: prefix,
    PYRELEASE_CONFIG: '/etc/pyrelease/pyrelease.yml',
    GITLAB_URL: gitlab.url,
    GITLAB_TOKEN: gitlabToken,
    GITLAB_WEBHOOK_SECRET: webhookSecret,
    PYRELEASE_REGISTRY_FAKE_TOKEN: indexToken,
    // Debian's backends are in the image; isolated builds would fetch them from PyPI.
    PYRELEASE_BUILD_ISOLATION: 'false',
  };
  if (webRun === undefined) throw new Error("README's production section has no `docker run ... pyrelease serve --no-worker`");
  const port = await freePort();
  web = startContainer(image.id, { command: webRun.command, options: webRun.options, env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, volumes: [`${configDir}:/etc/pyrelease:ro`] });
  await logLine(web, /pyrelease is listening/);
}, 600_000);

afterAll(async () => {
  for (const c of [web, ...workers]) await c?.remove();
  await gitlab?.close();
  await index?.close();
  if (configDir !== '') rmSync(configDir, { recursive: true, force: true });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

async function startWorker(options: readonly string[]): Promise<Container> {
  const image = await ensureImage();
  const c = startContainer(image.id, { command: workerRun?.command ?? ['worker'], options, env, volumes: [`${configDir}:/etc/pyrelease:ro`] });
  workers.push(c);
  await logLine(c, /worker started/);
  return c;
}

async function publishJobs(): Promise<Array<{ state: string; version: string }>> {
  // `pyrelease jobs --json` in the web container, as an operator would ask.
  const out = execFileSync('podman', ['--runtime', 'runc', 'exec', (web as Container).name, 'node', 'bin/pyrelease.js', 'jobs', '--json'], { encoding: 'utf8' });
  return out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { state: string; version: string });
}

async function sendTagPush(): Promise<{ status: number; body: unknown }> {
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/gitlab/tag-push.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const payload = {
    ...fixture,
    ref: 'refs/tags/v1.4.0', before: '0'.repeat(40), after: sha, checkout_sha: sha, project_id: project.id, ref_protected: true,
    project: { ...(fixture['project'] as object), id: project.id, path_with_namespace: project.pathWithNamespace, default_branch: 'main' },
  };
  const url = String((await logLine(web as Container, /pyrelease is listening/))['url']);
  const res = await fetch(`${url}/webhooks/gitlab`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': webhookSecret, 'idempotency-key': randomUUID() },
    body: JSON.stringify(payload),
  });
  return { status: res.status, body: await res.json() };
}

describe("a release through the image's worker, run as README's production section runs it", () => {
  it('README runs web and worker with `docker run`, the worker with container options of its own', () => {
    expect(webRun, 'docker run ... pyrelease serve --no-worker').toBeDefined();
    expect(workerRun, 'docker run ... pyrelease worker').toBeDefined();
    expect(workerRun?.options).toEqual(expect.arrayContaining(['--security-opt']));
    // The web process runs untrusted code nowhere: it keeps the engine's defaults.
    expect(webRun?.options).toEqual([]);
  });

  it('a worker started without those options refuses to build, says why, and leaves the publish job waiting', { timeout: 120_000 }, async () => {
    const refusing = await startWorker([]);
    const refusal = await logLine(refusing, /PYRELEASE_BUILD_SANDBOX=required and builds cannot be contained here: this worker takes no publish job/);
    expect(String(refusal['problem'])).toContain('--security-opt seccomp=unconfined');
    expect(await logLine(refusing, /worker started/)).toMatchObject({ builds: 'refused' });

    expect(await sendTagPush()).toEqual({ status: 200, body: expect.objectContaining({ status: 'queued' }) });
    // The event is handled (this worker takes events), and the publish job it makes waits.
    const waiting = await eventually(async () => (await publishJobs()).find((j) => j.version === '1.4.0'), 60_000, 'the publish job');
    expect(waiting.state).toBe('waiting');
    await new Promise((r) => setTimeout(r, 3000));
    expect((await publishJobs()).map((j) => j.state)).toEqual(['waiting']);
    expect(index.uploads).toEqual([]);

    await refusing.signal('SIGTERM');
    expect(await refusing.process.exited).toBe(0);
  });

  it("a worker with README's options contains the build (subordinate uid, no network, its own /proc) and publishes the waiting release, each file once", { timeout: 180_000 }, async () => {
    const worker = await startWorker(workerRun?.options ?? []);
    expect(await logLine(worker, /builds are contained/)).toMatchObject({ privilege: 'subuid', uid: 65532, proc: true });

    const release = await eventually(() => project.releases.get('v1.4.0'), 120_000, 'the GitLab release');
    expect(release.links.map((l) => l.url)).toEqual([`${index.simpleUrl}sample-contained/`]);
    await eventually(() => (project.statuses.at(-1)?.status === 'success' ? true : undefined), 30_000, 'a success status');
    expect(index.files().map((f) => f.filename).sort()).toEqual(['sample-contained-1.4.0.tar.gz', 'sample_contained-1.4.0-py3-none-any.whl']);
    const perFile = new Map<string, number>();
    for (const u of index.uploads) if (u.filename !== null && u.status < 300) perFile.set(u.filename, (perFile.get(u.filename) ?? 0) + 1);
    expect([...perFile.values()]).toEqual([1, 1]);

    // What the build saw, from the wheel it built in the container.
    const html = await (await fetch(`${index.simpleUrl}sample-contained/`)).text();
    const wheelUrl = /href="([^"]+\.whl)[^"]*"/.exec(html)?.[1];
    expect(wheelUrl).toBeDefined();
    const wheel = Buffer.from(await (await fetch(new URL(wheelUrl as string, index.simpleUrl))).arrayBuffer());
    const probe = JSON.parse(execFileSync('python3', ['-c', 'import io, sys, zipfile; print(zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())).read("sample_contained/probe.json").decode())'], { input: wheel, encoding: 'utf8' })) as Record<string, unknown>;
    expect(probe).toEqual({ uid: 65532, hostname: 'pyrelease-build', redis: 'ConnectionRefusedError', index: 'ConnectionRefusedError', data_dir: false, app: false, secrets: [] });

    await worker.signal('SIGTERM');
    expect(await worker.process.exited).toBe(0);
    expect(serviceLines(worker).filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
  });
});
