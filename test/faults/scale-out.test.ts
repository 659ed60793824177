// Scenario 7: the production split under faults. Two web processes (this process's
// service with runWorkers: false, and a `pyrelease serve --no-worker` child) and two
// `pyrelease worker` children share one Redis. Every delivery reaches both web processes
// at once (a sender's retry that a load balancer routes to the other replica); then one
// worker is SIGKILLed while a release is running and replaced, and the child web process
// is SIGKILLed while deliveries keep coming. Each delivery must become one job answered
// `queued` exactly once across both web processes, and each release, file and comment
// must happen once.
import { afterAll, expect, it } from 'vitest';
import { eventually } from '../helpers/gitlab-service.js';
import { arrangeReleaseAndChanges, assertEverythingOnce } from './helpers/arrange.js';
import { bothForges } from './helpers/both-forges.js';
import { cliChildren } from './helpers/cli-children.js';
import type { Answer, BothForges } from './helpers/both-forges.js';
import { changeDeliveries, releaseDeliveries } from './helpers/deliveries.js';
import type { Delivery } from './helpers/deliveries.js';

const CHANGES = 10; // per forge

let h: BothForges | undefined;
const children = cliChildren();
afterAll(async () => {
  await children.killAll();
  await h?.close();
});

/** One try; a web process that is gone answers with status 0 (connection refused or reset). */
async function send(s: BothForges, d: Delivery, baseUrl: string): Promise<Answer & { delivery: string }> {
  const started = performance.now();
  try {
    const a = d.forge === 'gitlab' ? await s.sendGitlab(d.event, d.payload, d.id, baseUrl) : await s.sendGithub(d.event, d.payload, d.id, baseUrl);
    return { ...a, delivery: d.id };
  } catch {
    return { status: 0, body: null, ms: performance.now() - started, delivery: d.id };
  }
}

const statusOf = (a: Answer): string | null => (typeof a.body === 'object' && a.body !== null ? String((a.body as { status?: unknown }).status) : null);

const startChild = (args: string[], env: Record<string, string>, ready: RegExp) => children.start(args, env, ready);

it('keeps every delivery once across two web processes and two workers while a worker and a web process are killed', { timeout: 240_000 }, async () => {
  h = await bothForges({ runWorkers: false });
  const s = h;
  await arrangeReleaseAndChanges(s, CHANGES);
  const childEnv = await children.envFor(s);

  const web2 = await startChild(['serve', '--no-worker'], childEnv, /pyrelease is listening/);
  const web2Url = (JSON.parse(web2.line) as { url: string }).url;
  const workers = [await startChild(['worker'], childEnv, /worker started/), await startChild(['worker'], childEnv, /worker started/)];
  const webs = [s.service.url, web2Url];

  // Batch 1: both releases and the first delivery of every change request, each sent to both web processes at once.
  const releases = releaseDeliveries(s);
  const batch1 = [...releases, ...changeDeliveries(s, CHANGES)];
  const answers1 = (await Promise.all(batch1.map((d) => Promise.all(webs.map((url) => send(s, d, url)))))).flat();
  expect(answers1.map((a) => a.status)).toEqual(answers1.map(() => 200));

  // The worker that is building a release dies (OOM killer, node drained): SIGKILL, no goodbye.
  // Its job's lock expires and the other worker, or the replacement started now, takes it over.
  const builder = await eventually(() => workers.find((w) => w.proc.lines.some((l) => l.includes('"msg":"building"'))), 60_000, 'a worker building a release');
  builder.proc.kill('SIGKILL');
  expect(await builder.proc.exited).toBe('SIGKILL');
  await startChild(['worker'], childEnv, /worker started/);

  // The second web process dies too, half way through batch 2 (a second delivery per change
  // request, one every 50 ms, each to both web processes).
  const batch2 = changeDeliveries(s, CHANGES);
  const during = Promise.all(
    batch2.map(async (d, i) => {
      await new Promise((r) => setTimeout(r, i * 50));
      return Promise.all(webs.map((url) => send(s, d, url)));
    }),
  );
  setTimeout(() => web2.proc.kill('SIGKILL'), (batch2.length / 2) * 50);
  const answers2 = (await during).flat();
  expect(await web2.proc.exited).toBe('SIGKILL');
  // What reached the dead process is resent, as the forge would, to the one still running.
  const refused = answers2.filter((a) => a.status !== 200);
  const resent = await Promise.all(refused.map((a) => send(s, batch2.find((d) => d.id === a.delivery) as Delivery, s.service.url)));
  expect(resent.map((a) => a.status)).toEqual(resent.map(() => 200));

  const deliveries = [...batch1, ...batch2];
  await assertEverythingOnce(s, deliveries.map((d) => d.id), CHANGES);

  // Never two `queued` answers for one delivery id across both web processes and the
  // resends; the rest `duplicate`. A delivery may have no `queued` answer at all only when
  // the killed web process queued it and died before answering: its job exists (above),
  // and the resend rightly says `duplicate`.
  const all = [...answers1, ...answers2, ...resent].filter((a) => a.status === 200);
  const queuedPerDelivery = new Map<string, number>();
  for (const a of all) if (statusOf(a) === 'queued') queuedPerDelivery.set(a.delivery, (queuedPerDelivery.get(a.delivery) ?? 0) + 1);
  expect([...queuedPerDelivery.values()].filter((n) => n !== 1)).toEqual([]);
  const unanswered = deliveries.map((d) => d.id).filter((id) => !queuedPerDelivery.has(id));
  const cutOff = new Set(refused.map((a) => a.delivery));
  expect(unanswered.filter((id) => !cutOff.has(id))).toEqual([]);
  expect(new Set(all.map(statusOf))).toEqual(new Set(['queued', 'duplicate']));

  expect([...s.project.releases.keys()]).toEqual(['v1.4.0']);
  expect(s.repo.releases.map((r) => r.tagName)).toEqual(['v1.4.0']);

  console.log(
    `FAULTS scale-out ${JSON.stringify({
      deliveries: deliveries.length,
      requests: answers1.length + answers2.length + resent.length,
      answeredByKilledWeb: answers2.filter((a) => a.status === 200).length - batch2.length,
      queuedButAnswerLost: unanswered.length,
      refusedByKilledWeb: refused.length,
      queued: all.filter((a) => statusOf(a) === 'queued').length,
      duplicate: all.filter((a) => statusOf(a) === 'duplicate').length,
      killedWorkerExit: 'SIGKILL',
    })}`,
  );
});
