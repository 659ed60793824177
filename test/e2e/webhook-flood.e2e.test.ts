import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisConnection } from '../../src/jobs/queues.js';
import { signGithubPayload } from '../../src/platforms/github/webhook-signature.js';
import { signStandardWebhook } from '../../src/platforms/gitlab/webhook-auth.js';
import { startFakeGithub } from '../fakes/fake-github.js';
import type { FakeGithub } from '../fakes/fake-github.js';
import { startFakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../fakes/fake-gitlab.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';
import { slowPost } from '../helpers/slow-post.js';
import type { SlowPost, SlowPostOptions } from '../helpers/slow-post.js';
import { spawnCli } from '../helpers/worker-process.js';
import type { CliProcess } from '../helpers/worker-process.js';

/**
 * The attack of issue 14 against a real web process (`pyrelease serve --no-worker`, the
 * built dist/), both forges configured, on 127.0.0.1: 40 connections each sending 24 MiB
 * slowly. Before the budget that took the process from 94 MB to 1,059 MB RSS. Here its RSS
 * must stay within +100 MB of idle during and after, while /healthz and authenticated
 * deliveries of both forges keep being answered 200.
 *
 * Two rounds: strangers with no credentials at all (refused from the headers), and
 * strangers whose headers pass every check that can be made before the body (a
 * well-formed GitHub signature, GitLab signing-token headers), whose bodies must be read
 * and so are held within the budget. Each of the 40 slots opens a new connection when
 * its last one is answered, for a bounded number of attempts within a bounded time.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const MIB = 1024 * 1024;
const ATTACK_MS = 8_000;
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{ name: string; examples: Json[] }>;
const githubPush = examples.find((e) => e.name === 'push')?.examples.find((p) => p['deleted'] === false && p['installation'] !== undefined) as Json;
const gitlabPush = JSON.parse(readFileSync(new URL('../fixtures/gitlab/push.json', import.meta.url), 'utf8')) as Json;

const webhookSecret = randomBytes(16).toString('hex');
const gitlabSecret = randomBytes(16).toString('hex');
const signing = `whsec_${randomBytes(32).toString('base64')}`;
const prefix = `{pyrelease-flood-${randomBytes(6).toString('hex')}}`;
const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-flood');
let github: FakeGithub;
let gitlab: FakeGitlab;
let web: CliProcess;
let port: number;

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

beforeAll(async () => {
  github = await startFakeGithub({ appId: 4242, appSlug: 'pyrelease-flood' });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  github.setAppKey(publicKey);
  gitlab = await startFakeGitlab();
  const gitlabToken = `glpat-${randomBytes(12).toString('hex')}`;
  gitlab.addUser('pyrelease-bot', gitlabToken);
  web = spawnCli(['serve', '--no-worker'], {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: TEST_REDIS_URL,
    PYRELEASE_QUEUE_PREFIX: prefix,
    GITLAB_URL: gitlab.url,
    GITLAB_TOKEN: gitlabToken,
    GITLAB_WEBHOOK_SECRET: gitlabSecret,
    GITLAB_WEBHOOK_SIGNING_SECRET: signing,
    APP_ID: '4242',
    PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    WEBHOOK_SECRET: webhookSecret,
    GHE_HOST: new URL(github.url).host,
    GHE_PROTOCOL: 'http',
  });
  const listening = JSON.parse(await web.waitForLine(/"msg":"pyrelease is listening"/)) as { url: string };
  port = Number(new URL(listening.url).port);
}, 60_000);

afterAll(async () => {
  web?.kill('SIGTERM');
  await web?.exited;
  await github?.close();
  await gitlab?.close();
  await redis.del(...(await redis.keys(`${prefix}*`)), 'none');
  redis.disconnect();
});

const base = (): string => `http://127.0.0.1:${port}`;

/** One authenticated delivery of each kind the forges send, and /healthz: all must be 200. */
async function legitimateRound(): Promise<number[]> {
  const gh = JSON.stringify({ ...githubPush, after: randomBytes(20).toString('hex') });
  const gl = JSON.stringify({ ...gitlabPush, checkout_sha: randomBytes(20).toString('hex') });
  const id = `msg_${randomBytes(6).toString('hex')}`;
  const at = Math.floor(Date.now() / 1000);
  const answers = await Promise.all([
    fetch(`${base()}/healthz`),
    fetch(`${base()}/api/github/webhooks`, { method: 'POST', headers: { 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signGithubPayload(webhookSecret, gh) }, body: gh }),
    fetch(`${base()}/webhooks/gitlab`, { method: 'POST', headers: { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': gitlabSecret, 'idempotency-key': randomUUID() }, body: gl }),
    fetch(`${base()}/webhooks/gitlab`, {
      method: 'POST',
      headers: { 'x-gitlab-event': 'Push Hook', 'webhook-id': id, 'webhook-timestamp': String(at), 'webhook-signature': signStandardWebhook(signing, id, at, gl) },
      body: gl,
    }),
  ]);
  await Promise.all(answers.map((a) => a.arrayBuffer()));
  return answers.map((a) => a.status);
}

/** 40 slots, each keeping one attacking connection open until the attack's end or its attempts run out. */
async function flood(attacker: (slot: number) => Omit<SlowPostOptions, 'port'>, pid: number): Promise<{ peakMb: number; legit: number[][]; attempts: number }> {
  const end = Date.now() + ATTACK_MS;
  const live = new Set<SlowPost>();
  let attempts = 0;
  const slot = async (n: number): Promise<void> => {
    for (let i = 0; i < 200 && Date.now() < end; i++) {
      attempts += 1;
      const post = slowPost({ port, ...attacker(n) });
      live.add(post);
      await Promise.race([post.closed, new Promise((r) => setTimeout(r, Math.max(0, end - Date.now())))]);
      post.stop();
      live.delete(post);
    }
  };
  let peakMb = 0;
  const legit: number[][] = [];
  const watch = (async () => {
    while (Date.now() < end) {
      peakMb = Math.max(peakMb, rssMb(pid));
      legit.push(await legitimateRound());
      peakMb = Math.max(peakMb, rssMb(pid));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  await Promise.all([...Array.from({ length: 40 }, (_, n) => slot(n)), watch]);
  for (const post of live) post.stop();
  return { peakMb, legit, attempts };
}

const slowly = { total: 24 * MIB, chunkBytes: 64 * 1024, intervalMs: 50 };

describe('40 slow 24 MiB senders against the web process', () => {
  let idleMb = 0;

  it('is answered normally before the attack', { timeout: 30_000 }, async () => {
    for (let i = 0; i < 5; i++) expect(await legitimateRound()).toEqual([200, 200, 200, 200]);
    await new Promise((r) => setTimeout(r, 1000));
    idleMb = rssMb(web.child.pid ?? 0);
    expect(idleMb).toBeGreaterThan(0);
  });

  it.each([
    ['with no credentials', (n: number) => ({ path: n % 2 === 0 ? '/webhooks/gitlab' : '/api/github/webhooks', headers: { 'x-gitlab-event': 'Push Hook', 'x-github-event': 'push' }, ...slowly })],
    [
      'with headers that pass every check before the body',
      (n: number) => {
        const at = String(Math.floor(Date.now() / 1000));
        const headers =
          n % 2 === 0
            ? { 'x-gitlab-event': 'Push Hook', 'webhook-id': `msg_${n}`, 'webhook-timestamp': at, 'webhook-signature': `v1,${randomBytes(32).toString('base64')}` }
            : { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${randomBytes(32).toString('hex')}` };
        // Half declare their length, half stream chunked: both kinds of lease.
        return { path: n % 2 === 0 ? '/webhooks/gitlab' : '/api/github/webhooks', headers, ...slowly, chunked: n % 4 < 2 };
      },
    ],
  ])('%s: RSS stays within +100 MB of idle, and the forges and /healthz are answered', { timeout: 60_000 }, async (_name, attacker) => {
    const pid = web.child.pid ?? 0;
    const { peakMb, legit, attempts } = await flood(attacker, pid);
    await new Promise((r) => setTimeout(r, 2000));
    const afterMb = rssMb(pid);
    console.log(`idle ${idleMb.toFixed(0)} MB, peak during ${peakMb.toFixed(0)} MB, after ${afterMb.toFixed(0)} MB; ${attempts} attacking connections, ${legit.length} rounds of legitimate requests`);
    expect(attempts).toBeGreaterThanOrEqual(40);
    expect(legit.length).toBeGreaterThan(3);
    for (const round of legit) expect(round).toEqual([200, 200, 200, 200]);
    expect(peakMb).toBeLessThan(idleMb + 100);
    expect(afterMb).toBeLessThan(idleMb + 100);
    expect(await legitimateRound()).toEqual([200, 200, 200, 200]);
  });
});
