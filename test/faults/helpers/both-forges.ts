import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config.js';
import { EVENT_QUEUE, EVENT_QUEUES } from '../../../src/jobs/event-job.js';
import { inboxState } from '../../../src/jobs/event-inbox.js';
import { redisConnection } from '../../../src/jobs/queues.js';
import { startService } from '../../../src/main.js';
import type { RunningService } from '../../../src/main.js';
import type { PUBLISH_QUEUE } from '../../../src/jobs/publish-job.js';
import { signGithubPayload } from '../../../src/platforms/github/webhook-signature.js';
import { parseServerConfig } from '../../../src/server-config.js';
import { addCommit as addGithubCommit } from '../../fakes/fake-github-arrange.js';
import type { FakeRepo } from '../../fakes/fake-github-state.js';
import { startFakeGithub } from '../../fakes/fake-github.js';
import type { FakeGithub } from '../../fakes/fake-github.js';
import { addCommit as addGitlabCommit } from '../../fakes/fake-gitlab-arrange.js';
import type { FakeProject } from '../../fakes/fake-gitlab-state.js';
import { startFakeGitlab } from '../../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../../fakes/fake-gitlab.js';
import { startFakeIndex } from '../../fakes/fake-index.js';
import type { FakeIndex } from '../../fakes/fake-index.js';
import { copyProject, packForgeArchive } from '../../helpers/archive-fixtures.js';
import type { FixtureProject } from '../../helpers/archive-fixtures.js';
import { TEST_REDIS_URL } from '../../helpers/publish-harness.js';

export const INSTALLATION_ID = 77;

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly ms: number;
}

/**
 * One service (`startService`, workers in-process) serving GitLab and GitHub at once,
 * against a fake GitLab, a fake GitHub Enterprise Server and one fake index per forge
 * (`gl` and `gh`, so each forge's files are counted apart), all on 127.0.0.1, with a
 * unique queue prefix. The service can be stopped and started again on the same
 * prefix (a redeploy), and Redis may be a private one (`redisUrl`).
 */
export interface BothForges {
  service: RunningService;
  readonly gitlab: FakeGitlab;
  readonly github: FakeGithub;
  readonly glIndex: FakeIndex;
  readonly ghIndex: FakeIndex;
  readonly project: FakeProject;
  readonly repo: FakeRepo;
  readonly prefix: string;
  readonly logLines: string[];
  /** The service's environment and server config file text: what a `pyrelease serve` / `worker` child process needs to join it. */
  readonly env: Readonly<Record<string, string>>;
  readonly serverYaml: string;
  commitGitlab(branch: string, sha: string, fixture: FixtureProject, version?: string): Promise<void>;
  commitGithub(branch: string, sha: string, fixture: FixtureProject, version?: string): Promise<void>;
  /** Sends to the in-process service, or to another web process at `baseUrl`. */
  sendGitlab(event: string, payload: unknown, delivery: string, baseUrl?: string): Promise<Answer>;
  sendGithub(event: string, payload: unknown, delivery: string, baseUrl?: string): Promise<Answer>;
  /** Every job in a queue (any state), read straight from Redis: id, state and delivery id (event jobs). */
  jobs(queue: typeof EVENT_QUEUE | typeof PUBLISH_QUEUE): Promise<Array<{ id: string; state: string; delivery: string | null; failedReason: string | null; attempts: number }>>;
  /** Waiting + active + delayed + prioritized + waiting-children jobs in a queue. */
  pending(queue: typeof EVENT_QUEUE | typeof PUBLISH_QUEUE): Promise<number>;
  close(): Promise<void>;
}

async function filesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[relative(dir, join(entry.parentPath, entry.name))] = await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return out;
}

async function fixtureFiles(fixture: FixtureProject, version: string | undefined, registry: string): Promise<{ dir: string; files: Record<string, string> }> {
  const dir = await copyProject(fixture);
  const path = join(dir, 'pyproject.toml');
  let text = await readFile(path, 'utf8');
  if (version !== undefined) text = text.replace(/^version = ".*"$/m, `version = "${version}"`);
  await writeFile(path, `${text}\n[tool.pyrelease]\nregistries = ["${registry}"]\n`);
  return { dir, files: await filesOf(dir) };
}

/** Removes every key under the prefix; a Redis already gone has nothing left to clean. */
async function removeKeys(redis: Redis, prefix: string): Promise<void> {
  try {
    let cursor = '0';
    for (let i = 0; i < 10_000; i++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } catch {
    // a private Redis already closed
  }
}

async function timedPost(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  const ms = performance.now() - started;
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body: parsed, ms };
}

export async function bothForges(options: { env?: Record<string, string>; redisUrl?: string; runWorkers?: boolean } = {}): Promise<BothForges> {
  const gitlabToken = `glpat-${randomBytes(12).toString('hex')}`;
  const glSecret = randomBytes(16).toString('hex');
  const ghSecret = randomBytes(16).toString('hex');
  const glIndexToken = `pypi-${randomBytes(16).toString('hex')}`;
  const ghIndexToken = `pypi-${randomBytes(16).toString('hex')}`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const gitlab = await startFakeGitlab();
  gitlab.addUser('pyrelease-bot', gitlabToken);
  const project = gitlab.addProject('acme/sample', 'main');
  const github = await startFakeGithub({ appId: 4242, appSlug: 'pyrelease-test' });
  github.setAppKey(publicKey);
  github.addInstallation(INSTALLATION_ID);
  const repo = github.addRepo('acme', 'sample', 'main');
  const glIndex = await startFakeIndex({ users: { __token__: glIndexToken } });
  const ghIndex = await startFakeIndex({ users: { __token__: ghIndexToken } });
  const dataDir = await mkdtemp(join(tmpdir(), 'pyrelease-faults-'));
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const prefix = options.env?.['PYRELEASE_QUEUE_PREFIX'] ?? `{pyrelease-faults-${randomBytes(6).toString('hex')}}`;
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl,
    PYRELEASE_QUEUE_PREFIX: prefix,
    PYRELEASE_DATA_DIR: dataDir,
    PYRELEASE_BUILD_ISOLATION: 'false',
    PYRELEASE_JOB_BACKOFF_MS: '200',
    PYRELEASE_LOCK_DURATION_MS: '5000',
    LOG_LEVEL: 'warn',
    GITLAB_URL: gitlab.url,
    GITLAB_TOKEN: gitlabToken,
    GITLAB_WEBHOOK_SECRET: glSecret,
    APP_ID: '4242',
    PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    WEBHOOK_SECRET: ghSecret,
    GHE_HOST: new URL(github.url).host,
    GHE_PROTOCOL: 'http',
    PYRELEASE_REGISTRY_GL_TOKEN: glIndexToken,
    PYRELEASE_REGISTRY_GH_TOKEN: ghIndexToken,
    ...options.env,
  };
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  // Each forge's acme/sample is granted its own target, as an operator must grant them.
  const serverYaml =
    `registries:\n  gl:\n    upload-url: ${glIndex.uploadUrl}\n    simple-url: ${glIndex.simpleUrl}\n  gh:\n    upload-url: ${ghIndex.uploadUrl}\n    simple-url: ${ghIndex.simpleUrl}\n` +
    "publishers:\n  gl:\n    - gitlab: [acme/sample]\n      projects: ['*']\n  gh:\n    - github: [acme/sample]\n      projects: ['*']\n";
  const server = parseServerConfig(serverYaml);
  if (!server.ok) throw new Error(server.errors.join('; '));
  const logLines: string[] = [];
  // warn and above only: debug logging of every webhook would dominate the CPU under load.
  const log = pino({ level: 'warn' }, { write: (line: string) => void logLines.push(line) });
  const service = await startService({ config: loaded.config, server: server.config, env, log, runWorkers: options.runWorkers ?? true });

  const inspector = redisConnection({ url: redisUrl, cluster: env['PYRELEASE_REDIS_CLUSTER'] === 'true' }, 'pyrelease-faults-inspector');
  inspector.on('error', () => undefined);
  const queues = new Map<string, Queue>();
  const queueOf = (name: string): Queue => {
    let q = queues.get(name);
    if (q === undefined) {
      q = new Queue(name, { connection: inspector, prefix });
      q.on('error', () => undefined);
      queues.set(name, q);
    }
    return q;
  };
  const queuesOf = (name: string): Queue[] => (name === EVENT_QUEUE ? EVENT_QUEUES.map(queueOf) : [queueOf(name)]);

  const self: BothForges = {
    service,
    gitlab,
    github,
    glIndex,
    ghIndex,
    project,
    repo,
    prefix,
    logLines,
    env,
    serverYaml,
    async commitGitlab(branch, sha, fixture, version) {
      const { dir, files } = await fixtureFiles(fixture, version, 'gl');
      addGitlabCommit(project, branch, sha, `commit ${sha.slice(0, 7)}`, files);
      project.archives.set(sha, await readFile(await packForgeArchive(dir, { name: 'sample', sha })));
    },
    async commitGithub(branch, sha, fixture, version) {
      const { dir, files } = await fixtureFiles(fixture, version, 'gh');
      addGithubCommit(repo, branch, sha, `commit ${sha.slice(0, 7)}`, files);
      repo.archives.set(sha, await readFile(await packForgeArchive(dir, { name: 'acme-sample', sha })));
    },
    sendGitlab(event, payload, delivery, baseUrl = self.service.url) {
      return timedPost(`${baseUrl}/webhooks/gitlab`, { 'x-gitlab-event': event, 'x-gitlab-token': glSecret, 'idempotency-key': delivery }, JSON.stringify(payload));
    },
    sendGithub(event, payload, delivery, baseUrl = self.service.url) {
      const body = JSON.stringify(payload);
      return timedPost(`${baseUrl}/api/github/webhooks`, { 'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': signGithubPayload(ghSecret, body) }, body);
    },
    async jobs(name) {
      const out: Array<{ id: string; state: string; delivery: string | null; failedReason: string | null; attempts: number }> = [];
      // 'events': both forges' event queues.
      for (const q of queuesOf(name)) for (const state of ['completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized', 'waiting-children'] as const) {
        for (const job of await q.getJobs([state], 0, -1)) {
          const data = job.data as { event?: { meta?: { deliveryId?: string } } } | undefined;
          out.push({ id: job.id ?? '', state, delivery: data?.event?.meta?.deliveryId ?? null, failedReason: job.failedReason ?? null, attempts: job.attemptsMade });
        }
      }
      return out;
    },
    async pending(name) {
      let n = 0;
      for (const q of queuesOf(name)) n += Object.values(await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')).reduce((a, b) => a + b, 0);
      // Deliveries still in the inbox are events not yet queued.
      if (name === EVENT_QUEUE) n += (await inboxState(inspector, prefix)).length;
      return n;
    },
    async close() {
      await self.service.close();
      for (const q of queues.values()) await q.close();
      // A private cluster goes with all its keys; on one Redis SCAN finds this run's.
      if (inspector instanceof Redis) await removeKeys(inspector, prefix);
      inspector.disconnect();
      await gitlab.close();
      await github.close();
      await glIndex.close();
      await ghIndex.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return self;
}
