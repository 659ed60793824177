// State of the fake GitHub and the JSON entities it presents. Field names follow the
// example responses on docs.github.com/rest (repos, git/refs, git/tags, commits,
// issues/comments, commits/comments, checks/runs, releases, repos/rules, apps/webhooks);
// only the fields a client is likely to read are kept.
import { createHash } from 'node:crypto';

export interface FakeActor {
  readonly id: number;
  readonly login: string;
  readonly type: 'User' | 'Bot';
  /** Set for an app's bot: the app id (comments carry performed_via_github_app). */
  readonly appId: number | null;
}

export interface FakeCommit {
  readonly sha: string;
  readonly message: string;
  readonly parents: string[];
  /** The whole tree at this commit (nothing is inherited). */
  readonly files: Map<string, Buffer>;
}

/** An annotated tag object (git/tags): a ref points at it, it points at the commit. */
export interface FakeTagObject {
  readonly sha: string;
  readonly tag: string;
  readonly message: string;
  readonly object: string;
}

export interface FakePull {
  readonly number: number;
  state: 'open' | 'closed';
  merged: boolean;
  readonly commits: string[];
  /** `PR <number>` when not set. */
  readonly title?: string;
  /** The author's login; `user<number>` when not set. */
  readonly author?: string;
}

export interface FakeComment {
  readonly id: number;
  readonly authorId: number;
  body: string;
  readonly createdAt: string;
  updatedAt: string;
  /** Issue comments: the issue or PR number; commit comments: the sha. */
  readonly on: number | string;
}

export interface FakeCheckRun {
  readonly id: number;
  readonly headSha: string;
  readonly name: string;
  readonly appId: number;
  status: string;
  conclusion: string | null;
  title: string | null;
  summary: string | null;
  text: string | null;
  detailsUrl: string | null;
  startedAt: string;
  completedAt: string | null;
}

export interface FakeRelease {
  readonly id: number;
  readonly tagName: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  readonly authorId: number;
  readonly createdAt: string;
}

export interface FakeRuleset {
  readonly id: number;
  readonly name: string;
  readonly target: 'branch' | 'tag' | 'push';
  enforcement: 'active' | 'evaluate' | 'disabled';
  readonly include: string[];
  readonly exclude: string[];
  readonly rules: string[];
}

export interface FakeRepo {
  readonly id: number;
  readonly owner: string;
  readonly name: string;
  defaultBranch: string;
  readonly commits: Map<string, FakeCommit>;
  /** branch -> shas, oldest first (the head is the last). */
  readonly branches: Map<string, string[]>;
  /** tag name -> the sha its ref points at (a commit, or a tag object for annotated tags). */
  readonly tags: Map<string, string>;
  readonly tagObjects: Map<string, FakeTagObject>;
  readonly pulls: Map<number, FakePull>;
  readonly issueComments: FakeComment[];
  readonly commitComments: FakeComment[];
  readonly checkRuns: FakeCheckRun[];
  readonly releases: FakeRelease[];
  readonly rulesets: FakeRuleset[];
  /** sha -> the .tar.gz a test put there. */
  readonly archives: Map<string, Buffer>;
  /** When a ref last moved (epoch ms): `pushed_at`, which GitHub gives in whole seconds. */
  pushedAt: number;
  /** The App installation that can see the repository; null: every installation. */
  installationId: number | null;
}

/** A push (commit, branch, tag) moves pushed_at; GitHub's resolution is a second. */
export function markPushed(repo: FakeRepo, at: number = Date.now()): void {
  repo.pushedAt = Math.max(repo.pushedAt, at);
}

export const isoSeconds = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export interface FakeDelivery {
  readonly id: number;
  readonly guid: string;
  readonly event: string;
  readonly action: string | null;
  readonly statusCode: number;
  readonly deliveredAt: string;
  readonly redelivery: boolean;
  readonly installationId: number | null;
  readonly repositoryId: number | null;
}

export interface FakeGithubState {
  readonly appId: number;
  readonly appSlug: string;
  readonly clientId: string;
  /** The actor of the app's bot (`<slug>[bot]`): installation tokens act as it. */
  readonly botId: number;
  readonly installations: Set<number>;
  readonly installationTokens: string[];
  readonly repos: FakeRepo[];
  readonly actors: FakeActor[];
  /** token -> actor id (installation tokens and personal tokens alike). */
  readonly tokens: Map<string, number>;
  /** Installation tokens -> their installation (its rate limit and its repositories). */
  readonly tokenInstallations: Map<string, number>;
  readonly deliveries: FakeDelivery[];
  /** Redelivery requests received: the delivery ids, in order. */
  readonly redeliveries: number[];
  /** Short-lived tokens of the codeload URLs the tarball route handed out. */
  readonly codeloadTokens: Set<string>;
  nextId(): number;
  /** A fixed clock, so that responses are deterministic. */
  now(): string;
}

export function newState(appId: number, appSlug: string): FakeGithubState {
  let id = 5000;
  let tick = 0;
  const botId = 41_000_000 + appId;
  return {
    appId,
    appSlug,
    clientId: `Iv23fake${appId}`,
    botId,
    installations: new Set(),
    installationTokens: [],
    actors: [{ id: botId, login: `${appSlug}[bot]`, type: 'Bot', appId }],
    repos: [],
    tokens: new Map(),
    tokenInstallations: new Map(),
    deliveries: [],
    redeliveries: [],
    codeloadTokens: new Set(),
    nextId: () => ++id,
    now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)).toISOString().replace('.000', ''),
  };
}

export const fakeSha = (seed: string): string => createHash('sha1').update(seed).digest('hex');

/** The commit a tag ref finally points at (annotated tags peeled). */
export function peel(repo: FakeRepo, sha: string): string {
  let current = sha;
  for (let i = 0; i < 8; i++) {
    const obj = repo.tagObjects.get(current);
    if (obj === undefined) return current;
    current = obj.object;
  }
  return current;
}

/** A ref as GitHub resolves `:ref` / `?ref=`: a full or 7+ prefix sha, a branch, a tag. */
export function resolveRef(repo: FakeRepo, ref: string): FakeCommit | undefined {
  const name = ref.replace(/^refs\/(heads|tags)\//, '');
  const direct = repo.commits.get(ref);
  if (direct !== undefined) return direct;
  const branch = repo.branches.get(name);
  if (branch !== undefined) return repo.commits.get(branch[branch.length - 1] ?? '');
  const tag = repo.tags.get(name);
  if (tag !== undefined) return repo.commits.get(peel(repo, tag));
  if (/^[0-9a-f]{7,40}$/.test(ref)) {
    const hits = [...repo.commits.keys()].filter((sha) => sha.startsWith(ref));
    if (hits.length === 1) return repo.commits.get(hits[0] ?? '');
  }
  return undefined;
}

/** Every sha reachable from a commit (its history). */
export function ancestors(repo: FakeRepo, sha: string): Set<string> {
  const seen = new Set<string>();
  const todo = [sha];
  while (todo.length > 0) {
    const next = todo.pop() ?? '';
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(repo.commits.get(next)?.parents ?? []));
  }
  return seen;
}

export function actorById(state: FakeGithubState, id: number): FakeActor {
  return state.actors.find((a) => a.id === id) ?? { id, login: `ghost${id}`, type: 'User', appId: null };
}

export function presentUser(actor: FakeActor): Record<string, unknown> {
  return { login: actor.login, id: actor.id, type: actor.type, site_admin: false, html_url: `https://github.invalid/${actor.login}` };
}

export function presentApp(appId: number, slug: string): Record<string, unknown> {
  return { id: appId, slug, name: slug, owner: null, events: [], permissions: {} };
}

export function presentCommit(repo: FakeRepo, c: FakeCommit): Record<string, unknown> {
  return {
    sha: c.sha,
    node_id: `C_${c.sha.slice(0, 12)}`,
    url: `https://api.github.invalid/repos/${repo.owner}/${repo.name}/commits/${c.sha}`,
    commit: {
      message: c.message,
      author: { name: 'Fake Author', email: 'author@example.invalid', date: '2026-01-01T00:00:00Z' },
      committer: { name: 'Fake Author', email: 'author@example.invalid', date: '2026-01-01T00:00:00Z' },
      tree: { sha: fakeSha(`tree-${c.sha}`) },
    },
    author: null,
    committer: null,
    parents: c.parents.map((p) => ({ sha: p })),
  };
}

export function presentTagRef(repo: FakeRepo, name: string, sha: string): Record<string, unknown> {
  return {
    ref: `refs/tags/${name}`,
    node_id: `REF_${fakeSha(name).slice(0, 12)}`,
    url: `https://api.github.invalid/repos/${repo.owner}/${repo.name}/git/refs/tags/${encodeURIComponent(name)}`,
    object: { type: repo.tagObjects.has(sha) ? 'tag' : 'commit', sha, url: `https://api.github.invalid/repos/${repo.owner}/${repo.name}/git/${repo.tagObjects.has(sha) ? 'tags' : 'commits'}/${sha}` },
  };
}

function presentRepoRef(repo: FakeRepo): Record<string, unknown> {
  return { id: repo.id, name: repo.name, full_name: `${repo.owner}/${repo.name}`, owner: { login: repo.owner }, default_branch: repo.defaultBranch };
}

export function presentPull(repo: FakeRepo, pr: FakePull): Record<string, unknown> {
  const head = pr.commits[pr.commits.length - 1] ?? null;
  return {
    id: pr.number + 900_000,
    number: pr.number,
    state: pr.state,
    title: pr.title ?? `PR ${pr.number}`,
    user: { login: pr.author ?? `user${pr.number}`, id: pr.number + 500_000, type: 'User' },
    html_url: `https://github.invalid/${repo.owner}/${repo.name}/pull/${pr.number}`,
    merged_at: pr.merged ? '2026-01-02T00:00:00Z' : null,
    // GitHub: the merge commit, the squashed commit or the rebased head once merged; the fake merges by fast-forward.
    merge_commit_sha: pr.merged ? head : null,
    // Same-repository pull requests: head and base both carry this repository (a fork's head would carry the fork).
    head: { ref: `feature-${pr.number}`, sha: head, repo: presentRepoRef(repo) },
    base: { ref: repo.defaultBranch, sha: repo.branches.get(repo.defaultBranch)?.at(-1) ?? null, repo: presentRepoRef(repo) },
  };
}
