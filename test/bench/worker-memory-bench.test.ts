import { describe, expect, it } from 'vitest';

// bench/ is plain JS without type declarations: load it by URL and state the shape we use.
interface WorkerMemory {
  memoryFromStatus(status: string): { rss: number; peak: number };
}
const bench = (await import(new URL('../../bench/worker-memory.js', import.meta.url).href)) as WorkerMemory;

const status = (lines: string[]): string => ['Name:\tnode', 'State:\tS (sleeping)', ...lines, 'Threads:\t11', ''].join('\n');

describe('memoryFromStatus', () => {
  it('reads VmRSS and VmHWM in bytes, whatever their order', () => {
    expect(bench.memoryFromStatus(status(['VmHWM:\t  150000 kB', 'VmRSS:\t  120500 kB']))).toEqual({ rss: 120_500 * 1024, peak: 150_000 * 1024 });
  });

  it('does not take VmRSS from a longer field name', () => {
    expect(() => bench.memoryFromStatus(status(['RssVmRSS:\t 1 kB', 'VmHWM:\t 2 kB']))).toThrow(/VmRSS/);
  });

  it('fails loudly on a status without the fields (not a Linux /proc)', () => {
    expect(() => bench.memoryFromStatus('Name:\tnode\n')).toThrow(/no VmRSS line/);
  });
});
