import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../src/publishing/run-process.js';
import { processesWith } from '../helpers/attack-projects.js';

const env = { PATH: '/usr/bin:/bin' };

describe('runProcess', () => {
  it('a daemon that escaped the process group and holds stdout does not keep the run past the pipe grace', async () => {
    const marker = `pyrelease-rp-${randomBytes(4).toString('hex')}`;
    const started = Date.now();
    // setsid leaves the group, so the group kill misses it; it keeps stdout open for 30 s.
    const outcome = await runProcess({
      command: '/bin/sh', args: ['-c', `setsid sh -c 'sleep 30; : ${marker}' & echo started`], cwd: '/', env, timeoutMs: 20_000, maxLogBytes: 4096, pipeGraceMs: 500,
    });
    expect(outcome).toMatchObject({ kind: 'exited', exitCode: 0, log: 'started\n' });
    expect(Date.now() - started).toBeLessThan(5000);
    for (const pid of await processesWith(marker)) process.kill(pid, 'SIGKILL');
  });

  it('a watch that reports a reason ends the run as a limit', async () => {
    let checks = 0;
    const outcome = await runProcess({
      command: '/bin/sleep', args: ['30'], cwd: '/', env, timeoutMs: 20_000, maxLogBytes: 4096,
      watch: { intervalMs: 50, check: () => Promise.resolve(++checks >= 3 ? 'too much' : null) },
    });
    expect(outcome).toMatchObject({ kind: 'limit', reason: 'too much' });
    expect(checks).toBe(3);
  });
});
