import { Queue } from 'bullmq';
import type { RedisClient } from '../redis-client.js';
import { withoutErrorEcho } from '../jobs/queues.js';

export interface ObservedQueues {
  readonly queues: readonly Queue[];
  close(): Promise<void>;
}

/**
 * Read-only Queue handles for the metrics, the release page and the dashboard, on the
 * web process's fail-fast connection: a scrape while Redis is away answers quickly
 * instead of hanging. Creating a Queue adds no job and starts no worker.
 */
export function observedQueues(connection: RedisClient, prefix: string, names: readonly string[]): ObservedQueues {
  const queues = names.map((name) => withoutErrorEcho(new Queue(name, { connection, prefix })));
  return {
    queues,
    close: async () => {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}
