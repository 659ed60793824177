// Scenario 5: a release while the index answers 5xx, loses a response after storing the
// file, and hangs past the upload timeout; and while both forges throttle the comment
// and status writes with 429 + Retry-After. Releases complete, each file once, one
// comment per change request.
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { eventually } from '../helpers/gitlab-service.js';
import { arrangeReleaseAndChanges, commentsPerChange, onceEach, RELEASE_FILES, uploadsPerFile } from './helpers/arrange.js';
import { bothForges } from './helpers/both-forges.js';
import type { BothForges } from './helpers/both-forges.js';
import { githubPullRequest, githubTagPush, gitlabMergeRequest, gitlabTagPush, sha } from '../helpers/webhook-payloads.js';

let h: BothForges | undefined;
afterAll(async () => {
  await h?.close();
});

it('publishes through index 5xx, lost responses and hangs, and comments once through forge 429s', { timeout: 180_000 }, async () => {
  h = await bothForges({ env: { PYRELEASE_UPLOAD_TIMEOUT_MS: '3000', PYRELEASE_JOB_ATTEMPTS: '8' } });
  const s = h;
  const CHANGES = 3;
  await arrangeReleaseAndChanges(s, CHANGES);
  // GitLab's index: two 503s, then a 500 after the file was stored (the response is lost).
  s.glIndex.fail(2, { status: 503, retryAfter: 1 });
  s.glIndex.fail(1, { status: 500, afterStore: true });
  // GitHub's index: one upload that hangs past the timeout, then a 502.
  s.ghIndex.fail(1, { status: 502, hang: true });
  s.ghIndex.fail(1, { status: 502 });
  // Throttled comment and status writes on both forges.
  s.gitlab.fault({ route: 'POST /projects/:id/merge_requests/:merge_request_iid/notes', status: 429, retryAfter: 1, count: 2 });
  s.gitlab.fault({ route: 'POST /projects/:id/statuses/:sha', status: 429, retryAfter: 1, count: 3 });
  s.github.fault({ route: 'POST /repos/:owner/:repo/issues/:issue_number/comments', status: 429, limit: 'secondary', retryAfter: 1, count: 2 });
  s.github.fault({ route: 'POST /repos/:owner/:repo/check-runs', status: 429, limit: 'secondary', retryAfter: 1, count: 3 });

  const started = performance.now();
  const answers = await Promise.all([
    s.sendGitlab('Tag Push Hook', gitlabTagPush(s.project, 'v1.4.0', sha('a')), randomUUID()),
    s.sendGithub('push', githubTagPush(s.repo, 'v1.4.0', sha('1')), randomUUID()),
    ...Array.from({ length: CHANGES }, (_, i) => s.sendGitlab('Merge Request Hook', gitlabMergeRequest(s.project, i + 1, sha('b')), randomUUID())),
    ...Array.from({ length: CHANGES }, (_, i) => s.sendGithub('pull_request', githubPullRequest(s.repo, i + 1, sha('2')), randomUUID())),
  ]);
  expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));

  await eventually(() => (s.project.releases.has('v1.4.0') && s.repo.releases.some((r) => r.tagName === 'v1.4.0') ? true : undefined), 150_000, 'both forge releases');
  await eventually(async () => ((await s.pending('events')) === 0 && (await s.pending('publish')) === 0 ? true : undefined), 30_000, 'the queues to drain');
  await new Promise((r) => setTimeout(r, 1500));
  const publish = await s.jobs('publish');
  const figures = {
    seconds: +((performance.now() - started) / 1000).toFixed(1),
    glUploadStatuses: s.glIndex.uploads.map((u) => u.status),
    ghUploadStatuses: s.ghIndex.uploads.map((u) => u.status),
    gitlabFaulted: s.gitlab.log.filter((l) => l.faulted).length,
    githubFaulted: s.github.log.filter((l) => l.faulted).length,
    publishStates: publish.map((j) => j.state),
  };
  console.log(`FAULTS forge-index ${JSON.stringify(figures)}`);

  expect(publish.map((j) => j.state)).toEqual(['completed', 'completed']);
  expect(s.glIndex.files().map((f) => f.filename).sort()).toEqual(Object.keys(RELEASE_FILES));
  expect(s.ghIndex.files().map((f) => f.filename).sort()).toEqual(Object.keys(RELEASE_FILES));
  expect(uploadsPerFile(s.ghIndex)).toEqual(RELEASE_FILES);
  // The 500-after-store upload is stored but not counted as a success; its retry must find it, not upload again.
  expect(Object.values(uploadsPerFile(s.glIndex)).every((n) => n <= 1)).toBe(true);
  expect(commentsPerChange(s)).toEqual({ gitlab: onceEach(CHANGES), github: onceEach(CHANGES) });
  // Every fault was actually met.
  expect(figures.gitlabFaulted).toBe(5);
  expect(figures.githubFaulted).toBe(5);
  expect(s.project.statuses.filter((st) => st.sha === sha('a')).at(-1)?.status).toBe('success');
  expect(s.repo.checkRuns.filter((r) => r.headSha === sha('1')).at(-1)?.conclusion).toBe('success');
});
