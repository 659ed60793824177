import type { BudgetView } from './sweep-state.js';

/**
 * Points the sweep may still spend now. The forge's headers say how many points the
 * account has (limit), how many are left (remaining) and when they come back (reset);
 * the sweep takes at most `share` of the whole window, and at most `share` of what is
 * left, so that when event work has spent much, the sweep slows first and the rest stays
 * for comments, check runs and releases. A forge that sends no rate-limit headers (a
 * self-managed GitLab without rate limits) sets no bound.
 */
export function sweepAllowance(view: BudgetView, share: number): number {
  if (view.reading === null) return Number.POSITIVE_INFINITY;
  const ofWindow = Math.floor(share * view.reading.limit) - view.spent;
  const ofRemaining = Math.floor(share * view.reading.remaining);
  return Math.max(0, Math.min(ofWindow, ofRemaining));
}

/** What a check is expected to cost before it runs: a repository read afresh reads its config, its tags and maybe more. */
export const FRESH_CHECK_POINTS = 4;
export const REVALIDATION_POINTS = 1;
