import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, readdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startWorkerProcess } from '../../src/composition/worker-process.js';
import { startService } from '../../src/main.js';
import type { RunningService } from '../../src/main.js';
import { parseServerConfig } from '../../src/server-config.js';
import { copyProject, packForgeArchive } from './archive-fixtures.js';
import type { FixtureProject } from './archive-fixtures.js';
import { TEST_REDIS_URL } from './publish-harness.js';
import { startFakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeProject } from '../fakes/fake-gitlab-state.js';
import { addCommit, addMergeRequest } from '../fakes/fake-gitlab-arrange.js';
import { startFakeIndex } from '../fakes/fake-index.js';
import type { FakeIndex } from '../fakes/fake-index.js';

/**
 * The whole service as a user runs it (`startService`: HTTP server, event and publish
 * workers, real Redis, real builds) against a fake GitLab and a fake index on
 * 127.0.0.1, with random secrets.
 */
export interface GitlabService {
  readonly service: RunningService;
  readonly gitlab: FakeGitlab;
  readonly index: FakeIndex;
  readonly project: FakeProject;
  readonly secret: string;
  readonly tokens: { gitlab: string; index: string };
  readonly logLines: string[];
  /** The service's environment (its Redis prefix, data dir and secrets). */
  readonly env: Readonly<Record<string, string>>;
  /** Commits a fixture project's files (with a [tool.pyrelease] naming the fake index) and stores its archive. */
  commitFixture(branch: string, sha: string, message: string, fixture: FixtureProject, version?: string): Promise<void>;
  send(event: string, payload: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

async function filesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(dir, path)] = await readFile(path, 'utf8');
  }
  return out;
}

/** `split`: web (`serve --no-worker`) and workers (`pyrelease worker`) as separate parts, as in production. */
export async function gitlabService(
  options: {
    env?: Record<string, string>;
    serverYaml?: (gitlab: FakeGitlab) => string;
    split?: boolean;
    beforeStart?: (gitlab: FakeGitlab) => void;
    /** The `publishers.fake` grants (YAML list items); by default acme/sample may publish any name, as its operator would allow. */
    publishers?: string;
  } = {},
): Promise<GitlabService> {
  const gitlabToken = `glpat-${randomBytes(12).toString('hex')}`;
  const indexToken = `pypi-${randomBytes(16).toString('hex')}`;
  const secret = randomBytes(16).toString('hex');
  const gitlab = await startFakeGitlab();
  gitlab.addUser('pyrelease-bot', gitlabToken);
  const project = gitlab.addProject('acme/sample', 'main');
  options.beforeStart?.(gitlab);
  const index = await startFakeIndex({ users: { __token__: indexToken } });
  const dataDir = await mkdtemp(join(tmpdir(), 'pyrelease-svc-'));
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: TEST_REDIS_URL,
    PYRELEASE_QUEUE_PREFIX: `{pyrelease-e2e-${randomBytes(6).toString('hex')}}`,
    PYRELEASE_DATA_DIR: dataDir,
    PYRELEASE_BUILD_ISOLATION: 'false',
    PYRELEASE_JOB_BACKOFF_MS: '200',
    PYRELEASE_LOCK_DURATION_MS: '5000',
    GITLAB_URL: gitlab.url,
    GITLAB_TOKEN: gitlabToken,
    GITLAB_WEBHOOK_SECRET: `old-rotated-secret,${secret}`,
    PYRELEASE_REGISTRY_FAKE_TOKEN: indexToken,
    ...options.env,
  };
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const publishers = options.publishers ?? "    - gitlab: [acme/sample]\n      projects: ['*']\n";
  const server = parseServerConfig(`registries:\n  fake:\n    upload-url: ${index.uploadUrl}\n    simple-url: ${index.simpleUrl}\npublishers:\n  fake:\n${publishers}${options.serverYaml?.(gitlab) ?? ''}`);
  if (!server.ok) throw new Error(server.errors.join('; '));
  const logLines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const service = await startService({ config: loaded.config, server: server.config, env, log, runWorkers: options.split !== true });
  const workers = options.split === true ? await startWorkerProcess({ config: loaded.config, server: server.config, env, log }) : null;

  return {
    service,
    gitlab,
    index,
    project,
    secret,
    tokens: { gitlab: gitlabToken, index: indexToken },
    logLines,
    env,
    commitFixture: (branch, sha, message, fixture, version) => commitFixture(project, branch, sha, message, fixture, version),
    async send(event, payload, headers = {}) {
      const res = await fetch(`${service.url}/webhooks/gitlab`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitlab-event': event, 'x-gitlab-token': secret, 'idempotency-key': randomUUID(), ...headers },
        body: JSON.stringify(payload),
      });
      return { status: res.status, body: await res.json() };
    },
    async close() {
      await service.close();
      await workers?.close();
      await gitlab.close();
      await index.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Commits a fixture project's files to a fake GitLab project (with a [tool.pyrelease] naming the `fake` registry) and stores its archive. */
export async function commitFixture(project: FakeProject, branch: string, sha: string, message: string, fixture: FixtureProject, version?: string): Promise<void> {
  const dir = await copyProject(fixture);
  const pyprojectPath = join(dir, 'pyproject.toml');
  const pyproject = await readFile(pyprojectPath, 'utf8').catch(() => null);
  if (pyproject === null) {
    // A setup.py-only project has no pyproject.toml: its config is .pyrelease.yml.
    await writeFile(join(dir, '.pyrelease.yml'), 'registries: [fake]\n');
  } else {
    const bumped = version === undefined ? pyproject : pyproject.replace(/^version = ".*"$/m, `version = "${version}"`);
    await writeFile(pyprojectPath, `${bumped}\n[tool.pyrelease]\nregistries = ["fake"]\n`);
  }
  addCommit(project, branch, sha, message, await filesOf(dir));
  project.archives.set(sha, await readFile(await packForgeArchive(dir, { name: 'sample', sha })));
}

/**
 * v1.4.0 tagged on main (sha 1111...), and merge request !5 whose `feature` branch (head
 * 2222...) lowers the version to 1.3.0: one version problem to comment on.
 */
export async function arrangeLoweringMergeRequest(s: GitlabService): Promise<void> {
  const [base, head] = ['1'.repeat(40), '2'.repeat(40)];
  await s.commitFixture('main', base, 'base', 'setuptools-static', '1.4.0');
  s.project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: base, message: '', target: base });
  s.project.branches.set('feature', [base]);
  await s.commitFixture('feature', head, 'lower', 'setuptools-static', '1.3.0');
  addMergeRequest(s.project, 5, [head]);
}

const gitlabFixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/gitlab/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** The `project` block of a GitLab webhook, for this service's fake project. */
export function projectBlock(s: Pick<GitlabService, 'project'>): Record<string, unknown> {
  return { ...(gitlabFixture('tag-push')['project'] as object), id: s.project.id, path_with_namespace: s.project.pathWithNamespace, default_branch: 'main' };
}

/** A Tag Push Hook for `tag` at commit `at`, from the recorded GitLab payload. */
export function tagPush(s: Pick<GitlabService, 'project'>, tag: string, at: string): Record<string, unknown> {
  return { ...gitlabFixture('tag-push'), ref: `refs/tags/${tag}`, before: '0'.repeat(40), after: at, checkout_sha: at, project_id: s.project.id, ref_protected: true, project: projectBlock(s) };
}

/** Polls until check() returns a value that is not undefined, or fails after timeoutMs. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
