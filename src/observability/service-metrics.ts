import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FileResult } from '../publishing/publish.js';
import { EVENT_QUEUES } from '../jobs/event-job.js';
import { Registry } from './metrics.js';
import { waitsHistogram } from './waits.js';
import { readableJobs } from '../jobs/readable-jobs.js';
import type { ListableQueue } from '../jobs/readable-jobs.js';

/** What the metrics need of a BullMQ Queue: one count call, and the oldest waiting job. */
export interface QueueProbe extends ListableQueue<{ readonly timestamp: number }> {
  readonly name: string;
  getJobCounts(): Promise<Record<string, number>>;
}

/** The oldest waiting job; one whose stored JSON does not parse has no age to give, but must not take the scrape down. */
async function oldestWaiting(q: QueueProbe): Promise<{ readonly timestamp: number } | undefined> {
  const [first] = await readableJobs(q, ['wait'], 0, 0, true);
  return first === undefined || first.unreadable ? undefined : first.job;
}

export interface ServiceMetrics {
  readonly registry: Registry;
  /** One webhook request, as the receiver logged it. */
  observeWebhook(platform: string, outcome: string, event: string | undefined, latencyMs: number): void;
  /** A publish job that finished: each file's outcome and size. */
  observePublished(files: readonly FileResult[]): void;
  /** A publish job that failed for good (no attempt left, or a permanent error). */
  observePublishFailed(): void;
  render(): Promise<string>;
  close(): void;
}

// Header values become label values: an unknown event name is folded into 'other' so a
// sender cannot mint new series (GitLab's documented X-Gitlab-Event values).
const GITLAB_EVENTS = new Set([
  'Push Hook', 'Tag Push Hook', 'Merge Request Hook', 'Note Hook', 'Release Hook', 'Pipeline Hook', 'Job Hook', 'Issue Hook',
  'Wiki Page Hook', 'Deployment Hook', 'Feature Flag Hook', 'Member Hook', 'Subgroup Hook', 'Project Hook', 'Emoji Hook',
  'Resource Access Token Hook', 'Vulnerability Hook', 'System Hook',
]);

export function eventLabel(event: string | undefined): string {
  if (event === undefined) return 'none';
  return GITLAB_EVENTS.has(event) ? event.toLowerCase().replace(/ /g, '_') : 'other';
}

/** 1 ms to 250 ms: the receiver answers before parsing anything slow, and GitLab gives up after 10 s. */
export const ACK_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** The event inbox (src/jobs/event-inbox.ts): deliveries answered but not yet event jobs. */
export type InboxProbe = () => Promise<{ length: number; oldestMs: number | null }>;

export function createServiceMetrics(options: { queues: readonly QueueProbe[]; inbox?: InboxProbe; now?: () => number }): ServiceMetrics {
  const now = options.now ?? Date.now;
  const registry = new Registry();
  const webhooks = registry.counter('pyrelease_webhooks_total', 'Webhook requests by platform, event and outcome (queued, duplicate, ignored, unauthorized, ...).', ['platform', 'event', 'outcome']);
  const ack = registry.histogram('pyrelease_webhook_ack_seconds', 'Time from request to answer of a webhook.', ['platform'], ACK_BUCKETS_SECONDS);
  const jobs = registry.gauge('pyrelease_jobs', 'Jobs per queue and state, read from the queue at scrape time.', ['queue', 'state']);
  const oldest = registry.gauge('pyrelease_queue_oldest_waiting_seconds', 'Age of the oldest job waiting in a queue (0 when none waits).', ['queue']);
  const inboxEntries = registry.gauge('pyrelease_event_inbox_entries', 'Webhook deliveries answered and stored, not yet turned into event jobs by a worker.');
  const up = registry.gauge('pyrelease_queues_up', '1 when the last scrape could read every queue from Redis, else 0.');
  const publishes = registry.counter('pyrelease_publishes_total', 'Files uploaded, skipped (already on the index) or that would be uploaded (dry run), and publish jobs that failed for good.', ['outcome']);
  const bytes = registry.counter('pyrelease_upload_bytes_total', 'Bytes of distribution files uploaded, per registry.', ['registry']);
  const rss = registry.gauge('pyrelease_process_resident_memory_bytes', 'Resident set size of this process.');
  const heap = registry.gauge('pyrelease_process_heap_bytes', 'V8 heap of this process: used and total.', ['kind']);
  const lag = registry.gauge('pyrelease_event_loop_delay_seconds', 'Event loop delay since the previous scrape: p50, p99 and max.', ['stat']);
  // Process-wide (waits.ts): the adapters that wait are built without a metrics object.
  registry.register(waitsHistogram);

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();

  registry.addCollector(() => {
    const memory = process.memoryUsage();
    rss.set({}, memory.rss);
    heap.set({ kind: 'used' }, memory.heapUsed);
    heap.set({ kind: 'total' }, memory.heapTotal);
    // The histogram is in nanoseconds; empty (no sample yet) reads as NaN for percentiles.
    const seconds = (ns: number): number => (Number.isFinite(ns) ? ns / 1e9 : 0);
    lag.set({ stat: 'p50' }, seconds(loop.percentile(50)));
    lag.set({ stat: 'p99' }, seconds(loop.percentile(99)));
    lag.set({ stat: 'max' }, seconds(loop.max));
    loop.reset();
  });
  registry.addCollector(async () => {
    // Refilled whole, so a queue that went away stops being reported, and an unreachable
    // Redis shows as missing series and queues_up 0 rather than as stale counts.
    jobs.reset();
    oldest.reset();
    inboxEntries.reset();
    const age = (ms: number | undefined | null): number => (ms === undefined || ms === null ? 0 : Math.max(0, (now() - ms) / 1000));
    let read;
    let inbox;
    try {
      [read, inbox] = await Promise.all([
        Promise.all(
          options.queues.map(async (q) => {
            const counts = await q.getJobCounts();
            const head = (counts['waiting'] ?? 0) > 0 ? await oldestWaiting(q) : undefined;
            return { name: q.name, counts, age: age(head?.timestamp) };
          }),
        ),
        options.inbox?.(),
      ]);
    } catch {
      up.set({}, 0);
      return;
    }
    up.set({}, 1);
    if (inbox !== undefined) inboxEntries.set({}, inbox.length);
    for (const q of read) {
      for (const [state, n] of Object.entries(q.counts)) jobs.set({ queue: q.name, state }, n);
      // A delivery in the inbox waits for the event workers as much as a waiting job does.
      oldest.set({ queue: q.name }, (EVENT_QUEUES as readonly string[]).includes(q.name) ? Math.max(q.age, age(inbox?.oldestMs)) : q.age);
    }
  });

  return {
    registry,
    observeWebhook(platform, outcome, event, latencyMs) {
      webhooks.inc({ platform, event: eventLabel(event), outcome });
      ack.observe({ platform }, latencyMs / 1000);
    },
    observePublished(files) {
      for (const f of files) {
        publishes.inc({ outcome: f.outcome });
        if (f.outcome === 'uploaded') bytes.inc({ registry: f.registry }, f.size);
      }
    },
    observePublishFailed() {
      publishes.inc({ outcome: 'failed' });
    },
    render: () => registry.render(),
    close: () => loop.disable(),
  };
}
