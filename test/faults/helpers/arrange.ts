import { addMergeRequest, addTag as addGitlabTag } from '../../fakes/fake-gitlab-arrange.js';
import { addPull, addTag as addGithubTag } from '../../fakes/fake-github-arrange.js';
import { expect } from 'vitest';
import type { FakeIndex } from '../../fakes/fake-index.js';
import { eventually } from '../../helpers/gitlab-service.js';
import type { BothForges } from './both-forges.js';
import { sha } from '../../helpers/webhook-payloads.js';

/**
 * One release per forge (v1.4.0: GitLab at sha a, GitHub at sha 1) and `changeRequests`
 * MRs / PRs on a feature branch whose version is lower, so each gets one comment.
 */
export async function arrangeReleaseAndChanges(s: BothForges, changeRequests: number): Promise<void> {
  await s.commitGitlab('main', sha('a'), 'setuptools-static', '1.4.0');
  addGitlabTag(s.project, 'v1.4.0', sha('a'));
  s.project.branches.set('feature', [sha('a')]);
  await s.commitGitlab('feature', sha('b'), 'setuptools-static', '1.3.0');
  await s.commitGithub('main', sha('1'), 'setuptools-static', '1.4.0');
  addGithubTag(s.repo, 'v1.4.0', sha('1'));
  s.repo.branches.set('feature', [sha('1')]);
  await s.commitGithub('feature', sha('2'), 'setuptools-static', '1.3.0');
  for (let n = 1; n <= changeRequests; n++) {
    addMergeRequest(s.project, n, [sha('b')]);
    addPull(s.repo, n, [sha('2')]);
  }
}

export const RELEASE_FILES = { 'sample-static-1.4.0.tar.gz': 1, 'sample_static-1.4.0-py3-none-any.whl': 1 };

/** Successful uploads per file name (a lost response's retry that found the file is not an upload). */
export function uploadsPerFile(index: FakeIndex): Record<string, number> {
  const counts = new Map<string, number>();
  for (const u of index.uploads) if (u.filename !== null && u.status < 300) counts.set(u.filename, (counts.get(u.filename) ?? 0) + 1);
  return Object.fromEntries([...counts].sort());
}

/** Comments per change request on each forge. */
export function commentsPerChange(s: BothForges): { gitlab: Record<number, number>; github: Record<number, number> } {
  const gitlab: Record<number, number> = {};
  for (const note of s.project.notes) if (note.noteable.type === 'MergeRequest') gitlab[note.noteable.iid] = (gitlab[note.noteable.iid] ?? 0) + 1;
  const github: Record<number, number> = {};
  for (const c of s.repo.issueComments) github[Number(c.on)] = (github[Number(c.on)] ?? 0) + 1;
  return { gitlab, github };
}

export const onceEach = (n: number): Record<number, number> => Object.fromEntries(Array.from({ length: n }, (_, i) => [i + 1, 1]));

/**
 * After arrangeReleaseAndChanges and the deliveries: waits for the queues to drain, then
 * holds that each delivery is one completed event job, both releases published with each
 * file once, and each change request commented once.
 */
export async function assertEverythingOnce(s: BothForges, deliveryIds: readonly string[], changes: number, drainMs = 150_000): Promise<void> {
  await eventually(async () => ((await s.pending('events')) === 0 && (await s.pending('publish')) === 0 && s.glIndex.files().length === 2 && s.ghIndex.files().length === 2 ? true : undefined), drainMs, 'the queues to drain');
  // Let any late duplicate finish, then count.
  await new Promise((r) => setTimeout(r, 1500));
  const events = await s.jobs('events');
  expect(events.map((j) => j.delivery).sort()).toEqual([...deliveryIds].sort());
  expect(events.filter((j) => j.state !== 'completed')).toEqual([]);
  expect((await s.jobs('publish')).map((j) => j.state)).toEqual(['completed', 'completed']);
  expect(uploadsPerFile(s.glIndex)).toEqual(RELEASE_FILES);
  expect(uploadsPerFile(s.ghIndex)).toEqual(RELEASE_FILES);
  expect(commentsPerChange(s)).toEqual({ gitlab: onceEach(changes), github: onceEach(changes) });
}
