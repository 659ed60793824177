import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startService } from '../../src/main.js';
import type { RunningService } from '../../src/main.js';
import { signGithubPayload } from '../../src/platforms/github/webhook-signature.js';
import { parseServerConfig } from '../../src/server-config.js';
import { startFakeGithub } from '../fakes/fake-github.js';
import type { FakeGithub } from '../fakes/fake-github.js';
import { addCommit } from '../fakes/fake-github-arrange.js';
import type { FakeRepo } from '../fakes/fake-github-state.js';
import { startFakeIndex } from '../fakes/fake-index.js';
import type { FakeIndex } from '../fakes/fake-index.js';
import { copyProject, packForgeArchive } from './archive-fixtures.js';
import type { FixtureProject } from './archive-fixtures.js';
import { TEST_REDIS_URL } from './publish-harness.js';

export const INSTALLATION_ID = 77;

/** The whole service as a GitHub App (its key made here), against a fake GitHub Enterprise Server and a fake index. */
export interface GithubService {
  readonly service: RunningService;
  readonly github: FakeGithub;
  readonly index: FakeIndex;
  readonly repo: FakeRepo;
  readonly secret: string;
  readonly logLines: string[];
  readonly env: Readonly<Record<string, string>>;
  /** `pyrelease`: the [tool.pyrelease] table to append (null: none, the repo relies on organisation defaults). */
  commitFixture(branch: string, sha: string, message: string, fixture: FixtureProject, version?: string, pyrelease?: string | null): Promise<void>;
  send(event: string, payload: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

async function filesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[relative(dir, join(entry.parentPath, entry.name))] = await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return out;
}

/** `runWorkers: false`: a web process alone (`pyrelease serve --no-worker`); `appKey`: the key the service signs with, when not the one the fake knows. */
export async function githubService(options: { env?: Record<string, string>; runWorkers?: boolean; appKey?: string; serverYaml?: string } = {}): Promise<GithubService> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const github = await startFakeGithub({ appId: 4242, appSlug: 'pyrelease-test' });
  github.setAppKey(publicKey);
  github.addInstallation(INSTALLATION_ID);
  const repo = github.addRepo('acme', 'sample', 'main');
  const indexToken = `pypi-${randomBytes(16).toString('hex')}`;
  const index = await startFakeIndex({ users: { __token__: indexToken } });
  const secret = randomBytes(16).toString('hex');
  const dataDir = await mkdtemp(join(tmpdir(), 'pyrelease-gh-'));
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: TEST_REDIS_URL,
    PYRELEASE_QUEUE_PREFIX: `{pyrelease-gh-${randomBytes(6).toString('hex')}}`,
    PYRELEASE_DATA_DIR: dataDir,
    PYRELEASE_BUILD_ISOLATION: 'false',
    PYRELEASE_JOB_BACKOFF_MS: '200',
    PYRELEASE_LOCK_DURATION_MS: '5000',
    APP_ID: '4242',
    PRIVATE_KEY: options.appKey ?? privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    WEBHOOK_SECRET: secret,
    GHE_HOST: new URL(github.url).host,
    GHE_PROTOCOL: 'http',
    PYRELEASE_REGISTRY_FAKE_TOKEN: indexToken,
    ...options.env,
  };
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  // The operator grants acme/sample the target: nobody may publish to a target by default.
  const server = parseServerConfig(`registries:\n  fake:\n    upload-url: ${index.uploadUrl}\n    simple-url: ${index.simpleUrl}\npublishers:\n  fake:\n    - github: [acme/sample]\n      projects: ['*']\n${options.serverYaml ?? ''}`);
  if (!server.ok) throw new Error(server.errors.join('; '));
  const logLines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const service = await startService({ config: loaded.config, server: server.config, env, log, runWorkers: options.runWorkers ?? true });
  return {
    service,
    github,
    index,
    repo,
    secret,
    logLines,
    env,
    async commitFixture(branch, sha, message, fixture, version, pyrelease = 'registries = ["fake"]') {
      const dir = await copyProject(fixture);
      const path = join(dir, 'pyproject.toml');
      let text = await readFile(path, 'utf8');
      if (version !== undefined) text = text.replace(/^version = ".*"$/m, `version = "${version}"`);
      await writeFile(path, pyrelease === null ? text : `${text}\n[tool.pyrelease]\n${pyrelease}\n`);
      addCommit(repo, branch, sha, message, await filesOf(dir));
      repo.archives.set(sha, await readFile(await packForgeArchive(dir, { name: 'acme-sample', sha })));
    },
    async send(event, payload, headers = {}) {
      const body = JSON.stringify(payload);
      const res = await fetch(`${service.url}/api/github/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signGithubPayload(secret, body), ...headers },
        body,
      });
      return { status: res.status, body: await res.json() };
    },
    async close() {
      await service.close();
      await github.close();
      await index.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
