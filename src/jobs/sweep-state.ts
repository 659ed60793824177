import { z } from 'zod';
import type { RateReading, RequestCost } from '../platforms/platform.js';
import type { RedisClient } from '../redis-client.js';
import type { RepoSweepState } from '../service/sweep.js';

/**
 * What the sweep keeps in Redis, under the queue prefix, bounded by the repositories the
 * service has heard from:
 *   <prefix>:sweep:repos      hash  <platform>/<id> -> the repository's state (compact JSON)
 *   <prefix>:sweep:accounts   hash  <account> -> when its listing last ran, and its validator
 *   <prefix>:sweep:rate       hash  <account> -> the newest rate-limit reading
 *   <prefix>:sweep:spent:<account>:<reset>   points the sweep spent in that rate-limit
 *                                            window, expiring with it
 * An account is a GitHub App installation (`github:<id>`) or the GitLab token (`gitlab`).
 */
export interface AccountState {
  /** When the last complete listing started (epoch ms). */
  readonly since: number;
  readonly validator: string | null;
}

export interface BudgetView {
  readonly reading: RateReading | null;
  /** Points the sweep spent in the reading's window. */
  readonly spent: number;
}

export interface SweepStore {
  repoStates(keys: readonly string[]): Promise<Map<string, RepoSweepState>>;
  saveRepoState(key: string, state: RepoSweepState): Promise<void>;
  account(key: string): Promise<AccountState | null>;
  saveAccount(key: string, state: AccountState): Promise<void>;
  budget(account: string): Promise<BudgetView>;
  /** Records what a request cost and the reading it came with; returns the new view. */
  spend(account: string, cost: RequestCost): Promise<BudgetView>;
}

export const repoStateKey = (prefix: string): string => `${prefix}:sweep:repos`;
export const repoField = (repo: { platform: string; id: string }): string => `${repo.platform}/${repo.id}`;

// Short names: 10,000 repositories are 10,000 of these.
const stored = z.object({
  c: z.number().int().nonnegative(),
  h: z.string().max(64).nullable(),
  p: z.string().max(64).optional(),
  t: z.string().max(20_000).nullable().optional(),
  v: z.array(z.string().max(1024)).max(100).optional(),
  n: z.tuple([z.string().max(64), z.string().max(1024).nullable()]).optional(),
  r: z.literal(1).optional(),
  u: z.literal(1).optional(),
});

export function encodeRepoState(s: RepoSweepState): string {
  return JSON.stringify({
    c: s.checkedAt,
    h: s.changedAt,
    ...(s.pending === undefined ? {} : { p: s.pending }),
    ...(s.tags === undefined ? {} : { t: s.tags }),
    ...(s.published === undefined ? {} : { v: s.published }),
    ...(s.noRegistry === undefined ? {} : { n: [s.noRegistry.orgDefaults, s.noRegistry.extendsTarget] }),
    ...(s.retry === true ? { r: 1 } : {}),
    ...(s.unlisted === true ? { u: 1 } : {}),
  });
}

/** The state, or null when it cannot be read (then the repository is checked afresh). */
export function decodeRepoState(raw: string): RepoSweepState | null {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = stored.safeParse(json);
  if (!parsed.success) return null;
  const s = parsed.data;
  return {
    checkedAt: s.c,
    changedAt: s.h,
    ...(s.p === undefined ? {} : { pending: s.p }),
    ...(s.t === undefined ? {} : { tags: s.t }),
    ...(s.v === undefined ? {} : { published: s.v }),
    ...(s.n === undefined ? {} : { noRegistry: { orgDefaults: s.n[0], extendsTarget: s.n[1] } }),
    ...(s.r === 1 ? { retry: true as const } : {}),
    ...(s.u === 1 ? { unlisted: true as const } : {}),
  };
}

const accountSchema = z.object({ since: z.number().int().nonnegative(), validator: z.string().max(200_000).nullable() });
const readingSchema = z.object({ limit: z.number().int().positive(), remaining: z.number().int().nonnegative(), resetAt: z.number().int().nonnegative() });

function parsedJson<S extends z.ZodType>(schema: S, raw: string | null): z.infer<S> | null {
  if (raw === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A window the forge did not tell: an hour, so that what was spent is forgotten at last. */
const UNKNOWN_WINDOW_MS = 3600_000;
const CHUNK = 500;

export function redisSweepStore(redis: RedisClient, prefix: string): SweepStore {
  const repos = repoStateKey(prefix);
  const accounts = `${prefix}:sweep:accounts`;
  const rates = `${prefix}:sweep:rate`;
  const spentKey = (account: string, reading: RateReading | null): string => `${prefix}:sweep:spent:${account}:${reading === null ? 'none' : Math.floor(reading.resetAt / 1000)}`;
  const view = async (account: string, reading: RateReading | null): Promise<BudgetView> => {
    const spent = Number((await redis.get(spentKey(account, reading))) ?? '0');
    return { reading, spent: Number.isFinite(spent) ? spent : 0 };
  };
  const currentReading = async (account: string): Promise<RateReading | null> => {
    const reading = parsedJson(readingSchema, await redis.hget(rates, account));
    // A window that has ended says nothing of the next one.
    return reading !== null && reading.resetAt > Date.now() ? reading : null;
  };
  return {
    async repoStates(keys) {
      const out = new Map<string, RepoSweepState>();
      for (let i = 0; i < keys.length; i += CHUNK) {
        const chunk = keys.slice(i, i + CHUNK);
        const values = await redis.hmget(repos, ...chunk);
        chunk.forEach((key, j) => {
          const raw = values[j];
          const state = raw === null || raw === undefined ? null : decodeRepoState(raw);
          if (state !== null) out.set(key, state);
        });
      }
      return out;
    },
    async saveRepoState(key, state) {
      await redis.hset(repos, key, encodeRepoState(state));
    },
    async account(key) {
      return parsedJson(accountSchema, await redis.hget(accounts, key));
    },
    async saveAccount(key, state) {
      await redis.hset(accounts, key, JSON.stringify(state));
    },
    async budget(account) {
      return view(account, await currentReading(account));
    },
    async spend(account, cost) {
      const reading = cost.rate ?? (await currentReading(account));
      if (cost.rate !== null) await redis.hset(rates, account, JSON.stringify(cost.rate));
      const key = spentKey(account, reading);
      if (cost.points > 0) {
        await redis.incrby(key, cost.points);
        await redis.pexpireat(key, (reading?.resetAt ?? Date.now() + UNKNOWN_WINDOW_MS) + 60_000);
      }
      return view(account, reading);
    },
  };
}
