import { Histogram } from './metrics.js';

/**
 * Waits that hold a job's worker slot without doing anything: each one longer than a
 * second is logged with its reason and counted, so a stalled release is never silent.
 *
 * The histogram is one per process, not per ServiceMetrics: the waits happen deep inside
 * adapters (a GitLab client, an Octokit hook, a Redis lock) that composition builds without
 * a metrics object, and every ServiceMetrics of the process renders this same series. A
 * `pyrelease worker` process has no /metrics of its own, so its waits reach only its log
 * and its process-local registry; with `pyrelease serve` (workers in the web process) they
 * reach /metrics.
 */
export type WaitReason = 'gitlab-client-pacing' | 'github-rate-limit' | 'github-shared-pacing' | 'comment-lock';

const WHAT: Record<WaitReason, string> = {
  'gitlab-client-pacing': 'pacing GitLab requests on the client (PYRELEASE_GITLAB_CLIENT_RATE_LIMITS=gitlab.com)',
  'github-rate-limit': "waiting out GitHub's rate limit before retrying",
  'github-shared-pacing': "waiting for this installation's next GitHub write slot (3 s apart, shared through Redis)",
  'comment-lock': 'waiting for another job to finish writing the same comment',
};

/** Shorter waits are normal pacing and would only add noise. */
export const WAIT_THRESHOLD_SECONDS = 1;

export const WAIT_BUCKETS_SECONDS = [1, 2, 5, 10, 30, 60, 120, 300, 900];

export const waitsHistogram = new Histogram(
  'pyrelease_waits_seconds',
  'Waits longer than a second that held a job, by reason: gitlab-client-pacing, github-rate-limit, github-shared-pacing, comment-lock. Counted in the process that waited.',
  ['reason'],
  WAIT_BUCKETS_SECONDS,
);

export interface WaitLog {
  info(obj: object, msg: string): void;
}

/**
 * Records a wait (about to start, or just over). Returns whether it was long enough to
 * count. `details` must carry no secret: an endpoint path, a lock name, an installation id.
 */
export function recordWait(reason: WaitReason, seconds: number, log: WaitLog | undefined, details: Readonly<Record<string, string | number>> = {}): boolean {
  if (!(seconds > WAIT_THRESHOLD_SECONDS)) return false;
  waitsHistogram.observe({ reason }, seconds);
  const rounded = Math.round(seconds * 10) / 10;
  log?.info({ wait: reason, seconds: rounded, ...details }, `waiting ${rounded} s: ${WHAT[reason]}`);
  return true;
}
