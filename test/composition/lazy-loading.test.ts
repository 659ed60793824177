import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';
import { spawnCli } from '../helpers/worker-process.js';

/**
 * What only some deployments use is loaded only by them (bench/README.md, Memory without
 * flags): a GitLab-only server loads neither Probot nor Octokit, a server without an admin
 * password not bull-board, and one without a self-hosted section not its machinery. The
 * real command is started with a loader hook that writes down every module it loads.
 */
const HOOK = new URL('../helpers/record-loaded-modules.mjs', import.meta.url).pathname;
let dir = '';
let gitlab: http.Server;
let gitlabUrl = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pyrelease-lazy-'));
  // The bot-user read at start is all a GitLab-only process asks of GitLab while idle.
  gitlab = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 1, username: 'pyrelease-bot' }));
  });
  await new Promise<void>((resolve) => gitlab.listen(0, '127.0.0.1', resolve));
  gitlabUrl = `http://127.0.0.1:${(gitlab.address() as AddressInfo).port}`;
});

afterAll(async () => {
  gitlab.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

async function loadedPackages(role: 'serve' | 'worker', ready: RegExp): Promise<Set<string>> {
  const file = join(dir, `${role}-${randomBytes(4).toString('hex')}.txt`);
  const args = role === 'serve' ? ['serve', '--no-worker'] : ['worker'];
  const cli = spawnCli(args, {
    NODE_OPTIONS: `--import ${HOOK}`,
    PYRELEASE_TEST_LOADED_MODULES: file,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    REDIS_URL: TEST_REDIS_URL,
    PYRELEASE_QUEUE_PREFIX: `{pyrelease-lazy-${randomBytes(6).toString('hex')}}`,
    PYRELEASE_DATA_DIR: dir,
    PYRELEASE_SWEEP_INTERVAL_MS: '0',
    GITLAB_URL: gitlabUrl,
    GITLAB_TOKEN: `glpat-${randomBytes(12).toString('hex')}`,
    GITLAB_WEBHOOK_SECRET: randomBytes(16).toString('hex'),
  });
  try {
    await cli.waitForLine(ready, 30_000);
  } finally {
    cli.kill('SIGTERM');
    await cli.exited;
  }
  const urls = (await readFile(file, 'utf8')).split('\n').filter((u) => u !== '');
  const packages = new Set<string>();
  // Our own modules by their path under dist/.
  for (const url of urls) packages.add(url.replace(/^.*\/dist\//, 'dist/'));
  for (const url of urls) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match?.[1] !== undefined) packages.add(match[1]);
  }
  return packages;
}

const GITHUB_ONLY = ['probot', '@octokit/core', '@octokit/webhooks', '@octokit/auth-app'];

describe('a GitLab-only deployment', () => {
  it('web process: loads neither Probot nor Octokit, nor bull-board without an admin password', async () => {
    const packages = await loadedPackages('serve', /"msg":"pyrelease is listening"/);
    // The hook saw the process's packages at all (a vacuous pass otherwise).
    expect(packages).toContain('bullmq');
    // Nor, without PYRELEASE_CONFIG, the YAML parser.
    for (const name of [...GITHUB_ONLY, '@bull-board/api', '@bull-board/express', 'express', '@gitbeaker/rest', 'yaml']) expect(packages).not.toContain(name);
    // No worker and no self-hosted section: the sweep, the self-hosted queue and the repository config stay out.
    for (const name of ['dist/jobs/sweep-worker.js', 'dist/selfhosted/self-hosted-queue.js', 'dist/composition/self-hosted.js', 'dist/core/repo-config.js']) expect(packages).not.toContain(name);
  }, 60_000);

  it('worker process: loads @gitbeaker, but not Probot or Octokit', async () => {
    const packages = await loadedPackages('worker', /"msg":"workers started"/);
    expect(packages).toContain('@gitbeaker/rest');
    for (const name of [...GITHUB_ONLY, 'dist/composition/github-side.js', 'dist/composition/self-hosted.js']) expect(packages).not.toContain(name);
  }, 60_000);
});
