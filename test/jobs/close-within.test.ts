import { describe, expect, it } from 'vitest';
import { closeWithin, IDLE_CLOSE_MS, runningJobs } from '../../src/jobs/close-within.js';
import { createLogger } from '../../src/logger.js';

function capture(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger('info', { write: (line: string) => void lines.push(line) }), lines };
}

describe('closeWithin', () => {
  it('waits for a close that finishes within the grace, and says nothing', async () => {
    const { log, lines } = capture();
    let closed = false;
    const worker = { close: () => new Promise<void>((r) => setTimeout(() => r(void (closed = true)), 20)) };
    expect(await closeWithin(worker, 1_000, log, 'publish')).toBe('closed');
    expect(closed).toBe(true);
    expect(lines).toEqual([]);
  });

  it('stops waiting for a close that never ends (BullMQ after a Redis restart) and says so', async () => {
    const { log, lines } = capture();
    const started = performance.now();
    expect(await closeWithin({ close: () => new Promise<void>(() => undefined) }, 50, log, 'events')).toBe('gave-up');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(lines.join('\n')).toContain('"msg":"worker did not close within the shutdown grace');
    expect(lines.join('\n')).toContain('"worker":"events"');
  });

  it('takes a close that fails as closed, logging only the error class', async () => {
    const { log, lines } = capture();
    expect(await closeWithin({ close: () => Promise.reject(new TypeError('redis://:hunter2@host broke')) }, 1_000, log, 'publish')).toBe('closed');
    expect(lines.join('\n')).toContain('"err":"TypeError"');
    expect(lines.join('\n')).not.toContain('hunter2');
  });

  it('waits no longer than IDLE_CLOSE_MS for a close that hangs while no job runs, whatever the grace', async () => {
    const { log, lines } = capture();
    const started = performance.now();
    expect(await closeWithin({ close: () => new Promise<void>(() => undefined), running: () => 0 }, 600_000, log, 'events')).toBe('gave-up');
    const ms = performance.now() - started;
    expect(ms).toBeGreaterThanOrEqual(IDLE_CLOSE_MS - 10);
    expect(ms).toBeLessThan(IDLE_CLOSE_MS + 1000);
    expect(lines.join('\n')).toContain('"msg":"worker ran no job but did not close in time');
  });

  it('waits for a running job past IDLE_CLOSE_MS, and the idle time counts from its end', async () => {
    const { log } = capture();
    let running = 1;
    const jobEnds = IDLE_CLOSE_MS + 500;
    setTimeout(() => (running = 0), jobEnds);
    const started = performance.now();
    expect(await closeWithin({ close: () => new Promise<void>(() => undefined), running: () => running }, 600_000, log, 'publish')).toBe('gave-up');
    expect(performance.now() - started).toBeGreaterThanOrEqual(jobEnds + IDLE_CLOSE_MS - 10);
  });

  it('counts the jobs a BullMQ worker runs from its own bookkeeping, and "unknown" as running', () => {
    expect(runningJobs({ lockManager: { getActiveJobCount: () => 0 } })).toBe(0);
    expect(runningJobs({ lockManager: { getActiveJobCount: () => 2 } })).toBe(2);
    expect(runningJobs({})).toBe(1);
  });
});
