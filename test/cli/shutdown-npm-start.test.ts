// Issue 15, Shutdown: `npm start` in a terminal stops on Ctrl-C in seconds, and stops cleanly.
// Ctrl-C sends SIGINT to the terminal's whole foreground process group. Where npm's script
// shell execs the command (bash does; Debian's dash does not), node is npm's child, and npm
// forwards its own copy of the signal to it: node sees two SIGINTs at once. Before, the second
// hit Node's default handler and killed the process in the middle of its shutdown. As a user
// runs it: no REDIS_URL, so `serve` starts its embedded Redis (in a group of its own).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { exitWithin, runCleanups } from '../helpers/cli-shutdown.js';
import type { Cleanups } from '../helpers/cli-shutdown.js';
import { watchProcess } from '../helpers/worker-process.js';

const cleanups: Cleanups = [];
afterEach(() => runCleanups(cleanups));

const root = new URL('../..', import.meta.url).pathname;

for (const shell of ['sh', 'bash']) {
  it(`npm start (script shell ${shell}) stops on Ctrl-C within 5 s, through the clean shutdown`, { timeout: 30_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pyrelease-npm-start-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PYRELEASE_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', npm_config_script_shell: shell };
    // Its own process group, as a terminal's foreground job has: Ctrl-C is a SIGINT to the group.
    const npm = watchProcess(spawn('npm', ['start'], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env }));
    const group = npm.child.pid ?? 0;
    cleanups.push(async () => {
      if (npm.child.exitCode === null && npm.child.signalCode === null) process.kill(-group, 'SIGKILL');
      await npm.exited;
    });
    await npm.waitForLine(/pyrelease is listening/);
    const sent = performance.now();
    process.kill(-group, 'SIGINT');
    const code = await exitWithin(npm, 8000);
    const ms = performance.now() - sent;
    // npm's own exit: 0 or, when it was signalled itself before its child ended, death by that
    // signal (run-script-pkg.js); node's own stop is read from its lines.
    expect({ npmExited: code === 0 || code === 'SIGINT', within5s: ms < 5000 }).toEqual({ npmExited: true, within5s: true });
    const out = npm.lines.join('\n');
    expect(out).toContain('"msg":"stopped"');
    expect(out).not.toContain('second SIGINT');
  });
}
