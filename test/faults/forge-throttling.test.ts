// Scenario 11: both forges rate-limit every write of a release and of the comments for
// 90 seconds, longer than all of a job's attempts would last (2 attempts, 0.5 s apart).
// GitLab answers 429 (gitbeaker retries it 10 times at once, then the job waits 60 s);
// GitHub answers its secondary-limit 403 with retry-after 30 (longer than the 10 s the
// Octokit throttling plugin may wait in the request). Every job waits the limits out
// without spending an attempt, and everything happens once.
import { afterAll, expect, it } from 'vitest';
import { arrangeReleaseAndChanges, assertEverythingOnce } from './helpers/arrange.js';
import { bothForges } from './helpers/both-forges.js';
import type { BothForges } from './helpers/both-forges.js';
import { deliveriesFor, send } from './helpers/deliveries.js';
import { sha } from '../helpers/webhook-payloads.js';

let h: BothForges | undefined;
afterAll(async () => {
  await h?.close();
});

const LIMIT_MS = 90_000;
const GITLAB_WRITES = ['POST /projects/:id/statuses/:sha', 'POST /projects/:id/releases', 'POST /projects/:id/merge_requests/:merge_request_iid/notes'];
const GITHUB_WRITES = ['POST /repos/:owner/:repo/check-runs', 'POST /repos/:owner/:repo/releases', 'POST /repos/:owner/:repo/issues/:issue_number/comments'];

it('publishes and comments once through 90 s of forge rate limits, spending no attempt on them', { timeout: 360_000 }, async () => {
  h = await bothForges({ env: { PYRELEASE_JOB_ATTEMPTS: '2', PYRELEASE_JOB_BACKOFF_MS: '500' } });
  const s = h;
  const CHANGES = 2;
  await arrangeReleaseAndChanges(s, CHANGES);
  const started = Date.now();
  const until = started + LIMIT_MS;
  for (const route of GITLAB_WRITES) s.gitlab.fault({ route, status: 429, retryAfter: 60, until });
  for (const route of GITHUB_WRITES) s.github.fault({ route, status: 403, limit: 'secondary', retryAfter: 30, until });

  const deliveries = deliveriesFor(s, CHANGES);
  const answers = await Promise.all(deliveries.map((d) => send(s, d)));
  expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));

  await assertEverythingOnce(s, deliveries.map((d) => d.id), CHANGES, 300_000);
  const finishedS = (Date.now() - started) / 1000;
  const lines = s.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const waits = lines.filter((l) => String(l['msg']).startsWith('rate-limited, waiting'));
  const events = await s.jobs('events');
  const publish = await s.jobs('publish');
  const figures = {
    seconds: +finishedS.toFixed(1),
    waits: waits.length,
    gitlabFaulted: s.gitlab.log.filter((l) => l.faulted).length,
    githubFaulted: s.github.log.filter((l) => l.faulted).length,
    githubFaultedPerRoute: Object.fromEntries(GITHUB_WRITES.map((r) => [r, s.github.log.filter((l) => l.faulted && l.route === r).length])),
    eventAttempts: events.map((j) => j.attempts),
    publishAttempts: publish.map((j) => j.attempts),
  };
  console.log(`FAULTS forge-throttling ${JSON.stringify(figures)}`);

  // Nothing could be written before the limits ended, and every job ran on its first attempt.
  expect(finishedS).toBeGreaterThan(LIMIT_MS / 1000);
  expect([...events, ...publish].filter((j) => j.attempts !== 1)).toEqual([]);
  expect(waits.length).toBeGreaterThanOrEqual(2 + 2 * CHANGES);
  expect(waits.every((w) => w['attemptSpent'] === false)).toBe(true);
  // The limits were met and honoured, not hammered: each GitHub refusal became one wait,
  // and each wait on GitLab followed gitbeaker's own 10 quick tries; 30 s apart in a 90 s
  // limit, no job met a GitHub limit more than 4 times (at 0, 30, 60 and 90 s).
  expect(figures.githubFaulted).toBeGreaterThan(0);
  expect(figures.gitlabFaulted).toBeGreaterThan(0);
  expect(figures.gitlabFaulted % 10).toBe(0);
  expect(figures.githubFaulted + figures.gitlabFaulted / 10).toBe(waits.length);
  const jobsOnGithub = 1 + CHANGES;
  for (const n of Object.values(figures.githubFaultedPerRoute)) expect(n).toBeLessThanOrEqual(jobsOnGithub * (LIMIT_MS / 30_000 + 1));
  expect(s.project.statuses.filter((st) => st.sha === sha('a')).at(-1)?.status).toBe('success');
  expect(s.repo.checkRuns.filter((r) => r.headSha === sha('1')).at(-1)?.conclusion).toBe('success');
});
