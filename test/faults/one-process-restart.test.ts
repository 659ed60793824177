// Scenario 8: the one-process service (`pyrelease serve`, web and workers together: README's
// command one) restarted under load. First SIGTERM while a release builds and deliveries
// arrive: it stops taking webhooks, lets running work finish, and exits; a new one starts.
// Then SIGKILL (a crash, an OOM kill) while the other release builds; a new one starts
// again. Deliveries not answered 200 are resent to whichever process runs, as the forge
// would. Each delivery must become one job, and each release, file and comment happen once.
import { afterAll, expect, it } from 'vitest';
import { eventually } from '../helpers/gitlab-service.js';
import type { CliProcess } from '../helpers/worker-process.js';
import { arrangeReleaseAndChanges, assertEverythingOnce } from './helpers/arrange.js';
import { bothForges } from './helpers/both-forges.js';
import { cliChildren } from './helpers/cli-children.js';
import type { Answer, BothForges } from './helpers/both-forges.js';
import { changeDeliveries, releaseDeliveries } from './helpers/deliveries.js';
import type { Delivery } from './helpers/deliveries.js';

const CHANGES = 8; // per forge

let h: BothForges | undefined;
const children = cliChildren();
afterAll(async () => {
  await children.killAll();
  await h?.close();
});

it('keeps every delivery once when the one-process service is stopped with SIGTERM, and killed, under load', { timeout: 240_000 }, async () => {
  // This process's own service only hosts the fakes' harness here: every delivery goes to the child.
  h = await bothForges({ runWorkers: false });
  const s = h;
  await arrangeReleaseAndChanges(s, CHANGES);
  const childEnv = await children.envFor(s);

  let current: { proc: CliProcess; url: string } | null = null;
  const start = async (): Promise<{ proc: CliProcess; url: string }> => {
    const { proc, line } = await children.start(['serve'], childEnv, /pyrelease is listening/);
    current = { proc, url: (JSON.parse(line) as { url: string }).url };
    return current;
  };

  /** Sends to whichever process runs now until a 200; a process that is gone answers status 0. */
  const answers: Array<Answer & { delivery: string }> = [];
  const deliver = async (d: Delivery): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      const url = current?.url;
      const started = performance.now();
      let a: Answer;
      try {
        if (url === undefined) throw new Error('no process');
        a = d.forge === 'gitlab' ? await s.sendGitlab(d.event, d.payload, d.id, url) : await s.sendGithub(d.event, d.payload, d.id, url);
      } catch {
        a = { status: 0, body: null, ms: performance.now() - started };
      }
      answers.push({ ...a, delivery: d.id });
      if (a.status === 200) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`delivery ${d.id} was never accepted`);
  };
  const staggered = (batch: Delivery[], everyMs: number): Promise<void[]> =>
    Promise.all(batch.map(async (d, i) => {
      await new Promise((r) => setTimeout(r, i * everyMs));
      await deliver(d);
    }));
  const building = (proc: CliProcess): Promise<string> => eventually(async () => proc.lines.find((l) => l.includes('"msg":"building"')), 60_000, 'a release building');

  const [gitlabRelease, githubRelease] = releaseDeliveries(s) as [Delivery, Delivery];
  const [batch1, batch2, batch3] = [changeDeliveries(s, CHANGES), changeDeliveries(s, CHANGES), changeDeliveries(s, CHANGES)];

  // 1. SIGTERM while GitLab's release builds and the first batch arrives.
  const first = await start();
  await deliver(gitlabRelease);
  await building(first.proc);
  const sending1 = staggered(batch1, 40);
  await new Promise((r) => setTimeout(r, (batch1.length / 2) * 40));
  const stoppedAt = performance.now();
  first.proc.kill('SIGTERM');
  const termExit = await first.proc.exited;
  const termMs = performance.now() - stoppedAt;
  current = null;
  await start();
  await sending1;

  // 2. SIGKILL while GitHub's release builds and the second batch arrives.
  await deliver(githubRelease);
  const second = current as unknown as { proc: CliProcess; url: string };
  await building(second.proc);
  const sending2 = staggered(batch2, 40);
  await new Promise((r) => setTimeout(r, (batch2.length / 2) * 40));
  second.proc.kill('SIGKILL');
  expect(await second.proc.exited).toBe('SIGKILL');
  current = null;
  await start();
  await sending2;
  // 3. A third batch to the process that runs now.
  await staggered(batch3, 10);

  const deliveries = [gitlabRelease, githubRelease, ...batch1, ...batch2, ...batch3];
  await assertEverythingOnce(s, deliveries.map((d) => d.id), CHANGES);
  const statusOf = (a: Answer): string | null => (typeof a.body === 'object' && a.body !== null ? String((a.body as { status?: unknown }).status) : null);
  const ok = answers.filter((a) => a.status === 200);
  console.log(
    `FAULTS one-process-restart ${JSON.stringify({
      deliveries: deliveries.length,
      requests: answers.length,
      notAccepted: answers.filter((a) => a.status !== 200).length,
      statusesSeen: [...new Set(answers.map((a) => a.status))].sort(),
      queued: ok.filter((a) => statusOf(a) === 'queued').length,
      duplicate: ok.filter((a) => statusOf(a) === 'duplicate').length,
      sigtermExit: termExit,
      sigtermMs: Math.round(termMs),
    })}`,
  );
  // SIGTERM is a clean stop, not a crash.
  expect(termExit).toBe(0);
  // Each delivery was answered `queued` at most once (a resend after a lost answer says `duplicate`).
  const queuedPerDelivery = new Map<string, number>();
  for (const a of ok) if (statusOf(a) === 'queued') queuedPerDelivery.set(a.delivery, (queuedPerDelivery.get(a.delivery) ?? 0) + 1);
  expect([...queuedPerDelivery.values()].filter((n) => n !== 1)).toEqual([]);
  expect([...s.project.releases.keys()]).toEqual(['v1.4.0']);
  expect(s.repo.releases.map((r) => r.tagName)).toEqual(['v1.4.0']);
});
