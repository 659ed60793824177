import type { Job, Worker } from 'bullmq';
import type { PublishJobResult } from '../jobs/publish-processor.js';
import type { ServiceMetrics } from './service-metrics.js';

/**
 * Counts publish results from the worker's own events, so the worker code stays as it
 * is. BullMQ emits 'failed' after every failed attempt; only the last one sets
 * finishedOn (a retry moves the job back to delayed or waiting without it).
 */
export function observePublishWorker(worker: Pick<Worker, 'on'>, metrics: Pick<ServiceMetrics, 'observePublished' | 'observePublishFailed'>): void {
  worker.on('completed', (_job: Job, result: PublishJobResult | undefined) => {
    if (result !== undefined && Array.isArray(result.files)) metrics.observePublished(result.files);
  });
  worker.on('failed', (job: Job | undefined) => {
    if (job?.finishedOn !== undefined) metrics.observePublishFailed();
  });
}
