import type { Queue } from 'bullmq';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventQueue } from '../../src/jobs/event-queue.js';
import { publishQueue, redisConnection } from '../../src/jobs/queues.js';
import { observedQueues } from '../../src/observability/observed-queues.js';
import { selfHostedQueue } from '../../src/selfhosted/self-hosted-queue.js';
import { freePort } from '../helpers/redis-server.js';

// While Redis is away every Queue re-emits its connection's errors. Unheard, BullMQ prints
// each with console.error: a multi-line stack in the middle of the JSON logs, once per
// reconnect attempt. The connection's owner logs them; the queues must stay quiet.
const settings = { redisUrl: '', prefix: '{pyrelease-queue-errors}', attempts: 1, backoffMs: 10 };
const closing: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (closing.length > 0) await closing.pop()?.();
});

describe('queues on a Redis that is not there', () => {
  it.each([
    ['publish', (c: ReturnType<typeof redisConnection>): Queue[] => [publishQueue(c, settings)]],
    ['events', (c: ReturnType<typeof redisConnection>): Queue[] => [eventQueue(c, settings)]],
    ['self-hosted', (c: ReturnType<typeof redisConnection>): Queue[] => [selfHostedQueue(c, settings) as unknown as Queue]],
    ['observed (metrics, pages)', (c: ReturnType<typeof redisConnection>): Queue[] => [...observedQueues(c, settings.prefix, ['publish', 'events']).queues]],
  ])('%s: print nothing to stderr; the connection reports the errors', async (_name, make) => {
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const connection = redisConnection(`redis://127.0.0.1:${await freePort()}`, 'pyrelease-test-queue-errors');
    let connectionErrors = 0;
    connection.on('error', () => (connectionErrors += 1));
    const queues = make(connection);
    closing.push(async () => {
      connection.disconnect();
      await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
    });
    const deadline = Date.now() + 5000;
    while (connectionErrors < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(connectionErrors).toBeGreaterThanOrEqual(3);
    expect(printed).not.toHaveBeenCalled();
  });
});
