import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from '../../src/observability/service-metrics.js';
import type { QueueProbe } from '../../src/observability/service-metrics.js';

const NOW = 1_800_000_000_000;

function probe(name: string, waiting: number, headTimestamp: number | null): QueueProbe {
  return {
    name,
    getJobCounts: async () => ({ waiting, active: 0 }),
    getRanges: async () => (headTimestamp === null ? [] : ['1']),
    getJob: async () => (headTimestamp === null ? undefined : { timestamp: headTimestamp }),
    getJobState: async () => 'waiting',
  };
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('a waiting job whose stored JSON does not parse', () => {
  it('leaves the scrape up, with the queue\'s counts, and no age for that queue', async () => {
    const broken: QueueProbe = {
      ...probe('publish', 1, NOW - 5_000),
      getJob: () => Promise.reject(new SyntaxError('Unexpected token p in JSON')),
    };
    const metrics = createServiceMetrics({ queues: [broken, probe('events', 1, NOW - 2_000)], now: () => NOW });
    const text = await metrics.render();
    metrics.close();
    expect(sample(text, 'pyrelease_queues_up')).toBe(1);
    expect(sample(text, 'pyrelease_queue_oldest_waiting_seconds{queue="events"}')).toBe(2);
    expect(text).not.toContain('Unexpected token');
  });
});

describe('the event inbox in /metrics', () => {
  it('counts the inbox and lets its oldest entry set the event queues\' oldest waiting age', async () => {
    const metrics = createServiceMetrics({
      queues: [probe('events', 1, NOW - 2_000), probe('github-events', 0, null), probe('publish', 1, NOW - 5_000)],
      inbox: async () => ({ length: 7, oldestMs: NOW - 30_000 }),
      now: () => NOW,
    });
    const text = await metrics.render();
    metrics.close();
    expect(sample(text, 'pyrelease_event_inbox_entries')).toBe(7);
    expect(sample(text, 'pyrelease_queue_oldest_waiting_seconds{queue="events"}')).toBe(30);
    expect(sample(text, 'pyrelease_queue_oldest_waiting_seconds{queue="github-events"}')).toBe(30);
    // Only the event queues are fed by the inbox.
    expect(sample(text, 'pyrelease_queue_oldest_waiting_seconds{queue="publish"}')).toBe(5);
  });

  it('keeps the waiting job\'s age when the inbox is empty, and reports Redis as down when the inbox cannot be read', async () => {
    const empty = createServiceMetrics({ queues: [probe('events', 1, NOW - 2_000)], inbox: async () => ({ length: 0, oldestMs: null }), now: () => NOW });
    const text = await empty.render();
    empty.close();
    expect(sample(text, 'pyrelease_event_inbox_entries')).toBe(0);
    expect(sample(text, 'pyrelease_queue_oldest_waiting_seconds{queue="events"}')).toBe(2);

    const failing = createServiceMetrics({ queues: [probe('events', 0, null)], inbox: async () => Promise.reject(new Error('ECONNREFUSED')), now: () => NOW });
    const down = await failing.render();
    failing.close();
    expect(sample(down, 'pyrelease_queues_up')).toBe(0);
    expect(sample(down, 'pyrelease_event_inbox_entries')).toBeUndefined();
  });
});
