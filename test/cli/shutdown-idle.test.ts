// Issue 15, Shutdown: `pyrelease serve` and `pyrelease worker` with Redis stopped and no job
// running exit promptly on SIGTERM and SIGINT. Before, BullMQ's close waited for a Redis that
// was gone, up to PYRELEASE_SHUTDOWN_GRACE_MS (10.5 min by default, which these leave as is).
import { afterEach, expect, it } from 'vitest';
import { privateSetup, runCleanups, startedCli, timedStop } from '../helpers/cli-shutdown.js';
import type { Cleanups } from '../helpers/cli-shutdown.js';

const cleanups: Cleanups = [];
afterEach(() => runCleanups(cleanups));

const cases = [
  { command: 'serve', ready: /pyrelease is listening/, stopped: '"msg":"stopped"' },
  { command: 'worker', ready: /"msg":"workers started"/, stopped: '"msg":"worker stopped"' },
] as const;

for (const { command, ready, stopped } of cases) {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${command}: ${signal} with Redis stopped and no job running exits 0 within 5 s`, { timeout: 30_000 }, async () => {
      const { redis, env } = await privateSetup(cleanups);
      const proc = startedCli(cleanups, [command], env);
      await proc.waitForLine(ready);
      await redis.stop();
      // The workers have seen Redis go (they log it), so the signal meets a Redis that is away.
      await proc.waitForLine(/ECONNREFUSED/);
      const { ms, code } = await timedStop(proc, signal, 8000);
      expect({ code, within5s: ms < 5000 }).toEqual({ code: 0, within5s: true });
      expect(proc.lines.join('\n')).toContain(stopped);
    });
  }
}
