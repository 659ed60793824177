import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';

// bench/ is plain JS without type declarations: load it by URL and state the shape we use.
interface WebMemoryBench {
  measureWebProcess(options: { nodeOptions: string; settleMs: number; gitlabUrl: string; privateKey: string }): Promise<{ atReady: number; idle: number }>;
  startFakeGitlab(): Promise<{ url: string; close(): void }>;
}
const { measureWebProcess, startFakeGitlab } = (await import(new URL('../../bench/web-memory.js', import.meta.url).href)) as WebMemoryBench;
const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('bench/web-memory.js', () => {
  it('starts the real web process, reads its RSS at ready and idle, and stops it', { timeout: 60_000 }, async () => {
    const gitlab = await startFakeGitlab();
    try {
      const { atReady, idle } = await measureWebProcess({ nodeOptions: '--max-semi-space-size=2', settleMs: 100, gitlabUrl: gitlab.url, privateKey });
      // A Node process with the service loaded is tens of MiB; a parse slip would give bytes or kilobytes.
      for (const rss of [atReady, idle]) {
        expect(rss).toBeGreaterThan(30 * 1024 * 1024);
        expect(rss).toBeLessThan(1024 * 1024 * 1024);
      }
    } finally {
      gitlab.close();
    }
  });

  it('reports a web process that cannot start instead of waiting for it', { timeout: 60_000 }, async () => {
    const gitlab = await startFakeGitlab();
    try {
      await expect(measureWebProcess({ nodeOptions: '--no-such-node-flag', settleMs: 100, gitlabUrl: gitlab.url, privateKey })).rejects.toThrow(/exited with 9/);
    } finally {
      gitlab.close();
    }
  });
});
