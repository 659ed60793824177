import { describe, expect, it } from 'vitest';
import { closeWithin } from '../../src/jobs/close-within.js';
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
});
