// Scenario 6: a storm of duplicate deliveries. The same webhook (same delivery id) 200
// times at once, and the same tag under 50 different delivery ids, on both forges.
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { eventually } from '../helpers/gitlab-service.js';
import { arrangeReleaseAndChanges, RELEASE_FILES, uploadsPerFile } from './helpers/arrange.js';
import { bothForges } from './helpers/both-forges.js';
import type { Answer, BothForges } from './helpers/both-forges.js';
import { githubTagPush, gitlabTagPush, percentile, sha } from '../helpers/webhook-payloads.js';

let h: BothForges | undefined;
afterAll(async () => {
  await h?.close();
});

it('queues one event per delivery id and one publish per release under 500 concurrent duplicates', { timeout: 180_000 }, async () => {
  h = await bothForges();
  const s = h;
  await arrangeReleaseAndChanges(s, 0);
  const glPayload = gitlabTagPush(s.project, 'v1.4.0', sha('a'));
  const ghPayload = githubTagPush(s.repo, 'v1.4.0', sha('1'));
  const glSame = randomUUID();
  const ghSame = randomUUID();
  const glDistinct = Array.from({ length: 50 }, () => randomUUID());
  const ghDistinct = Array.from({ length: 50 }, () => randomUUID());

  const started = performance.now();
  const answers: Answer[] = await Promise.all([
    ...Array.from({ length: 200 }, () => s.sendGitlab('Tag Push Hook', glPayload, glSame)),
    ...Array.from({ length: 200 }, () => s.sendGithub('push', ghPayload, ghSame)),
    ...glDistinct.map((id) => s.sendGitlab('Tag Push Hook', glPayload, id)),
    // Distinct GitHub deliveries differ in their bytes too, as real ones do (ids and timestamps
    // inside): the same signed body under a new X-GitHub-Delivery is a replay, a duplicate.
    ...ghDistinct.map((id, i) => s.sendGithub('push', { ...ghPayload, repository: { ...(ghPayload['repository'] as object), pushed_at: 1_750_000_000 + i } }, id)),
  ]);
  const burstMs = performance.now() - started;
  const latencies = answers.map((a) => a.ms).sort((a, b) => a - b);
  const bodies = answers.map((a) => (a.body as { status?: string }).status);
  const figures = {
    requests: answers.length,
    burstMs: Math.round(burstMs),
    p50ms: Math.round(percentile(latencies, 50)),
    p99ms: Math.round(percentile(latencies, 99)),
    queued: bodies.filter((b) => b === 'queued').length,
    duplicate: bodies.filter((b) => b === 'duplicate').length,
    statuses: [...new Set(answers.map((a) => a.status))],
  };
  console.log(`FAULTS duplicate-storm ${JSON.stringify(figures)}`);
  expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));

  await eventually(() => (s.glIndex.files().length === 2 && s.ghIndex.files().length === 2 ? true : undefined), 120_000, 'both releases on their index');
  await eventually(async () => ((await s.pending('events')) === 0 && (await s.pending('publish')) === 0 ? true : undefined), 60_000, 'the queues to drain');
  await new Promise((r) => setTimeout(r, 1500));

  const events = await s.jobs('events');
  expect(events.map((j) => j.delivery).sort()).toEqual([glSame, ghSame, ...glDistinct, ...ghDistinct].sort());
  // Printed whole on failure: a stray job's state, failedReason and attempts are the diagnosis.
  expect(JSON.stringify(events.filter((j) => j.state !== 'completed'))).toBe('[]');
  expect((await s.jobs('publish')).map((j) => j.state)).toEqual(['completed', 'completed']);
  expect(uploadsPerFile(s.glIndex)).toEqual(RELEASE_FILES);
  expect(uploadsPerFile(s.ghIndex)).toEqual(RELEASE_FILES);
  expect(s.project.releases.size).toBe(1);
  expect(s.repo.releases.filter((r) => r.tagName === 'v1.4.0')).toHaveLength(1);
});
