import type { ListedRepository } from '../platforms/repository-directory.js';
import type { RepoSweepState } from '../service/sweep.js';

/** What an account's listing said this pass. */
export interface ListingView {
  readonly kind: 'all' | 'active';
  /** How late the forge records a change (GitLab: an hour). */
  readonly lagMs: number;
  /** The previous listing's start, the window this one asked from (before widening by lagMs); null on the first. */
  readonly since: number | null;
  readonly byId: ReadonlyMap<string, ListedRepository>;
}

export type DueReason = 'new' | 'retry' | 'changed' | 'pending' | 'unlisted' | 'no-listing' | 'org-defaults';
export type Verdict = { readonly due: true; readonly reason: DueReason } | { readonly due: false; readonly reason: 'quiet' | 'no-registry' };

/**
 * Our clock and the forge's differ, and GitHub gives pushed_at in whole seconds: a check
 * that started within this long after a recorded change may have missed a second change
 * in the same second, so it counts as not having seen it.
 */
export const CLOCK_MARGIN_MS = 5000;
/** An event reaches the event worker this long after it happened on the forge, at most (for telling a non-member project). */
export const EVENT_DELAY_MARGIN_MS = 60_000;

const at = (iso: string | null): number | null => {
  if (iso === null) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
};

/** Whether a listed change is one the last check did not see. */
function unseen(listed: ListedRepository, state: RepoSweepState, lagMs: number): boolean {
  const changed = at(listed.changedAt);
  if (changed === null) return true;
  const checked = at(state.changedAt);
  if (checked === null || changed > checked) return true;
  // Same changedAt: seen, unless the check ran before the forge could have recorded a
  // later change (GitLab moves last_activity_at at most hourly).
  return state.checkedAt < changed + lagMs + CLOCK_MARGIN_MS;
}

/**
 * Whether a known repository needs a check this pass, from what the sweep remembers of it
 * and what the forge's listing says. Pure: the sweep worker acts on the verdict.
 *   - never checked: 'new'; the last check queued releases or failed: 'retry';
 *   - its config names no registry: skipped ('no-registry') until a config push or
 *     changed organisation defaults (the worker tells those);
 *   - no listing from the forge: checked every pass, as the sweep always did;
 *   - GitHub ('all'): checked when pushed_at moved since its last check;
 *   - GitLab ('active'): checked while it is listed with activity the last check may not
 *     have seen; a repository with an event inside the window that GitLab does not list
 *     is not the token user's to list ('unlisted'), and is checked every pass.
 */
export function planRepo(state: RepoSweepState | null, listing: ListingView | null, id: string, seenAt: number | null): Verdict {
  if (state === null) return { due: true, reason: 'new' };
  if (state.noRegistry !== undefined) return { due: false, reason: 'no-registry' };
  if (state.retry === true) return { due: true, reason: 'retry' };
  if (listing === null) return { due: true, reason: 'no-listing' };
  if (state.pending !== undefined) return { due: true, reason: 'pending' };
  const listed = listing.byId.get(id);
  if (listing.kind === 'all') return listed !== undefined && unseen(listed, state, 0) ? { due: true, reason: 'changed' } : { due: false, reason: 'quiet' };
  // Listed after all: a member; the check clears `unlisted`.
  if (listed !== undefined) return unseen(listed, state, listing.lagMs) || state.unlisted === true ? { due: true, reason: 'changed' } : { due: false, reason: 'quiet' };
  if (state.unlisted === true) return { due: true, reason: 'unlisted' };
  if (seenAt !== null && listing.since !== null && seenAt > listing.since + EVENT_DELAY_MARGIN_MS) return { due: true, reason: 'unlisted' };
  return { due: false, reason: 'quiet' };
}
