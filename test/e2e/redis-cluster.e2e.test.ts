import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { hasHashTag } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { sharedPacing } from '../../src/platforms/github/shared-pacing.js';
import { connectionFor, keySlot, openFailFast, redisModeMismatch } from '../../src/redis-client.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';
import { gitlabMergeRequest, gitlabTagPush } from '../helpers/webhook-payloads.js';
import { freePort } from '../helpers/redis-server.js';
import { captureIo } from '../helpers/cli-io.js';
import { arrangeLoweringMergeRequest, eventually, gitlabService } from '../helpers/gitlab-service.js';
import type { GitlabService } from '../helpers/gitlab-service.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';
import type { PrivateRedisCluster } from '../helpers/redis-cluster.js';

// The whole service on a real Redis Cluster of three masters, reached through a node that
// does not own the key prefix's slot: every command must follow MOVED, and every script
// and transaction must keep its keys in the prefix's one slot.

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/gitlab/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
const sha = (c: string) => c.repeat(40);

let cluster: PrivateRedisCluster;
let svc: GitlabService | undefined;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 30_000);
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});
afterAll(async () => {
  await cluster?.close();
});

async function onCluster(split: boolean): Promise<GitlabService> {
  const prefix = `{pyrelease-cluster-${randomBytes(4).toString('hex')}}`;
  return gitlabService({ split, env: { REDIS_URL: await cluster.urlNotOwning(prefix), PYRELEASE_REDIS_CLUSTER: 'true', PYRELEASE_QUEUE_PREFIX: prefix } });
}


/** Keys of the prefix on each node: all of them must sit on the node that owns its slot. */
async function keysByNode(prefix: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const node of cluster.nodes) {
    const client = new Redis(node.url);
    try {
      counts.set(node.url, (await client.keys(`${prefix}*`)).length);
    } finally {
      client.disconnect();
    }
  }
  return counts;
}

describe('on a Redis Cluster (PYRELEASE_REDIS_CLUSTER=true, REDIS_URL a node that does not own the prefix)', () => {
  it('publishes a pushed release tag once, from web and worker processes apart, with every key in the prefix\'s slot', { timeout: 120_000 }, async () => {
    svc = await onCluster(true);
    const s = svc;
    const prefix = s.env['PYRELEASE_QUEUE_PREFIX'] ?? '';
    await s.commitFixture('main', sha('a'), 'Release 1.4.0', 'setuptools-static');
    s.project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: sha('a'), message: '', target: sha('a') });

    const key = `cluster-${randomBytes(4).toString('hex')}`;
    const first = await s.send('Tag Push Hook', gitlabTagPush(s.project, 'v1.4.0', sha('a')), { 'idempotency-key': key });
    expect(first).toMatchObject({ status: 200, body: { status: 'queued' } });
    expect((await s.send('Tag Push Hook', gitlabTagPush(s.project, 'v1.4.0', sha('a')), { 'idempotency-key': key })).body).toEqual({ status: 'duplicate' });

    const release = await eventually(() => s.project.releases.get('v1.4.0'), 90_000, 'the GitLab release');
    expect(release.links.map((l) => l.url)).toEqual([`${s.index.simpleUrl}sample-static/`]);
    await eventually(() => (s.project.statuses.at(-1)?.status === 'success' ? true : undefined), 30_000, 'a success status');
    expect(s.index.files().map((f) => f.filename).sort()).toEqual(['sample-static-1.4.0.tar.gz', 'sample_static-1.4.0-py3-none-any.whl']);
    expect(s.index.uploads.filter((u) => u.status < 300)).toHaveLength(2);

    const owner = await cluster.urlOwning(prefix);
    const counts = await keysByNode(prefix);
    expect(counts.get(owner)).toBeGreaterThan(0);
    for (const [url, count] of counts) if (url !== owner) expect(count, url).toBe(0);

    const ready = await fetch(`${s.service.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', redis: 'ok', gitlab: 'ok', github: 'unconfigured' });
    const metrics = await (await fetch(`${s.service.url}/metrics`)).text();
    expect(metrics).toMatch(/pyrelease_jobs\{queue="publish",state="completed"\} 1\b/);
  });

  it('comments on a merge request once, in one process, and `pyrelease jobs` lists the work', { timeout: 60_000 }, async () => {
    svc = await onCluster(false);
    const s = svc;
    await arrangeLoweringMergeRequest(s);

    expect((await s.send('Merge Request Hook', gitlabMergeRequest(s.project, 5, sha('2')))).status).toBe(200);
    expect((await s.send('Merge Request Hook', gitlabMergeRequest(s.project, 5, sha('2')))).status).toBe(200);
    await eventually(() => (s.project.statuses.filter((st) => st.sha === sha('2') && st.status === 'failed').length === 2 ? true : undefined), 20_000, 'two failed statuses');

    // The CLI reads the same cluster: both deliveries, each an event job run to the end.
    const completed = await eventually(async () => {
      const io = captureIo({ env: s.env });
      expect(await main(['jobs', '--events', '--json'], io)).toBe(0);
      const rows = io.stdout().trim().split('\n').map((line) => JSON.parse(line) as { state: string; what: string });
      return rows.length === 2 && rows.every((r) => r.state === 'completed') ? rows : undefined;
    }, 20_000, 'two completed event jobs listed by pyrelease jobs');
    expect(completed.map((r) => r.what)).toEqual(['MR !5 opened', 'MR !5 opened']);
    expect(s.project.notes.filter((n) => n.noteable.type === 'MergeRequest')).toHaveLength(1);
  });

  it('spaces GitHub comments of two processes on one installation through the cluster', async () => {
    const prefix = `{pyrelease-cluster-pacing-${randomBytes(4).toString('hex')}}`;
    const target = { url: await cluster.urlNotOwning(prefix), cluster: true };
    const [one, two] = [openFailFast(target, 'pyrelease-test-pacing-1'), openFailFast(target, 'pyrelease-test-pacing-2')];
    try {
      await Promise.all([one, two].map((c) => new Promise((ready) => c.once('ready', ready))));
      const log = createLogger('silent');
      const [a, b] = [sharedPacing(one, prefix, log, 400), sharedPacing(two, prefix, log, 400)];
      const timed = async (work: () => Promise<unknown>): Promise<number> => {
        const started = performance.now();
        await work();
        return performance.now() - started;
      };
      expect(await timed(() => a.wait(7))).toBeLessThan(200);
      expect(await timed(() => b.wait(7))).toBeGreaterThanOrEqual(300);
    } finally {
      one.disconnect();
      two.disconnect();
    }
  });

  it('computes each key\'s slot as the cluster does, and knows the connection to its master', async () => {
    const client = new Redis(cluster.nodes[0]?.url ?? '');
    const clustered = openFailFast({ url: cluster.nodes[0]?.url ?? '', cluster: true }, 'pyrelease-test-slots');
    try {
      await new Promise((ready) => clustered.once('ready', ready));
      for (const key of ['{pyrelease}:inbox:events', 'plain-key', 'ümlaut-✓-{tag}', '{}{x}', 'a{}b', '{{x}}', String.fromCodePoint(0x1f600)]) {
        expect(keySlot(key), key).toBe(Number(await client.cluster('KEYSLOT', key)));
        const owner = await cluster.urlOwning(key);
        const connection = connectionFor(clustered, key);
        expect(`redis://${connection?.options.host}:${connection?.options.port}`, key).toBe(owner);
      }
    } finally {
      client.disconnect();
      clustered.disconnect();
    }
  });

  it.each(['{pyrelease}', 'acme{team-1}:x', '{}{pyrelease}', 'pyrelease'])('agrees with the cluster on whether %s keeps a prefix\'s keys in one slot', async (prefix) => {
    const client = new Redis(cluster.nodes[0]?.url ?? '');
    try {
      const slots = new Set<number>();
      for (const suffix of ['inbox:events', 'delivery:gitlab-1', 'publish:meta', 'github-pacing:7', 'comment-lock:x']) slots.add(Number(await client.cluster('KEYSLOT', `${prefix}:${suffix}`)));
      expect(slots.size === 1).toBe(hasHashTag(prefix));
    } finally {
      client.disconnect();
    }
  });
});

describe('a Redis in the other mode than the settings say', () => {
  it('is told apart at start, both ways, and an unreachable Redis is left to the usual reports', async () => {
    const node = cluster.nodes[0]?.url ?? '';
    expect(await redisModeMismatch({ url: node, cluster: false })).toMatch(/^REDIS_URL names a node of a Redis Cluster: set PYRELEASE_REDIS_CLUSTER=true/);
    expect(await redisModeMismatch({ url: node, cluster: true })).toBeNull();
    expect(await redisModeMismatch({ url: TEST_REDIS_URL, cluster: true })).toMatch(/does not run in cluster mode/);
    expect(await redisModeMismatch({ url: TEST_REDIS_URL, cluster: false })).toBeNull();
    expect(await redisModeMismatch({ url: `redis://127.0.0.1:${await freePort()}`, cluster: true })).toBeNull();
  });

  it.each([['worker'], ['jobs']])('stops `pyrelease %s` with one clear line instead of MOVED errors', { timeout: 20_000 }, async (command) => {
    const io = captureIo({ env: { REDIS_URL: cluster.nodes[1]?.url ?? '', PYRELEASE_QUEUE_PREFIX: '{pyrelease-cluster-mode}' } });
    expect(await main([command], io)).toBe(1);
    expect(io.stderr()).toMatch(/^pyrelease( jobs)?: REDIS_URL names a node of a Redis Cluster: set PYRELEASE_REDIS_CLUSTER=true[^\n]*\n$/);
  });
});

describe('with PYRELEASE_REDIS_WAIT_REPLICAS=1, on a cluster whose masters have a replica each', () => {
  let replicated: PrivateRedisCluster;
  beforeAll(async () => {
    replicated = await startRedisCluster({ replicas: 1 });
  }, 60_000);
  afterAll(async () => {
    await replicated?.close();
  });

  it('answers 200 once the replica of the prefix\'s master has the delivery, and 503 while that replica is away', { timeout: 60_000 }, async () => {
    const prefix = `{pyrelease-wait-${randomBytes(4).toString('hex')}}`;
    svc = await gitlabService({ env: { REDIS_URL: await replicated.urlNotOwning(prefix), PYRELEASE_REDIS_CLUSTER: 'true', PYRELEASE_QUEUE_PREFIX: prefix, PYRELEASE_REDIS_WAIT_REPLICAS: '1' } });
    const s = svc;
    const push = () => ({ ...fixture('push'), ref: 'refs/heads/main', before: '0'.repeat(40), after: sha('c'), checkout_sha: sha('c'), project_id: s.project.id, project: gitlabTagPush(s.project, 'v0', sha('c'))['project'], commits: [] });
    expect(await s.send('Push Hook', push())).toMatchObject({ status: 200, body: { status: 'queued' } });

    // The other masters keep their replicas: a WAIT sent anywhere but the prefix's master would still count one.
    await replicated.kill(await replicated.replicaOf(await replicated.urlOwning(prefix)));
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      expect(await s.send('Push Hook', push())).toEqual({ status: 503, body: { status: 'unavailable' } });
      expect(performance.now() - started).toBeLessThan(3500);
    }
    expect(s.logLines.some((line) => line.includes('"outcome":"unavailable"'))).toBe(true);
  });
});
