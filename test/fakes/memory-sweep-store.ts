import type { RequestCost } from '../../src/platforms/platform.js';
import type { RepoSweepState } from '../../src/service/sweep.js';
import type { AccountState, BudgetView, SweepStore } from '../../src/jobs/sweep-state.js';

/** The sweep's store in memory, for tests without Redis; the Redis one is tested against it in test/jobs/sweep-state.test.ts. */
export function memorySweepStore(): SweepStore & { repos: Map<string, RepoSweepState>; accounts: Map<string, AccountState>; views: Map<string, BudgetView> } {
  const repos = new Map<string, RepoSweepState>();
  const accounts = new Map<string, AccountState>();
  const views = new Map<string, BudgetView>();
  const current = (account: string): BudgetView => {
    const view = views.get(account);
    return view === undefined || (view.reading !== null && view.reading.resetAt <= Date.now()) ? { reading: null, spent: 0 } : view;
  };
  return {
    repos,
    accounts,
    views,
    repoStates: (keys) => Promise.resolve(new Map(keys.flatMap((k) => (repos.has(k) ? [[k, repos.get(k) as RepoSweepState]] : [])))),
    saveRepoState: (key, state) => Promise.resolve(void repos.set(key, state)),
    account: (key) => Promise.resolve(accounts.get(key) ?? null),
    saveAccount: (key, state) => Promise.resolve(void accounts.set(key, state)),
    budget: (account) => Promise.resolve(current(account)),
    spend: (account, cost: RequestCost) => {
      const before = current(account);
      const sameWindow = cost.rate === null || before.reading === null || before.reading.resetAt === cost.rate.resetAt;
      const view = { reading: cost.rate ?? before.reading, spent: (sameWindow ? before.spent : 0) + cost.points };
      views.set(account, view);
      return Promise.resolve(view);
    },
  };
}
