import type { Queue } from 'bullmq';
import type { PublishJobData } from '../jobs/publish-job.js';
import { readableJobs, UNREADABLE_JOB_TEXT } from '../jobs/readable-jobs.js';
import { rateLimitedText, rateLimitedWait } from '../jobs/throttle.js';
import type { RateLimitedWait } from '../jobs/throttle.js';
import type { SelfHostedJobData } from '../selfhosted/self-hosted-queue.js';

/** One publish or self-hosted tagging job, as `pyrelease jobs` shows it. */
export interface JobRow {
  readonly id: string;
  readonly state: string;
  readonly repo: string;
  readonly version: string;
  readonly sha: string;
  readonly registries: readonly string[];
  readonly attempts: number;
  readonly failedReason: string | null;
  readonly rateLimited: RateLimitedWait | null;
  readonly createdAt: string;
  readonly result: unknown;
  /** Self-hosted tagging: tagged, exists, conflict, skipped. */
  readonly outcome?: string | null;
}

/**
 * A job whose stored JSON does not parse (written into Redis by hand): where it is, and
 * that it cannot be read. Nothing it holds is shown, since it may hold anything.
 */
export interface UnreadableJobRow {
  readonly id: string;
  readonly state: string;
  readonly queue: string;
  readonly unreadable: true;
  readonly reason: string;
}

export const JOB_STATES = ['active', 'waiting', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

/** The newest `limit` jobs per state of both queues; unreadable ones first (they have no time to sort by), then newest first. */
export async function jobRows(publish: Queue<PublishJobData>, tagging: Queue<SelfHostedJobData>, limit: number): Promise<Array<JobRow | UnreadableJobRow>> {
  const rows: JobRow[] = [];
  const unreadable: UnreadableJobRow[] = [];
  const cannotRead = (queue: string, id: string, state: string): number => unreadable.push({ id, state, queue, unreadable: true, reason: UNREADABLE_JOB_TEXT });
  for (const state of JOB_STATES) {
    for (const listed of await readableJobs(publish, [state], 0, limit - 1)) {
      if (listed.unreadable) {
        cannotRead(publish.name, listed.id, state);
        continue;
      }
      const { job } = listed;
      rows.push({
        id: job.id ?? '',
        state,
        repo: job.data.repo,
        version: job.data.version,
        sha: job.data.sha,
        registries: job.data.registries,
        attempts: job.attemptsMade,
        failedReason: job.failedReason ?? null,
        rateLimited: rateLimitedWait(state, job.progress),
        createdAt: new Date(job.timestamp).toISOString(),
        result: job.returnvalue ?? null,
      });
    }
    // Self-hosted tagging: repo and release in the same columns; `outcome` says what
    // happened (tagged, exists, conflict, skipped). Poll runs are left out.
    for (const listed of await readableJobs(tagging, [state], 0, limit - 1)) {
      if (listed.unreadable) {
        cannotRead(tagging.name, listed.id, state);
        continue;
      }
      const { job } = listed;
      if (job.name !== 'tag' || !('release' in job.data)) continue;
      const result = (job.returnvalue ?? null) as { outcome?: string; reason?: string } | null;
      rows.push({
        id: job.id ?? '',
        state,
        repo: `${job.data.platform}/${job.data.project}`,
        version: job.data.release,
        sha: job.data.pinnedSha ?? '',
        registries: [],
        attempts: job.attemptsMade,
        failedReason: job.failedReason ?? null,
        rateLimited: rateLimitedWait(state, job.progress),
        createdAt: new Date(job.timestamp).toISOString(),
        result,
        outcome: result?.outcome ?? null,
      });
    }
  }
  rows.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  return [...unreadable, ...rows];
}

/** One line of `pyrelease jobs`. */
export function jobLine(r: JobRow | UnreadableJobRow): string {
  if ('unreadable' in r) return `${'?'.padEnd(24)}  ${r.state.padEnd(9)}  (unreadable ${r.queue} job)  ${r.id}  ${r.reason}\n`;
  const outcome = r.outcome === undefined || r.outcome === null ? '' : `  outcome=${r.outcome}`;
  const result = r.outcome === undefined ? null : (r.result as { reason?: unknown } | null);
  const why = result !== null && typeof result === 'object' && result.reason !== undefined ? `  ${String(result.reason)}` : '';
  const reason = r.failedReason === null ? why : `  ${r.failedReason}`;
  return `${r.createdAt}  ${r.state.padEnd(9)}  ${r.repo} ${r.version}  attempts=${r.attempts}${outcome}  ${r.id}${reason}${rateLimitedText(r.rateLimited)}\n`;
}
