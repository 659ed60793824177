// Issue 15, Shutdown, with a job running: SIGTERM waits for that job (and only it) and exits
// when it ends; a second Ctrl-C (SIGINT) while it runs exits at once. The job is an event
// job blocked on a forge that holds every request (held-forge.ts), with Redis up.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { exitWithin, privateSetup, runCleanups, startedCli, timedStop } from '../helpers/cli-shutdown.js';
import type { Cleanups } from '../helpers/cli-shutdown.js';
import { startHeldForge } from '../helpers/held-forge.js';
import type { HeldForge } from '../helpers/held-forge.js';
import type { CliProcess } from '../helpers/worker-process.js';

const cleanups: Cleanups = [];
afterEach(() => runCleanups(cleanups));

const tagPush = JSON.parse(readFileSync(new URL('../fixtures/gitlab/tag-push.json', import.meta.url), 'utf8')) as Record<string, unknown>;

/** `pyrelease serve` with one event job running: its forge holds the job's first request. */
async function serveWithRunningJob(): Promise<{ proc: CliProcess; forge: HeldForge }> {
  const forge = await startHeldForge();
  cleanups.push(() => forge.close());
  const { env } = await privateSetup(cleanups);
  const secret = randomBytes(16).toString('hex');
  const proc = startedCli(cleanups, ['serve'], { ...env, GITLAB_URL: forge.url, GITLAB_TOKEN: `glpat-${randomBytes(12).toString('hex')}`, GITLAB_WEBHOOK_SECRET: secret });
  const { url } = JSON.parse(await proc.waitForLine(/pyrelease is listening/)) as { url: string };
  const sent = await fetch(`${url}/webhooks/gitlab`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': secret, 'idempotency-key': randomUUID() },
    body: JSON.stringify(tagPush),
  });
  expect(sent.status).toBe(200);
  // The event job asks the forge about the project: from here on it runs, held.
  await forge.requested(/\/api\/v4\/projects\//);
  return { proc, forge };
}

it('SIGTERM with a job running waits for that job, then exits 0 when it ends', { timeout: 30_000 }, async () => {
  const { proc, forge } = await serveWithRunningJob();
  proc.kill('SIGTERM');
  await proc.waitForLine(/"msg":"stopping: /);
  // Longer than a close that waits for no job takes (IDLE_CLOSE_MS, 2 s): still running.
  expect(await exitWithin(proc, 4000)).toBe('alive');
  forge.release();
  expect(await exitWithin(proc, 5000)).toBe(0);
  expect(proc.lines.join('\n')).toContain('"msg":"stopped"');
});

it('a second SIGINT while a job runs exits at once, with 130', { timeout: 30_000 }, async () => {
  const { proc } = await serveWithRunningJob();
  proc.kill('SIGINT');
  await proc.waitForLine(/"msg":"stopping: /);
  // A second SIGINT this soon after the first is npm's copy of the same Ctrl-C (stop-signals.ts).
  await new Promise((r) => setTimeout(r, 600));
  const { ms, code } = await timedStop(proc, 'SIGINT', 5000);
  expect({ code, atOnce: ms < 1000 }).toEqual({ code: 130, atOnce: true });
});
