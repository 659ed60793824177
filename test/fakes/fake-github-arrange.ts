// Test-side helpers that set up repository state in the fake GitHub directly (what a git
// push or the web UI would do; the REST API has no route for pushing commits).
import { fakeSha, markPushed } from './fake-github-state.js';
import type { FakePull, FakeRepo, FakeRuleset } from './fake-github-state.js';

/** Adds a commit with a full tree on a branch (created when new); its parent is the branch head. */
export function addCommit(repo: FakeRepo, branch: string, sha: string, message: string, files: Record<string, string | Buffer>): string {
  const history = repo.branches.get(branch) ?? [];
  const parent = history[history.length - 1];
  const tree = new Map(Object.entries(files).map(([path, content]): [string, Buffer] => [path, Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8')]));
  repo.commits.set(sha, { sha, message, parents: parent === undefined ? [] : [parent], files: tree });
  repo.branches.set(branch, [...history, sha]);
  markPushed(repo);
  return sha;
}

export function addBranch(repo: FakeRepo, name: string, from: string): void {
  repo.branches.set(name, [...(repo.branches.get(from) ?? [])]);
  markPushed(repo);
}

export function addTag(repo: FakeRepo, name: string, sha: string): void {
  repo.tags.set(name, sha);
  markPushed(repo);
}

/** An annotated tag: the ref points at a tag object, which points at the commit. */
export function addAnnotatedTag(repo: FakeRepo, name: string, sha: string, message = `Release ${name}`): string {
  const objectSha = fakeSha(`tag-${name}-${sha}`);
  repo.tagObjects.set(objectSha, { sha: objectSha, tag: name, message, object: sha });
  repo.tags.set(name, objectSha);
  markPushed(repo);
  return objectSha;
}

export function addPull(
  repo: FakeRepo,
  number: number,
  commits: string[],
  state: FakePull['state'] = 'open',
  merged = false,
  more: { readonly title?: string; readonly author?: string } = {},
): FakePull {
  const pull: FakePull = { number, state, merged, commits, ...more };
  repo.pulls.set(number, pull);
  return pull;
}

/** A tag ruleset that restricts creating, updating and deleting the matching tags. */
export function addTagRuleset(repo: FakeRepo, id: number, include: string[], exclude: string[] = [], enforcement: FakeRuleset['enforcement'] = 'active'): FakeRuleset {
  const ruleset: FakeRuleset = { id, name: `tags ${include.join(',')}`, target: 'tag', enforcement, include, exclude, rules: ['creation', 'update', 'deletion'] };
  repo.rulesets.push(ruleset);
  return ruleset;
}
