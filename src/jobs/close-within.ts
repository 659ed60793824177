import type { Logger } from '../logger.js';

/**
 * Once no job of a closing worker runs, how long its close may still take: enough for a
 * reachable Redis to record the last job's outcome and end the blocking read, short enough
 * that a SIGTERM with Redis away exits in seconds rather than after the whole grace.
 */
export const IDLE_CLOSE_MS = 2000;

/** How often a closing worker's running jobs are counted (a local read, no Redis). */
const POLL_MS = 50;

export interface Closable {
  close(): Promise<void>;
  /** Jobs this worker is running now, known locally. Absent: unknown, so the whole grace is waited. */
  running?(): number;
}

/**
 * The jobs a BullMQ worker is running, from its own bookkeeping: BullMQ tracks each job from
 * the moment its processor starts until it returns (LockManager, bullmq 6.7), without asking
 * Redis. Not public API: an older or newer BullMQ without it counts as "unknown" (1), which
 * only brings back waiting the whole grace.
 */
export function runningJobs(worker: object): number {
  const manager = (worker as { lockManager?: { getActiveJobCount?: () => unknown } }).lockManager;
  const count = manager?.getActiveJobCount?.();
  return typeof count === 'number' ? count : 1;
}

/**
 * Closes a BullMQ worker, waiting for its running jobs at most `graceMs`. BullMQ's close
 * first waits for its blocking connection to end, and after a Redis restart (or with Redis
 * away) that end can never come (BullMQ 6.7; seen under load in test/jobs/faults.test.ts):
 * unbounded, a SIGTERM would never stop the process. So only running jobs are waited for:
 * once `running()` says none runs, the close gets IDLE_CLOSE_MS more and no longer the
 * grace. Past either we stop waiting. A job still running then keeps its lock until it
 * expires (PYRELEASE_LOCK_DURATION_MS), and another worker takes it over and repeats
 * nothing already done (the release ledger).
 */
export async function closeWithin(worker: Closable, graceMs: number, log: Logger, name: string): Promise<'closed' | 'gave-up'> {
  const started = Date.now();
  let idleSince: number | null = null;
  let poll: NodeJS.Timeout | undefined;
  const late = new Promise<'gave-up'>((resolve) => {
    const check = (): void => {
      const now = Date.now();
      if (worker.running !== undefined && worker.running() === 0) idleSince ??= now;
      else idleSince = null;
      if (now - started >= graceMs || (idleSince !== null && now - idleSince >= IDLE_CLOSE_MS)) resolve('gave-up');
      else poll = setTimeout(check, POLL_MS);
    };
    check();
  });
  const closing = worker.close().then(
    () => 'closed' as const,
    (error: unknown) => {
      log.warn({ worker: name, err: error instanceof Error ? error.name : typeof error }, 'worker close failed');
      return 'closed' as const;
    },
  );
  const outcome = await Promise.race([closing, late]).finally(() => clearTimeout(poll));
  if (outcome === 'gave-up') {
    if (idleSince !== null) log.warn({ worker: name }, 'worker ran no job but did not close in time (Redis away?): not waiting for it');
    else log.warn({ worker: name, graceMs }, 'worker did not close within the shutdown grace; its running jobs are left to lock expiry and another worker');
  }
  return outcome;
}

/** Waits for a Redis-dependent cleanup step at most `ms`: with Redis away it may never settle, and it holds nothing a job needs. */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}
