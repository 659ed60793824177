import type { CommentTarget, StatusState } from '../core/actions.js';

/**
 * The Platform port: one instance per repository, domain types only, null for
 * "absent". Every write is idempotent, because every event arrives at least once and
 * every job may run twice. Both adapters (GitLab, GitHub) and the in-memory fake pass
 * the same contract suite (test/platforms/platform-contract.ts).
 */
export interface CommitInfo {
  readonly sha: string;
  readonly message: string;
}

export interface TagInfo {
  readonly name: string;
  /** The commit the tag points at (peeled). */
  readonly sha: string;
  /** When that commit was made (ISO 8601), where the forge says so cheaply; the sweep's age window uses it. */
  readonly committedAt?: string | null;
}

export type EnsureTagResult = 'created' | 'exists';
export type UpsertResult = 'created' | 'updated' | 'unchanged' | 'absent';

export interface UpsertOptions {
  /** false: edit our comment if it exists, else do nothing and return 'absent'. Default true. */
  readonly createIfMissing?: boolean;
}

export interface StatusInput {
  readonly state: StatusState;
  /** One line; adapters cut it to the forge's limit. */
  readonly description: string;
  /** Longer markdown, where the forge can show it (GitHub check run summary). */
  readonly summary?: string;
  readonly targetUrl?: string;
}

export interface ReleaseInput {
  readonly tag: string;
  readonly name: string;
  readonly description: string;
  readonly links: ReadonlyArray<{ readonly name: string; readonly url: string }>;
}

/** A change request (GitLab merge request, GitHub pull request) merged into a release's history. */
export interface MergedChange {
  readonly number: number;
  readonly title: string;
  /** The forge's web page of the change request, as the forge gave it (shown, never fetched). */
  readonly url: string | null;
  /** The author's username (GitLab) or login (GitHub); null when the forge names none. */
  readonly author: string | null;
}

export interface MergedChanges {
  /** Newest first (by the commit that brought each in), each number once. */
  readonly changes: MergedChange[];
  /** false when a bound cut the list: more commits than were looked at, or more changes than the limit. */
  readonly complete: boolean;
}

/**
 * The most commits of a comparison whose change requests listMergedChanges asks for, one
 * request each (newest first): with the comparison itself, at most 101 requests a release.
 */
export const MERGED_CHANGE_COMMIT_LOOKUPS = 100;

/** What a forge said about its rate limit in a response's headers. */
export interface RateReading {
  readonly limit: number;
  readonly remaining: number;
  /** When the window resets (epoch ms). */
  readonly resetAt: number;
}

/** What a call cost: requests sent, and rate-limit points spent (GitHub does not count a 304). */
export interface RequestCost {
  readonly requests: number;
  readonly points: number;
  /** The newest rate-limit headers seen; null when the forge sent none. */
  readonly rate: RateReading | null;
}

/**
 * A conditional read: the validator of the previous answer (ETags, opaque to callers) is
 * sent back, and an unchanged resource answers `changed: false` without its content.
 */
export type Revalidated<T> =
  | { readonly changed: false; readonly validator: string; readonly cost: RequestCost }
  | { readonly changed: true; readonly value: T; readonly validator: string | null; readonly cost: RequestCost };

/** The repository as the forge names it now, asked of the forge rather than read from a payload or a job. */
export interface RepositoryIdentity {
  /** The forge's stable id: GitLab project id, GitHub repository id. */
  readonly id: string;
  /** `group/sub/project` (GitLab path_with_namespace), `owner/name` (GitHub full_name). */
  readonly path: string;
}

export interface Platform {
  /**
   * Which repository this instance acts on. A publish job carries both an id and a path
   * and each forge addresses by one of them, so the job is checked against this first.
   */
  identity(): Promise<RepositoryIdentity>;
  /** The default branch, read from the forge (not from a payload). */
  defaultBranch(): Promise<string>;
  resolveCommit(ref: string): Promise<CommitInfo | null>;
  /** Text of a file at a ref, or null when there is no such file. */
  readFile(path: string, ref: string): Promise<string | null>;
  getTag(name: string): Promise<TagInfo | null>;
  listTags(): Promise<TagInfo[]>;
  /**
   * The tags as listTags, revalidated against the validator of an earlier answer
   * (If-None-Match per page): unchanged is `changed: false` with no content. A null
   * validator always answers the tags.
   */
  listTagsIfChanged(validator: string | null): Promise<Revalidated<TagInfo[]>>;
  /**
   * Creates a lightweight-or-annotated tag at sha. An existing tag at the same sha is
   * 'exists'; at another sha it is a TagConflictError. Decided by re-reading the tag,
   * never by parsing an error message.
   */
  ensureTag(name: string, sha: string, message: string): Promise<EnsureTagResult>;
  /** Whether the tag is protected (GitLab protected tags, GitHub tag rulesets); null when unknown. */
  isTagProtected(name: string): Promise<boolean | null>;
  /** Branch names whose history contains sha. */
  branchesContaining(sha: string): Promise<string[]>;
  /** Open or merged change requests that contain sha (to comment on the one that brought a version). */
  changeRequestsForCommit(sha: string): Promise<number[]>;
  /**
   * The change requests merged into toSha's history that fromSha's lacks (the commits of
   * `fromSha...toSha`, counted from their merge base), newest first, at most `limit`. One
   * comparison, then one lookup per commit for at most MERGED_CHANGE_COMMIT_LOOKUPS
   * commits (the newest); open or closed-unmerged change requests are left out.
   */
  listMergedChanges(fromSha: string, toSha: string, limit: number): Promise<MergedChanges>;
  /** Creates or edits our one comment, found by the hidden marker at the start of its body. */
  upsertComment(target: CommentTarget, body: string, marker: string, options?: UpsertOptions): Promise<UpsertResult>;
  setStatus(sha: string, status: StatusInput): Promise<void>;
  /** Writes the .tar.gz of the tree at sha to destFile. */
  downloadArchive(sha: string, destFile: string): Promise<void>;
  ensureRelease(release: ReleaseInput): Promise<'created' | 'updated'>;
  /**
   * Creates branch `name` at sha. An existing branch is 'exists' whatever its head (a
   * stable branch moves on after it was cut); decided by re-reading, never by a message.
   */
  ensureBranch(name: string, sha: string): Promise<'created' | 'exists'>;
  /** The commit a branch points at, or null when there is no such branch. */
  branchHead(name: string): Promise<string | null>;
  /**
   * The best common ancestor of two refs (branch, tag or sha): where a branch was cut
   * from another, when neither was merged into the other since. Null when a ref does not
   * exist or the histories share no commit.
   */
  mergeBase(a: string, b: string): Promise<string | null>;
}
