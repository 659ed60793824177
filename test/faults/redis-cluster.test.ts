// Scenarios 9 and 10: the service on a real Redis Cluster while a release builds and
// deliveries arrive. 9: the master that holds the key prefix's slot is SIGKILLed and its
// replica takes over (three masters with a replica each, AOF every second, as production
// runs). 10: that slot is moved to another master (a resharding, as `redis-cli --cluster
// reshard` does it).
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { eventually } from '../helpers/gitlab-service.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';
import type { PrivateRedisCluster } from '../helpers/redis-cluster.js';
import { assertEverythingOnce } from './helpers/arrange.js';
import { bothForges } from './helpers/both-forges.js';
import type { BothForges } from './helpers/both-forges.js';
import { busyWithARelease, trickle } from './helpers/deliveries.js';

let h: BothForges | undefined;
let cluster: PrivateRedisCluster | undefined;
afterEach(async () => {
  await h?.close();
  await cluster?.close();
  h = undefined;
  cluster = undefined;
});

const CHANGES = 8;

it('keeps every delivery once when the master holding the queues is SIGKILLed and its replica takes over', { timeout: 300_000 }, async () => {
  cluster = await startRedisCluster({ replicas: 1 });
  const c = cluster;
  const prefix = `{pyrelease-failover-${randomBytes(4).toString('hex')}}`;
  // Through a master that stays up: the seed is not what is being tested. A 200 waits for
  // the replica (WAIT): Redis replicates asynchronously, so without it a delivery answered
  // just before the kill could be missing on the replica that takes over.
  h = await bothForges({ redisUrl: await c.urlNotOwning(prefix), env: { PYRELEASE_REDIS_CLUSTER: 'true', PYRELEASE_QUEUE_PREFIX: prefix, PYRELEASE_REDIS_WAIT_REPLICAS: '1' } });
  const s = h;
  const { deliveries, second } = await busyWithARelease(s, CHANGES);

  // The second batch arrives one every 40 ms; the master dies once three of them have been
  // answered 200 (those are never resent). The rest are resent until accepted, as GitLab
  // retries and GitHub's redelivery would: through the failover, and until the killed node,
  // restarted as an orchestrator would, is the new master's replica (until then WAIT finds
  // no replica and the answer is 503).
  const during = trickle(s, second, 120);
  await eventually(async () => (during.acceptedAtOnce() >= 3 ? true : undefined), 10_000, 'three deliveries answered before the kill');
  during.freeze();
  const acceptedBeforeKill = during.acceptedAtOnce();
  const owner = await c.urlOwning(prefix);
  const killedAt = performance.now();
  await c.kill(owner);
  // Not ready while the slot has no master (PING to any other node would still answer).
  const readyz = async () => (await fetch(`${s.service.url}/readyz`)).json() as Promise<{ redis: string }>;
  const whileDown = await readyz();
  const promoted = await c.waitForOwner(prefix, { notUrl: owner, timeoutMs: 60_000 });
  const failoverMs = performance.now() - killedAt;
  await c.restart(owner);
  const restartedMs = performance.now() - killedAt;
  const answers = await during.answers;
  const allAcceptedMs = performance.now() - killedAt;
  console.log(
    `FAULTS cluster-failover ${JSON.stringify({ failoverMs: Math.round(failoverMs), restartedMs: Math.round(restartedMs), allAcceptedMs: Math.round(allAcceptedMs), deliveriesAroundKill: second.length, acceptedBeforeKill, neededRetry: answers.filter((r) => r.length > 1).length, maxTries: Math.max(...answers.map((r) => r.length)), statuses: [...new Set(answers.flat().map((a) => a.status))] })}`,
  );
  expect(promoted).not.toBe(owner);
  expect(whileDown.redis).toBe('unreachable');
  await eventually(async () => ((await readyz()).redis === 'ok' ? true : undefined), 10_000, '/readyz to see the new master');
  expect(answers.map((r) => r.at(-1)?.status)).toEqual(second.map(() => 200));
  // Every delivery, including those answered just before the kill and never resent, is one
  // completed job; both releases are published with each file once; each change request
  // is commented once.
  await assertEverythingOnce(s, deliveries.map((d) => d.id), CHANGES, 180_000);
});

it('keeps every delivery once while the slot holding the queues moves to another master', { timeout: 300_000 }, async () => {
  cluster = await startRedisCluster();
  const c = cluster;
  const prefix = `{pyrelease-reshard-${randomBytes(4).toString('hex')}}`;
  h = await bothForges({ redisUrl: await c.urlNotOwning(prefix), env: { PYRELEASE_REDIS_CLUSTER: 'true', PYRELEASE_QUEUE_PREFIX: prefix } });
  const s = h;
  const { deliveries, second } = await busyWithARelease(s, CHANGES);

  // Deliveries keep arriving one every 40 ms, and are resent until accepted, while the keys
  // move: a script whose keys are split between the two masters gets TRYAGAIN, a command
  // for a key already moved gets ASK, and after the move every client gets MOVED once.
  const during = trickle(s, second, 120);
  await eventually(async () => (during.acceptedAtOnce() >= 3 ? true : undefined), 10_000, 'three deliveries answered before the move');
  during.freeze();
  const from = await c.urlOwning(prefix);
  const to = await c.urlNotOwning(prefix);
  const startedAt = performance.now();
  // 50 ms between batches of 10 keys: the move spans the deliveries still arriving.
  const moved = await c.migrateSlot(prefix, to, { pauseMs: 50 });
  const migrateMs = performance.now() - startedAt;
  const answers = await during.answers;
  console.log(
    `FAULTS cluster-reshard ${JSON.stringify({ keysMoved: moved, migrateMs: Math.round(migrateMs), deliveriesDuringMove: second.length, acceptedBeforeMove: during.acceptedAtOnce(), neededRetry: answers.filter((r) => r.length > 1).length, maxTries: Math.max(...answers.map((r) => r.length)), statuses: [...new Set(answers.flat().map((a) => a.status))] })}`,
  );
  expect(moved).toBeGreaterThan(0);
  expect(await c.urlOwning(prefix)).toBe(to);
  expect(to).not.toBe(from);
  expect(answers.map((r) => r.at(-1)?.status)).toEqual(second.map(() => 200));
  // Every delivery is one completed event job, both releases' files are up once, each
  // change request is commented once; /readyz reads the inbox on its new master.
  await assertEverythingOnce(s, deliveries.map((d) => d.id), CHANGES, 180_000);
  expect(await (await fetch(`${s.service.url}/readyz`)).json()).toMatchObject({ status: 'ready', redis: 'ok' });
});
