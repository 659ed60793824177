// Test-side helpers that set up repository state in the fake GitLab directly (what a
// git push or the web UI would do; the REST API has no route for pushing commits).
import { recordActivity } from './fake-gitlab-state.js';
import type { FakeMergeRequest, FakeProject, FakeTag } from './fake-gitlab-state.js';

/** Adds a commit with a full tree on a branch (created when new); its parent is the branch head. */
export function addCommit(project: FakeProject, branch: string, sha: string, message: string, files: Record<string, string | Buffer>): string {
  const history = project.branches.get(branch) ?? [];
  const parent = history[history.length - 1];
  const tree = new Map(Object.entries(files).map(([path, content]): [string, Buffer] => [path, Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8')]));
  project.commits.set(sha, { id: sha, message, parentIds: parent === undefined ? [] : [parent], files: tree });
  project.branches.set(branch, [...history, sha]);
  // A push is an event: last_activity_at moves (lazily).
  recordActivity(project);
  return sha;
}

/** Creates a branch whose history is a copy of another branch's. */
export function addBranch(project: FakeProject, name: string, from: string): void {
  project.branches.set(name, [...(project.branches.get(from) ?? [])]);
}

export function addTag(project: FakeProject, name: string, sha: string, message = ''): FakeTag {
  const tag: FakeTag = { name, commitId: sha, message, target: sha };
  project.tags.set(name, tag);
  recordActivity(project);
  return tag;
}

export function addMergeRequest(
  project: FakeProject,
  iid: number,
  commits: string[],
  state: FakeMergeRequest['state'] = 'opened',
  more: { readonly title?: string; readonly author?: string; readonly mergeCommitSha?: string | null } = {},
): FakeMergeRequest {
  const mr: FakeMergeRequest = { iid, title: more.title ?? `MR ${iid}`, state, sourceBranch: `feature-${iid}`, targetBranch: project.defaultBranch, commits, ...more };
  project.mergeRequests.set(iid, mr);
  return mr;
}
