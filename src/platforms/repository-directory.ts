import type { RequestCost } from './platform.js';

/**
 * Which repositories of an account (a GitHub App installation, a GitLab token) changed,
 * asked of the forge a hundred repositories per request, so that the sweep visits only
 * those. Domain types only; each adapter says what "changed" is on its forge.
 */
export interface ListedRepository {
  /** The forge's stable id (GitHub repository id, GitLab project id). */
  readonly id: string;
  readonly path: string;
  readonly defaultBranch: string | null;
  /** When the forge last recorded a change (GitHub pushed_at, GitLab last_activity_at); ISO 8601. */
  readonly changedAt: string | null;
}

export interface RepositoryListing {
  /**
   * 'all': every repository of the account, but pages that did not change since the
   * validator are left out (GitHub: the installation's repositories, revalidated page by
   * page). 'active': only repositories whose changedAt is after `since` (GitLab).
   */
  readonly kind: 'all' | 'active';
  readonly repos: readonly ListedRepository[];
  /** Opaque; handed back on the next call. */
  readonly validator: string | null;
  readonly cost: RequestCost;
}

export interface RepositoryDirectory {
  /** What its listings hold (RepositoryListing.kind). */
  readonly kind: 'all' | 'active';
  /**
   * How late the forge may record a change in changedAt (GitLab updates last_activity_at
   * at most once an hour); the sweep widens its window by this much.
   */
  readonly lagMs: number;
  /** since: epoch ms, null for every repository. */
  changed(since: number | null, validator: string | null): Promise<RepositoryListing>;
}
