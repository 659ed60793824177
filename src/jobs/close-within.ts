import type { Logger } from '../logger.js';

/**
 * Closes a BullMQ worker, waiting for its running jobs at most `graceMs`. BullMQ's close
 * first waits for its blocking connection to end, and after a Redis restart that end can
 * never come (BullMQ 6.7; seen under load in test/jobs/faults.test.ts): unbounded, a
 * SIGTERM would never stop the process. Past the grace we stop waiting. A job still
 * running then keeps its lock until it expires (PYRELEASE_LOCK_DURATION_MS), and another
 * worker takes it over and repeats nothing already done (the release ledger).
 */
export async function closeWithin(worker: { close(): Promise<void> }, graceMs: number, log: Logger, name: string): Promise<'closed' | 'gave-up'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'gave-up'>((resolve) => {
    timer = setTimeout(() => resolve('gave-up'), graceMs);
  });
  const closing = worker.close().then(
    () => 'closed' as const,
    (error: unknown) => {
      log.warn({ worker: name, err: error instanceof Error ? error.name : typeof error }, 'worker close failed');
      return 'closed' as const;
    },
  );
  const outcome = await Promise.race([closing, late]).finally(() => clearTimeout(timer));
  if (outcome === 'gave-up') log.warn({ worker: name, graceMs }, 'worker did not close within the shutdown grace; its running jobs are left to lock expiry and another worker');
  return outcome;
}
