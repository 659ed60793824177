// Scenarios 2, 3 and 3b: the service on a private redis-server (AOF) that is stopped while
// webhooks arrive, restarted while jobs are running, and SIGKILLed while both happen.
import { afterEach, expect, it } from 'vitest';
import { eventually } from '../helpers/gitlab-service.js';
import { startPrivateRedis } from '../helpers/redis-server.js';
import type { AppendFsync, PrivateRedis } from '../helpers/redis-server.js';
import { arrangeReleaseAndChanges, assertEverythingOnce } from './helpers/arrange.js';
import { bothForges } from './helpers/both-forges.js';
import type { BothForges } from './helpers/both-forges.js';
import { busyWithARelease, deliver, deliveriesFor, send, trickle } from './helpers/deliveries.js';
import type { Delivery } from './helpers/deliveries.js';

let h: BothForges | undefined;
let redis: PrivateRedis | undefined;
afterEach(async () => {
  await redis?.start().catch(() => undefined);
  await h?.close();
  await redis?.close();
  h = undefined;
  redis = undefined;
});

it('answers 503 fast while Redis is down, and queues and processes the resent deliveries once when it is back', { timeout: 180_000 }, async () => {
  redis = await startPrivateRedis();
  h = await bothForges({ redisUrl: redis.url });
  const s = h;
  const CHANGES = 5;
  await arrangeReleaseAndChanges(s, CHANGES);
  const deliveries = deliveriesFor(s, CHANGES);

  await redis.stop();
  const down = await Promise.all(deliveries.map((d) => send(s, d)));
  const downMs = down.map((a) => a.ms).sort((a, b) => a - b);
  console.log(`FAULTS redis-down ${JSON.stringify({ deliveries: down.length, statuses: [...new Set(down.map((a) => a.status))], minMs: Math.round(downMs[0] ?? 0), maxMs: Math.round(downMs.at(-1) ?? 0) })}`);
  expect(down.map((a) => a.status)).toEqual(deliveries.map(() => 503));
  // Fast, not hanging: the web connection fails fast and enqueue is bounded at 3 s.
  expect(Math.max(...downMs)).toBeLessThan(3500);

  const restartedAt = performance.now();
  await redis.start();
  const resent = await Promise.all(deliveries.map((d) => deliver(s, d)));
  console.log(`FAULTS redis-down-resend ${JSON.stringify({ msUntilAllAccepted: Math.round(performance.now() - restartedAt), triesPerDelivery: resent.map((r) => r.length) })}`);
  expect(resent.map((r) => r.at(-1)?.status)).toEqual(deliveries.map(() => 200));
  await assertEverythingOnce(s, deliveries.map((d) => d.id), CHANGES, 120_000);
});

const BUSY_CHANGES = 8;

/**
 * Scenarios 3 and 3b: the service on its own Redis, both releases and 6 change requests'
 * deliveries accepted, and a publish job running. Returns the 10 deliveries still to send.
 */
async function busyService(appendfsync: AppendFsync): Promise<{ s: BothForges; own: PrivateRedis; deliveries: Delivery[]; second: Delivery[] }> {
  const own = await startPrivateRedis({ appendfsync });
  redis = own;
  h = await bothForges({ redisUrl: own.url });
  const s = h;
  return { s, own, ...(await busyWithARelease(s, BUSY_CHANGES)) };
}

it('loses and duplicates nothing when Redis restarts while a release builds and events are processed', { timeout: 180_000 }, async () => {
  // Restart Redis under the running publish job.
  const { s, own, deliveries, second } = await busyService('always');
  const stopAt = performance.now();
  const restart = own.restart();
  // Deliveries keep arriving through the restart; each is resent until accepted.
  const during = await Promise.all(second.map((d) => deliver(s, d)));
  await restart;
  const restartMs = performance.now() - stopAt;
  const retried = during.filter((r) => r.length > 1).length;
  console.log(`FAULTS redis-restart ${JSON.stringify({ restartMs: Math.round(restartMs), deliveriesDuringRestart: second.length, neededRetry: retried, statuses: [...new Set(during.flat().map((a) => a.status))] })}`);
  expect(during.map((r) => r.at(-1)?.status)).toEqual(second.map(() => 200));
  await assertEverythingOnce(s, deliveries.map((d) => d.id), BUSY_CHANGES, 120_000);
});

it('keeps every acknowledged delivery when Redis is SIGKILLed mid-stream (AOF fsync every second, as docker-compose.yml runs it)', { timeout: 180_000 }, async () => {
  // Redis writes the append-only file (write(2), not fsync) before it sends a reply, so a
  // Redis process that dies keeps every write it acknowledged; only the machine dying
  // loses up to the last second. A delivery answered 200 must therefore survive.
  const { s, own, deliveries, second } = await busyService('everysec');
  // The second batch arrives one every 40 ms. Redis dies once three of them have been
  // answered 200 (those are never resent); the rest meet a dead Redis and are resent.
  const during = trickle(s, second);
  await eventually(async () => (during.acceptedAtOnce() >= 3 ? true : undefined), 10_000, 'three deliveries answered before the kill');
  during.freeze();
  const acceptedBeforeKill = during.acceptedAtOnce();
  const killedAt = performance.now();
  await own.kill();
  await new Promise((r) => setTimeout(r, 500));
  await own.start();
  const answers = await during.answers;
  console.log(`FAULTS redis-sigkill ${JSON.stringify({ downMs: Math.round(performance.now() - killedAt), deliveriesAroundKill: second.length, acceptedBeforeKill, neededRetry: answers.filter((r) => r.length > 1).length, statuses: [...new Set(answers.flat().map((a) => a.status))] })}`);
  expect(acceptedBeforeKill).toBeGreaterThanOrEqual(3);
  expect(answers.some((r) => r.length > 1)).toBe(true);
  expect(answers.map((r) => r.at(-1)?.status)).toEqual(second.map(() => 200));
  // Every delivery, including those answered 200 just before the kill and never resent, is one completed job.
  await assertEverythingOnce(s, deliveries.map((d) => d.id), BUSY_CHANGES, 120_000);
});
