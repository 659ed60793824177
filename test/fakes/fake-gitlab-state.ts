// State of the fake GitLab and the JSON entities it presents. Field names and shapes
// follow the example responses in gitlabhq doc/api/*.md (projects.md, commits.md,
// tags.md, protected_tags.md, notes.md, discussions.md, commits.md#commit-status,
// releases/_index.md, releases/links.md, users.md); only the fields a client is
// likely to read are kept.
export interface FakeUser {
  readonly id: number;
  readonly username: string;
  readonly token: string;
}

export interface FakeCommit {
  readonly id: string;
  readonly message: string;
  readonly parentIds: string[];
  /** The whole tree at this commit (nothing is inherited). */
  readonly files: Map<string, Buffer>;
  /** ISO date; a fixed one when omitted, so responses stay deterministic. */
  committedDate?: string;
}

export interface FakeTag {
  readonly name: string;
  readonly commitId: string;
  readonly message: string;
  /** Annotated tags point at a tag object, not at the commit (tags.md: `target`). */
  readonly target: string;
}

export type Noteable = { readonly type: 'MergeRequest'; readonly iid: number } | { readonly type: 'Commit'; readonly sha: string };

export interface FakeNote {
  readonly id: number;
  readonly discussionId: string;
  readonly noteable: Noteable;
  readonly authorId: number;
  body: string;
  readonly createdAt: string;
  updatedAt: string;
}

export interface FakeStatus {
  readonly id: number;
  readonly sha: string;
  readonly ref: string | null;
  status: string;
  readonly name: string;
  readonly description: string | null;
  readonly targetUrl: string | null;
  readonly authorId: number;
}

export interface FakeReleaseLink {
  readonly id: number;
  name: string;
  url: string;
  readonly linkType: string;
}

export interface FakeRelease {
  readonly tagName: string;
  name: string;
  description: string;
  readonly links: FakeReleaseLink[];
  readonly createdAt: string;
}

export interface FakeMergeRequest {
  readonly iid: number;
  readonly title: string;
  state: 'opened' | 'merged' | 'closed';
  readonly sourceBranch: string;
  readonly targetBranch: string;
  readonly commits: string[];
  /** The author's username; `user<iid>` when not set. */
  readonly author?: string;
  /** When merged (state 'merged'): the merge commit, if the merge made one (a fast-forward makes none). */
  readonly mergeCommitSha?: string | null;
}

export interface FakeProject {
  readonly id: number;
  readonly pathWithNamespace: string;
  defaultBranch: string;
  readonly commits: Map<string, FakeCommit>;
  /** branch -> shas, oldest first (the branch head is the last). */
  readonly branches: Map<string, string[]>;
  readonly tags: Map<string, FakeTag>;
  /** Protected tag names or wildcard patterns (`v*`). */
  readonly protectedTags: string[];
  readonly mergeRequests: Map<number, FakeMergeRequest>;
  readonly notes: FakeNote[];
  readonly statuses: FakeStatus[];
  readonly releases: Map<string, FakeRelease>;
  /** sha -> the .tar.gz a test put there. */
  readonly archives: Map<string, Buffer>;
  /** last_activity_at (epoch ms), moved lazily: see recordActivity. */
  lastActivityAt: number;
  /** User ids that are members (directly or through a group); null: every user. */
  members: Set<number> | null;
}

/**
 * GitLab's Event#reset_project_activity (app/models/event.rb): an event moves the
 * project's last_activity_at only when it is older than RESET_PROJECT_ACTIVITY_INTERVAL
 * (an hour), so a project active a minute ago may still say it was active 59 minutes ago.
 */
export const RESET_PROJECT_ACTIVITY_INTERVAL_MS = 3600_000;

export function recordActivity(project: FakeProject, at: number = Date.now()): void {
  if (project.lastActivityAt <= at - RESET_PROJECT_ACTIVITY_INTERVAL_MS) project.lastActivityAt = at;
}

export interface FakeGitlabState {
  readonly users: FakeUser[];
  readonly projects: FakeProject[];
  nextId(): number;
  /** A fixed clock, so that responses are deterministic. */
  now(): string;
}

export function newState(): FakeGitlabState {
  let id = 1000;
  let tick = 0;
  return {
    users: [],
    projects: [],
    nextId: () => ++id,
    now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)).toISOString(),
  };
}

export function findProject(state: FakeGitlabState, idOrPath: string): FakeProject | undefined {
  return /^\d+$/.test(idOrPath) ? state.projects.find((p) => String(p.id) === idOrPath) : state.projects.find((p) => p.pathWithNamespace === idOrPath);
}

/** A ref as GitLab resolves it for `ref=` and `:sha` parameters: a sha (or 7+ prefix), a branch, a tag. */
export function resolveRef(project: FakeProject, ref: string): FakeCommit | undefined {
  const direct = project.commits.get(ref);
  if (direct !== undefined) return direct;
  const branch = project.branches.get(ref);
  if (branch !== undefined) return project.commits.get(branch[branch.length - 1] ?? '');
  const tag = project.tags.get(ref);
  if (tag !== undefined) return project.commits.get(tag.commitId);
  if (/^[0-9a-f]{7,40}$/.test(ref)) {
    const hits = [...project.commits.keys()].filter((sha) => sha.startsWith(ref));
    if (hits.length === 1) return project.commits.get(hits[0] ?? '');
  }
  return undefined;
}

/** GitLab's RefMatcher: `*` matches anything (slashes included); otherwise an exact name. */
export function refMatches(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*?')}$`);
  return re.test(name);
}

export function presentUser(user: FakeUser): Record<string, unknown> {
  return { id: user.id, username: user.username, name: user.username, state: 'active', avatar_url: null, web_url: `http://gitlab.invalid/${user.username}` };
}

export function userById(state: FakeGitlabState, id: number): FakeUser {
  return state.users.find((u) => u.id === id) ?? { id, username: `user${id}`, token: '' };
}

export function presentCommit(c: FakeCommit): Record<string, unknown> {
  const title = c.message.split('\n')[0] ?? '';
  return {
    id: c.id,
    short_id: c.id.slice(0, 8),
    title,
    message: c.message,
    parent_ids: c.parentIds,
    author_name: 'Fake Author',
    author_email: 'author@example.invalid',
    created_at: c.committedDate ?? '2026-01-01T00:00:00.000Z',
    committed_date: c.committedDate ?? '2026-01-01T00:00:00.000Z',
  };
}

export function presentTag(project: FakeProject, tag: FakeTag): Record<string, unknown> {
  const commit = project.commits.get(tag.commitId);
  return {
    name: tag.name,
    message: tag.message,
    target: tag.target,
    commit: commit === undefined ? null : presentCommit(commit),
    release: null,
    protected: project.protectedTags.some((p) => refMatches(p, tag.name)),
  };
}

export function presentNote(state: FakeGitlabState, project: FakeProject, note: FakeNote): Record<string, unknown> {
  return {
    id: note.id,
    type: null,
    body: note.body,
    attachment: null,
    author: presentUser(userById(state, note.authorId)),
    created_at: note.createdAt,
    updated_at: note.updatedAt,
    system: false,
    noteable_id: note.noteable.type === 'MergeRequest' ? note.noteable.iid + 100 : null,
    noteable_type: note.noteable.type,
    noteable_iid: note.noteable.type === 'MergeRequest' ? note.noteable.iid : null,
    project_id: project.id,
    resolvable: false,
    confidential: false,
    internal: false,
  };
}

export function presentMergeRequest(project: FakeProject, mr: FakeMergeRequest): Record<string, unknown> {
  return {
    id: mr.iid + 100,
    iid: mr.iid,
    project_id: project.id,
    title: mr.title,
    state: mr.state,
    source_branch: mr.sourceBranch,
    target_branch: mr.targetBranch,
    sha: mr.commits[mr.commits.length - 1] ?? null,
    merge_commit_sha: mr.state === 'merged' ? (mr.mergeCommitSha ?? null) : null,
    squash_commit_sha: null,
    merged_at: mr.state === 'merged' ? '2026-01-02T00:00:00.000Z' : null,
    author: { id: 1, username: mr.author ?? `user${mr.iid}`, name: mr.author ?? `user${mr.iid}`, state: 'active' },
    web_url: `http://gitlab.invalid/${project.pathWithNamespace}/-/merge_requests/${mr.iid}`,
  };
}
