// Which known repositories a sweep pass checks (pure: sweep-plan.ts), and how much of a
// rate limit it may spend (sweep-budget.ts).
import { describe, expect, it } from 'vitest';
import { sweepAllowance } from '../../src/jobs/sweep-budget.js';
import { CLOCK_MARGIN_MS, EVENT_DELAY_MARGIN_MS, planRepo } from '../../src/jobs/sweep-plan.js';
import type { ListingView } from '../../src/jobs/sweep-plan.js';
import type { RepoSweepState } from '../../src/service/sweep.js';

const T = Date.parse('2026-11-22T10:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const HOUR = 3600_000;
const checked = (at: number, changedAt: number | null, extra: Partial<RepoSweepState> = {}): RepoSweepState => ({ checkedAt: at, changedAt: changedAt === null ? null : iso(changedAt), tags: 'v', published: [], ...extra });
const github = (changedAt?: number): ListingView => ({ kind: 'all', lagMs: 0, since: T - 600_000, byId: new Map(changedAt === undefined ? [] : [['1', { id: '1', path: 'o/r', defaultBranch: 'main', changedAt: iso(changedAt) }]]) });
const gitlab = (changedAt?: number): ListingView => ({ kind: 'active', lagMs: HOUR, since: T - 600_000, byId: new Map(changedAt === undefined ? [] : [['1', { id: '1', path: 'g/p', defaultBranch: 'main', changedAt: iso(changedAt) }]]) });

describe('planRepo', () => {
  it.each<[string, RepoSweepState | null, ListingView | null, number | null, ReturnType<typeof planRepo>]>([
    ['never checked', null, github(), null, { due: true, reason: 'new' }],
    ['config names no registry, even when pushed to', checked(T - HOUR, T - 2 * HOUR, { noRegistry: { orgDefaults: '-', extendsTarget: null } }), github(T), null, { due: false, reason: 'no-registry' }],
    ['the last check queued releases', checked(T - HOUR, T - 2 * HOUR, { retry: true }), github(), null, { due: true, reason: 'retry' }],
    ['no listing from the forge: every pass, as before', checked(T - HOUR, null), null, null, { due: true, reason: 'no-listing' }],
    ['a change the budget left for later', checked(T - HOUR, T - 2 * HOUR, { pending: iso(T - 30 * 60_000) }), github(), null, { due: true, reason: 'pending' }],
    ['GitHub: pushed since its check', checked(T - HOUR, T - 2 * HOUR), github(T - 60_000), null, { due: true, reason: 'changed' }],
    ['GitHub: listed (its page changed) but not pushed since', checked(T - HOUR, T - 2 * HOUR), github(T - 2 * HOUR), null, { due: false, reason: 'quiet' }],
    ['GitHub: checked in the same seconds as its push: maybe a second push in that second', checked(T - HOUR + 1000, T - HOUR), github(T - HOUR), null, { due: true, reason: 'changed' }],
    ['GitHub: not listed (its page answered 304)', checked(T - HOUR, T - 2 * HOUR), github(), null, { due: false, reason: 'quiet' }],
    ['GitLab: listed with activity after its check', checked(T - HOUR, T - 3 * HOUR), gitlab(T - 30 * 60_000), null, { due: true, reason: 'changed' }],
    ['GitLab: same last_activity_at, but within the hour GitLab may not record', checked(T - 10 * 60_000, T - 30 * 60_000), gitlab(T - 30 * 60_000), null, { due: true, reason: 'changed' }],
    ['GitLab: same last_activity_at, checked more than an hour after it', checked(T - 5 * 60_000, T - 2 * HOUR), gitlab(T - 2 * HOUR), null, { due: false, reason: 'quiet' }],
    ['GitLab: not listed, no event in the window', checked(T - HOUR, T - 3 * HOUR), gitlab(), T - 2 * HOUR, { due: false, reason: 'quiet' }],
    ['GitLab: not listed though an event came in the window: not the token user\'s', checked(T - HOUR, T - 3 * HOUR), gitlab(), T - 600_000 + EVENT_DELAY_MARGIN_MS + 1, { due: true, reason: 'unlisted' }],
    ['GitLab: known not to be listed', checked(T - HOUR, null, { unlisted: true }), gitlab(), null, { due: true, reason: 'unlisted' }],
    ['GitLab: once unlisted, now listed', checked(T - 5 * 60_000, T - 2 * HOUR, { unlisted: true }), gitlab(T - 2 * HOUR), null, { due: true, reason: 'changed' }],
  ])('%s', (_name, state, listing, seenAt, verdict) => {
    expect(planRepo(state, listing, '1', seenAt)).toEqual(verdict);
  });

  it('the clock margin is seconds, not minutes', () => {
    expect(CLOCK_MARGIN_MS).toBeLessThanOrEqual(10_000);
  });
});

describe('sweepAllowance', () => {
  const at = (limit: number, remaining: number, spent: number) => ({ reading: { limit, remaining, resetAt: T + HOUR }, spent });
  it.each([
    ['a fresh GitHub hour: 20% of 5,000', at(5000, 5000, 0), 0.2, 1000],
    ['the sweep spent 900 of its 1,000', at(5000, 4100, 900), 0.2, 100],
    ['event work spent most of the hour: 20% of what is left', at(5000, 400, 0), 0.2, 80],
    ['spent', at(5000, 0, 0), 0.2, 0],
    ['its share spent, whatever is left', at(5000, 4000, 1000), 0.2, 0],
    ['a larger share', at(15000, 15000, 0), 0.5, 7500],
  ])('%s', (_name, view, share, expected) => {
    expect(sweepAllowance(view, share)).toBe(expected);
  });

  it('sets no bound where the forge sends no rate-limit headers', () => {
    expect(sweepAllowance({ reading: null, spent: 10_000 }, 0.2)).toBe(Number.POSITIVE_INFINITY);
  });
});
