// Scenario 10: the service on a Redis Cluster of three masters while the slot that holds all
// of its keys is moved to another master (a resharding, as `redis-cli --cluster reshard`
// does it), with a release building and deliveries arriving.
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
