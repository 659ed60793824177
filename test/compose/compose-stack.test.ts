// docker-compose.yml, run: Debian's dockerd and Compose (1.29; v2 where installed) bring up
// the repository's compose file, set up exactly as README.md's "Running it in
// production" says (its commands are read from it), on stand-ins for the images no
// registry here can give (stand-in-images.ts, redis-stand-in/Dockerfile). A release goes
// through the stack to a fake GitLab and a fake index on the host; `down` and a second
// `up` keep the queue and the release history.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeProject } from '../fakes/fake-gitlab-state.js';
import { startFakeIndex } from '../fakes/fake-index.js';
import type { FakeIndex } from '../fakes/fake-index.js';
import { commitFixture, eventually, tagPush } from '../helpers/gitlab-service.js';
import { CACHE_DIR, imageArchive } from '../image/image-build.js';
import { forwardFromBridge } from './bridge-forward.js';
import type { BridgeForward } from './bridge-forward.js';
import { composeProject } from './compose-project.js';
import type { ComposeProject } from './compose-project.js';
import { commandFor, readmeCompose } from './readme-commands.js';
import { startScratchDockerd, unmountUnder } from './scratch-dockerd.js';
import type { ScratchDockerd } from './scratch-dockerd.js';
import { prepareImages } from './stand-in-images.js';

const readme = readmeCompose();
const UP = commandFor(readme, 'up');
const DOWN = commandFor(readme, 'down');
/** docker-compose.yml publishes the image's port 3000 on the host. */
const WEB = 'http://127.0.0.1:3000';
const sha = 'a'.repeat(40);

let work = '';
let dockerd: ScratchDockerd | undefined;
let gitlab: FakeGitlab | undefined;
let index: FakeIndex | undefined;
const forwards: BridgeForward[] = [];
let stack: ComposeProject;
let project: FakeProject;
const secrets = { gitlab: `glpat-${randomBytes(12).toString('hex')}`, index: `pypi-${randomBytes(16).toString('hex')}`, webhook: randomBytes(16).toString('hex'), admin: randomBytes(12).toString('hex') };
const deliveryKey = randomUUID();
const timings: Record<string, number | string> = {};

/** The stand-in node:24-bookworm-slim root filesystem test/image's ensureImage() cached. */
function cachedBaseTar(): string {
  const tars = readdirSync(CACHE_DIR).filter((n) => /^stand-in-[0-9a-f]+\.tar$/.test(n));
  if (tars.length !== 1) throw new Error(`expected one stand-in base in ${CACHE_DIR} (test/image/image-build.ts), found ${tars.join(', ') || 'none'}`);
  return join(CACHE_DIR, tars[0] as string);
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

async function inspect(container: string, format: string): Promise<string> {
  return (await (dockerd as ScratchDockerd).docker(['inspect', '--format', format, container])).trim();
}

/** The JSON log lines of a service (`compose logs` prefixes each with the container's name). */
async function serviceLog(service: string): Promise<Array<Record<string, unknown>>> {
  const { stdout } = await stack.compose(['logs', '--no-color', service]);
  return stdout.split('\n').flatMap((line) => {
    const at = line.indexOf('{');
    if (at < 0) return [];
    try {
      return [JSON.parse(line.slice(at)) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

let lastReadyz = '';
async function readyz(): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`${WEB}/readyz`, { signal: AbortSignal.timeout(2000) }).catch((e: unknown) => String(e));
  if (typeof res === 'string') return void (lastReadyz = res);
  lastReadyz = `${res.status} ${await res.text()}`;
  return res.status === 200 ? (JSON.parse(lastReadyz.slice(4)) as Record<string, unknown>) : undefined;
}

/** Waits as `eventually` does; on a timeout, the error also says what diagnose() finds. */
async function waitFor<T>(check: () => Promise<T | undefined>, what: string, diagnose: () => Promise<string>): Promise<T> {
  try {
    return await eventually(check, 60_000, what);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${await diagnose().catch((e: unknown) => String(e))}`);
  }
}

const logTail = async (service: string): Promise<string> => (await stack.compose(['logs', '--no-color', '--tail', '20', service])).stdout;

/** Redis healthy (its healthcheck), web ready (/readyz), the worker running and able to build. */
async function expectStackUp(): Promise<void> {
  // Compose's network is where .env's URLs expect it (scratch-dockerd.ts).
  const network = await stack.compose(['ps', '-q']).then(async ({ stdout }) => inspect(stdout.trim().split('\n')[0] ?? '', '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}'));
  expect(network).toBe((dockerd as ScratchDockerd).gateway);
  const redis = await stack.containerOf('redis');
  await waitFor(async () => ((await inspect(redis, '{{.State.Health.Status}}')) === 'healthy' ? true : undefined), 'Redis healthy', () => logTail('redis'));
  const ready = await waitFor(readyz, 'web ready on /readyz', async () => `last answer: ${lastReadyz}\n${await logTail('web')}`);
  expect(ready).toEqual({ status: 'ready', redis: 'ok', gitlab: 'ok', github: 'unconfigured' });
  const worker = await stack.containerOf('worker');
  const started = await waitFor(async () => (await serviceLog('worker')).find((l) => l['msg'] === 'worker started'), 'the worker started', () => logTail('worker'));
  expect(await inspect(worker, '{{.State.Running}} {{.RestartCount}}')).toBe('true 0');
  // A worker that cannot contain builds runs but takes no publish job: say why here.
  const refused = (await serviceLog('worker')).find((l) => /builds cannot be contained/.test(String(l['msg'])));
  expect(refused?.['problem'] ?? null).toBeNull();
  expect(started['builds']).toBe('contained');
}

async function sendTagPush(key: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${WEB}/webhooks/gitlab`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': secrets.webhook, 'idempotency-key': key },
    body: JSON.stringify(tagPush({ project }, 'v1.4.0', sha)),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  const t = Date.now();
  // Short: the daemon's socket path must fit a sockaddr_un.
  work = await mkdtemp('/tmp/pyrelease-compose-');
  if (!(await portIsFree(3000))) throw new Error('port 3000 is taken on this host: docker-compose.yml publishes the web service there');
  dockerd = await startScratchDockerd(join(work, 'docker'));
  timings['dockerd'] = Date.now() - t;
  const archive = await imageArchive();
  const images = await prepareImages(dockerd, cachedBaseTar(), archive.path);
  Object.assign(timings, { importBase: images.base, redisStandIn: images.redis, loadImage: images.pyrelease });

  gitlab = await startFakeGitlab();
  gitlab.addUser('pyrelease-bot', secrets.gitlab);
  project = gitlab.addProject('acme/sample', 'main');
  index = await startFakeIndex({ users: { __token__: secrets.index } });
  forwards.push(await forwardFromBridge(dockerd.gateway, gitlab.url), await forwardFromBridge(dockerd.gateway, index.url));
  const [toGitlab, toIndex] = forwards as [BridgeForward, BridgeForward];

  const dir = join(work, 'project');
  await mkdir(dir);
  stack = await composeProject(dir, dockerd.env, readme, {
    // What a user fills in: the forge, its webhook secret, the index token, the admin page.
    settings: {
      GITLAB_URL: toGitlab.url,
      GITLAB_TOKEN: secrets.gitlab,
      GITLAB_WEBHOOK_SECRET: secrets.webhook,
      // The fakes speak plain http, and from a container the host is another machine.
      PYRELEASE_ALLOW_PLAIN_HTTP: 'gitlab',
      PYRELEASE_REGISTRY_FAKE_TOKEN: secrets.index,
      // The containers reach no index to install build requirements from: the image's backends build.
      PYRELEASE_BUILD_ISOLATION: 'false',
      PYRELEASE_ADMIN_PASSWORD: secrets.admin,
    },
    serverConfig: [
      'registries:',
      '  fake:',
      `    upload-url: ${index.uploadUrl.replace(index.url, toIndex.url)}`,
      `    simple-url: ${index.simpleUrl.replace(index.url, toIndex.url)}`,
      'publishers:',
      '  fake:',
      '    - gitlab: [acme/sample]',
      "      projects: ['*']",
      '',
    ].join('\n'),
  });
  timings['compose'] = stack.cli.join(' ');
  timings['setup'] = Date.now() - t;
}, 600_000);

afterAll(async () => {
  const t = Date.now();
  if (dockerd !== undefined) {
    // Containers, Compose's network (a bridge on the host) and the volumes, then the daemon.
    await stack?.compose(['down', '--volumes', '--timeout', '1']).catch(() => undefined);
    await dockerd.docker(['network', 'prune', '--force']).catch(() => undefined);
    await dockerd.stop();
  }
  for (const f of forwards) await f.close();
  await gitlab?.close();
  await index?.close();
  if (work !== '') {
    await unmountUnder(work);
    await rm(work, { recursive: true, force: true });
  }
  timings['cleanup'] = Date.now() - t;
  console.log(`compose suite timings (ms): ${JSON.stringify(timings)}`);
}, 120_000);

describe('docker-compose.yml on dockerd, as README.md runs it', () => {
  it('runs the repository\'s compose file and the README\'s override, nothing else', () => {
    expect(existsSync(join(stack.dir, 'docker-compose.yml'))).toBe(true);
    expect(UP).toEqual(['up', '-d']);
    expect(DOWN).toEqual(['down']);
  });

  it('comes up: Redis healthy, web ready, the worker running', { timeout: 180_000 }, async () => {
    const t = Date.now();
    await stack.compose(UP, 180_000);
    await expectStackUp();
    timings['firstUp'] = Date.now() - t;
    // The redis service's command execs down to redis-server as the redis user: the
    // container's PID 1, which the stop signal reaches, so that it writes its AOF.
    const pid = await inspect(await stack.containerOf('redis'), '{{.State.Pid}}');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    expect(/^Name:\s+(\S+)/m.exec(status)?.[1]).toBe('redis-server');
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).not.toBe('0');
  });

  it('publishes a release through the stack: webhook to web, Redis, worker, a contained build, the index and GitLab', { timeout: 180_000 }, async () => {
    const t = Date.now();
    await commitFixture(project, 'main', sha, 'Release 1.4.0', 'setuptools-static');
    project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: sha, message: '', target: sha });
    expect(await sendTagPush(deliveryKey)).toEqual({ status: 200, body: expect.objectContaining({ status: 'queued' }) });
    const idx = index as FakeIndex;
    const release = await eventually(() => project.releases.get('v1.4.0'), 150_000, 'the GitLab release');
    expect(release.links.map((l) => l.url)).toEqual([`${idx.simpleUrl.replace(idx.url, forwards[1]?.url ?? '')}sample-static/`]);
    await eventually(() => (project.statuses.at(-1)?.status === 'success' ? true : undefined), 30_000, 'a success status');
    expect(idx.files().map((f) => f.filename).sort()).toEqual(['sample-static-1.4.0.tar.gz', 'sample_static-1.4.0-py3-none-any.whl']);
    expect(idx.uploads.map((u) => u.status)).toEqual([200, 200]);
    timings['release'] = Date.now() - t;
    // Built by the worker container, under its sandbox (`builds: contained` at start).
    const built = (await serviceLog('worker')).find((l) => l['msg'] === 'built');
    expect(built?.['wheels']).toBe(1);
    timings['build'] = Number(built?.['durationMs']);
  });

  it(`stops with \`${DOWN.join(' ')}\` in under 15 s, keeping the volumes`, { timeout: 60_000 }, async () => {
    const { ms } = await stack.compose(DOWN, 60_000);
    timings['down'] = ms;
    expect(ms).toBeLessThan(15_000);
    expect((await (dockerd as ScratchDockerd).docker(['ps', '--all', '--quiet'])).trim()).toBe('');
    const volumes = (await (dockerd as ScratchDockerd).docker(['volume', 'ls', '--quiet'])).split('\n');
    expect(volumes).toEqual(expect.arrayContaining(['pyrelease_redis-data', 'pyrelease_pyrelease-data']));
  });

  it('comes up again with the Redis append-only file and the release history', { timeout: 180_000 }, async () => {
    const t = Date.now();
    await stack.compose(UP, 180_000);
    await expectStackUp();
    timings['secondUp'] = Date.now() - t;
    const { stdout } = await stack.compose(['logs', '--no-color', 'redis']);
    expect(stdout).toMatch(/DB loaded from append only file/);
    // The release page reads the publish queue's finished jobs, in Redis.
    const auth = { headers: { authorization: `Basic ${Buffer.from(`admin:${secrets.admin}`).toString('base64')}` } };
    const page = (await (await fetch(`${WEB}/releases.json`, auth)).json()) as { repositories: Array<{ repo: string; releases: Array<{ version: string; state: string; files: Array<{ filename: string }> }> }> };
    const releases = page.repositories.flatMap((r) => r.releases.map((x) => ({ version: x.version, state: x.state, files: x.files.map((f) => f.filename).sort() })));
    expect(releases).toEqual([{ version: '1.4.0', state: 'completed', files: ['sample-static-1.4.0.tar.gz', 'sample_static-1.4.0-py3-none-any.whl'] }]);
    // GitLab's retry of the first delivery is still known: the delivery ids survived too.
    expect(await sendTagPush(deliveryKey)).toEqual({ status: 200, body: { status: 'duplicate' } });
    expect((index as FakeIndex).uploads).toHaveLength(2);
  });
});
