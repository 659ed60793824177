import type { OrgDefaults } from '../core/config-extends.js';
import { isAppError } from '../errors.js';
import type { ServiceDeps } from '../service/handle-event.js';
import type { RepositoryListing } from '../platforms/repository-directory.js';
import type { RequestCost } from '../platforms/platform.js';
import { checkRepo, orgDefaultsFingerprint } from '../service/sweep.js';
import type { RepoSweepState } from '../service/sweep.js';
import type { KnownRepo } from './known-repos.js';
import { FRESH_CHECK_POINTS, REVALIDATION_POINTS, sweepAllowance } from './sweep-budget.js';
import { CLOCK_MARGIN_MS, planRepo } from './sweep-plan.js';
import type { DueReason, ListingView } from './sweep-plan.js';
import type { BudgetView } from './sweep-state.js';
import { repoField } from './sweep-state.js';
import type { SweepPassSettings, SweepWorkerDeps } from './sweep-worker.js';

/** Whose rate limit a repository's requests spend: a GitHub App installation, or the GitLab token. */
export interface SweepAccount {
  readonly key: string;
  readonly platform: 'github' | 'gitlab';
  readonly installationId: number | null;
}

export interface PassTotals {
  queued: number;
  failed: number;
  /** Repositories checked with requests. */
  checked: number;
  /** Skipped: nothing changed since their last check. */
  quiet: number;
  /** Skipped: their config names no registry. */
  noRegistry: number;
  /** Due, but left for a later pass: the account's sweep budget ran out. */
  deferred: number;
  requests: number;
  points: number;
  /** Accounts whose budget slowed the sweep this pass. */
  slowed: string[];
}

export function accountsOf(repos: readonly KnownRepo[]): Map<SweepAccount, KnownRepo[]> {
  const byKey = new Map<string, { account: SweepAccount; repos: KnownRepo[] }>();
  for (const repo of repos) {
    const key = repo.platform === 'gitlab' ? 'gitlab' : `github:${repo.installationId ?? '-'}`;
    let entry = byKey.get(key);
    if (entry === undefined) {
      entry = { account: { key, platform: repo.platform, installationId: repo.platform === 'github' ? repo.installationId : null }, repos: [] };
      byKey.set(key, entry);
    }
    entry.repos.push(repo);
  }
  return new Map([...byKey.values()].map((e) => [e.account, e.repos]));
}

const NO_BUDGET: BudgetView = { reading: null, spent: 0 };
/** A window that resets within this long is waited for (GitLab's minute); a longer one is left to a later pass (GitHub's hour). */
export const MAX_RESET_WAIT_MS = 65_000;
/** How long one account's part of a pass may go on waiting for windows to reset. */
export const DEFAULT_MAX_PASS_MS = 300_000;

/** Seconds until a rate limit the forge answered with resets; null for any other error. */
function rateLimitedFor(error: unknown): number | null {
  if (!isAppError(error) || error.details['rateLimited'] !== true) return null;
  const after = error.details['retryAfterSeconds'];
  return typeof after === 'number' && after > 0 ? after : 60;
}
/** Which due repositories go first when the budget cannot take them all: known changes before first reads. */
const ORDER: Record<DueReason, number> = { retry: 0, pending: 1, changed: 2, unlisted: 3, 'org-defaults': 4, 'no-listing': 5, new: 6 };

interface Due {
  readonly repo: KnownRepo;
  readonly state: RepoSweepState | null;
  readonly reason: DueReason;
  readonly changedAt: string | null;
}

/** One account's part of a pass. */
export async function sweepAccount(
  deps: SweepWorkerDeps,
  settings: SweepPassSettings & { budgetShare: number },
  nowMs: number,
  account: SweepAccount,
  repos: readonly KnownRepo[],
  states: ReadonlyMap<string, RepoSweepState>,
  totals: PassTotals,
): Promise<void> {
  const store = deps.store;
  const log = deps.log.child({ account: account.key });
  let budget = store === undefined ? NO_BUDGET : await store.budget(account.key);
  let passSpent = 0;
  const spend = async (cost: RequestCost): Promise<void> => {
    totals.requests += cost.requests;
    totals.points += cost.points;
    passSpent += cost.points;
    if (store !== undefined) budget = await store.spend(account.key, cost);
  };
  const allowance = (): number => sweepAllowance(budget, settings.budgetShare);
  // What the pass may spend in the current rate-limit window is decided once per window,
  // from the freshest reading (the listing's, then each new window's first): re-deciding
  // after every request would take the share of what is left again and again.
  let windowOf: number | null | undefined;
  let windowBudget = Number.POSITIVE_INFINITY;
  const canSpend = (points: number): boolean => {
    const window = budget.reading?.resetAt ?? null;
    if (window !== windowOf) {
      windowOf = window;
      windowBudget = passSpent + allowance();
    }
    return passSpent + points <= windowBudget;
  };
  const passDeadline = Date.now() + (settings.maxPassMs ?? DEFAULT_MAX_PASS_MS);
  /**
   * Whether to wait for the window to reset: GitLab's windows last a minute, so a pass
   * that used up one minute's share goes on in the next; GitHub's last an hour, so what is
   * left waits for a later pass.
   */
  const waitForReset = async (): Promise<boolean> => {
    const reading = budget.reading;
    if (reading === null || store === undefined) return false;
    const wait = reading.resetAt - Date.now() + 1000;
    if (wait > MAX_RESET_WAIT_MS || Date.now() + wait > passDeadline) return false;
    slowed();
    log.debug({ waitMs: wait }, 'sweep waits for the next rate-limit window');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    budget = await store.budget(account.key);
    return true;
  };
  const slowed = (): void => {
    if (!totals.slowed.includes(account.key)) totals.slowed.push(account.key);
  };
  if (allowance() <= 0) {
    // The budget is spent, or low: nothing this pass, not even the listing.
    totals.deferred += repos.length;
    slowed();
    log.info({ repos: repos.length, remaining: budget.reading?.remaining, resetAt: budget.reading?.resetAt }, 'sweep waits for the rate limit to reset');
    return;
  }

  // Ask once which repositories changed.
  let listing: ListingView | null = null;
  let nextAccount: { since: number; validator: string | null } | null = null;
  const directory = store === undefined || deps.directoryFor === undefined ? null : await deps.directoryFor(account);
  if (store !== undefined && directory !== null) {
    const previous = await store.account(account.key);
    const startedAt = Date.now();
    let result: RepositoryListing;
    try {
      // GitLab's first pass asks for the last hour only: every repository is new then anyway,
      // and the answer brings the rate-limit reading.
      const since = previous?.since ?? (directory.kind === 'active' ? startedAt : null);
      result = await directory.changed(since === null ? null : since - directory.lagMs - CLOCK_MARGIN_MS, previous?.validator ?? null);
    } catch (error) {
      const wait = rateLimitedFor(error);
      if (wait !== null) {
        // The forge says the budget is gone: remembered, so that no pass asks before the reset.
        await spend({ requests: 1, points: 0, rate: { limit: budget.reading?.limit ?? 1, remaining: 0, resetAt: Date.now() + wait * 1000 } });
        totals.deferred += repos.length;
        slowed();
        log.info({ retryAfterSeconds: wait }, 'sweep waits for the rate limit to reset');
        return;
      }
      totals.failed++;
      log.warn({ err: (error as Error).message }, 'sweep could not list the repositories that changed; trying next pass');
      return;
    }
    await spend(result.cost);
    listing = { kind: result.kind, lagMs: directory.lagMs, since: previous?.since ?? null, byId: new Map(result.repos.map((r) => [r.id, r])) };
    nextAccount = { since: startedAt, validator: result.validator };
  }

  // The organisation defaults are read once per owner and pass, for every repository of it.
  const defaultsRead = new Map<string, Promise<OrgDefaults>>();
  const read = deps.orgDefaults;
  const orgDefaults: ServiceDeps['orgDefaults'] =
    read === undefined
      ? undefined
      : async (repo, installationId, target) => {
          const key = `${repo.platform}\n${repo.path.split('/')[0] ?? ''}\n${installationId ?? ''}\n${target ?? ''}`;
          let answer = defaultsRead.get(key);
          if (answer === undefined) {
            // GitHub reads the owner's .github repository: its default branch, then the file.
            if (repo.platform === 'github') await spend({ requests: 2, points: 2, rate: null });
            defaultsRead.set(key, (answer = read(repo, installationId, target)));
          }
          return answer;
        };
  const orgDefaultsNow = async (repo: KnownRepo, target: string | null): Promise<string | null> => {
    if (orgDefaults === undefined) return '-';
    if (repo.platform === 'github' && !canSpend(2)) return null;
    return orgDefaultsFingerprint(await orgDefaults(repo, repo.installationId, target));
  };

  const due: Due[] = [];
  for (const repo of repos) {
    const state = states.get(repoField(repo)) ?? null;
    const listed = listing?.byId.get(repo.id);
    const verdict = planRepo(state, listing, repo.id, repo.seenAt ?? null);
    if (verdict.reason === 'no-registry' && state?.noRegistry !== undefined) {
      const now = await orgDefaultsNow(repo, state.noRegistry.extendsTarget).catch(() => null);
      if (now === null || now === state.noRegistry.orgDefaults) totals.noRegistry++;
      else due.push({ repo, state, reason: 'org-defaults', changedAt: listed?.changedAt ?? state.changedAt });
      continue;
    }
    if (!verdict.due) {
      totals.quiet++;
      continue;
    }
    due.push({ repo, state, reason: verdict.reason, changedAt: listed?.changedAt ?? state?.pending ?? state?.changedAt ?? null });
  }
  // A repository never checked that the listing shows pushed to goes with the changed ones.
  const pushedSinceLastListing = (d: Due): boolean => {
    const at = d.changedAt === null ? Number.NaN : Date.parse(d.changedAt);
    return listing?.since != null && listing.byId.has(d.repo.id) && at > listing.since;
  };
  const rank = (d: Due): number => (d.reason === 'new' && pushedSinceLastListing(d) ? ORDER.changed : ORDER[d.reason]);
  due.sort((a, b) => rank(a) - rank(b));

  for (const item of due) {
    const cheap = item.state !== null && item.state.noRegistry === undefined && item.state.retry !== true && item.reason !== 'org-defaults';
    const points = cheap ? REVALIDATION_POINTS : FRESH_CHECK_POINTS;
    if (!canSpend(points) && !((await waitForReset()) && canSpend(points))) {
      totals.deferred++;
      slowed();
      // Remembered, so that the change is checked once there is budget, even if the next
      // listing no longer shows it.
      if (store !== undefined && item.state !== null && item.changedAt !== null && item.state.pending !== item.changedAt) {
        await store.saveRepoState(repoField(item.repo), { ...item.state, pending: item.changedAt });
      }
      continue;
    }
    await checkOne({ ...deps, ...(orgDefaults === undefined ? {} : { orgDefaults }) }, settings, nowMs, item, listing, spend, totals);
  }
  if (store !== undefined && nextAccount !== null) await store.saveAccount(account.key, nextAccount);
  if (totals.slowed.includes(account.key)) log.info({ deferred: totals.deferred, remaining: budget.reading?.remaining, spent: budget.spent }, 'sweep slowed by its rate-limit budget');
}

async function checkOne(
  deps: SweepWorkerDeps,
  settings: SweepPassSettings,
  nowMs: number,
  item: Due,
  listing: ListingView | null,
  spend: (cost: RequestCost) => Promise<void>,
  totals: PassTotals,
): Promise<void> {
  const { repo, state } = item;
  const listed = listing?.byId.get(repo.id);
  const startedAt = Date.now();
  const target = { ...repo, defaultBranch: repo.defaultBranch ?? listed?.defaultBranch ?? null };
  totals.checked++;
  try {
    const platform = await deps.platformFor(repo, repo.installationId);
    const previous = item.reason === 'org-defaults' || state?.retry === true ? null : state;
    const result = await checkRepo(target, platform, { publishedVersions: deps.publishedVersions, ...(deps.orgDefaults === undefined ? {} : { orgDefaults: deps.orgDefaults }) }, { ...settings, nowMs }, previous, deps.log, { remember: deps.store !== undefined });
    await spend(result.cost);
    let failedEnqueue = false;
    for (const event of result.events) {
      try {
        if ((await deps.enqueueEvent(event)).created) totals.queued++;
      } catch (error) {
        failedEnqueue = true;
        deps.log.warn({ repo: repo.path, err: (error as Error).message }, 'sweep could not queue a release');
      }
    }
    if (deps.store === undefined || result.state === null) return;
    const unlisted = listing?.kind === 'active' && listed === undefined && (item.reason === 'unlisted' || state?.unlisted === true);
    await deps.store.saveRepoState(repoField(repo), {
      ...result.state,
      checkedAt: startedAt,
      changedAt: item.changedAt,
      ...(failedEnqueue ? { retry: true as const } : {}),
      ...(unlisted ? { unlisted: true as const } : {}),
    });
  } catch (error) {
    totals.failed++;
    deps.log.warn({ repo: repo.path, err: (error as Error).message }, 'sweep could not check a repository');
    // Checked again next pass, whatever the listing says.
    if (deps.store !== undefined && state !== null) await deps.store.saveRepoState(repoField(repo), { ...state, retry: true }).catch(() => undefined);
  }
}
