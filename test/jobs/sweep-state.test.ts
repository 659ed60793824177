// What the sweep keeps in Redis: each repository's state in a compact form that reads back
// the same, accounts, and the points spent per rate-limit window; and known-repos' part
// (when a repository was last heard from, and forgetting its state on a config push).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { redisKnownRepos } from '../../src/jobs/known-repos.js';
import { decodeRepoState, encodeRepoState, redisSweepStore } from '../../src/jobs/sweep-state.js';
import type { RepoSweepState } from '../../src/service/sweep.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

const redis = new Redis(TEST_REDIS_URL);
const prefix = `{sweep-state-${randomBytes(5).toString('hex')}}`;
afterAll(() => redis.disconnect());
afterEach(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
});

const full: RepoSweepState = {
  checkedAt: 1_790_000_000_000,
  changedAt: '2026-11-22T10:00:00Z',
  pending: '2026-11-22T11:00:00Z',
  tags: '{"e":["W/\\"abc\\""]}',
  published: ['v1.0.0', 'v0.9.0'],
  retry: true,
  unlisted: true,
};

describe('the repository state codec', () => {
  it.each<[string, RepoSweepState]>([
    ['every field', full],
    ['a repository without a registry', { checkedAt: 1, changedAt: null, noRegistry: { orgDefaults: '0123456789abcdef', extendsTarget: 'acme/.github' } }],
    ['just checked', { checkedAt: 5, changedAt: null }],
  ])('reads back %s as written', (_name, state) => {
    expect(decodeRepoState(encodeRepoState(state))).toEqual(state);
  });

  it('keeps a quiet repository small', () => {
    const typical: RepoSweepState = { checkedAt: 1_790_000_000_000, changedAt: '2026-11-22T10:00:00Z', tags: JSON.stringify({ e: [`W/"${'a'.repeat(40)}"`] }), published: ['v1.2.3'] };
    expect(Buffer.byteLength(encodeRepoState(typical))).toBeLessThan(160);
  });

  it.each(['not json', '{"c":"yesterday"}', '[]', '{"c":1,"h":null,"v":"v1"}'])('reads %j as no state (the repository is checked afresh)', (raw) => {
    expect(decodeRepoState(raw)).toBeNull();
  });
});

describe('redisSweepStore', () => {
  it('stores repository states and accounts', async () => {
    const store = redisSweepStore(redis, prefix);
    await store.saveRepoState('github/1', full);
    await redis.hset(`${prefix}:sweep:repos`, 'github/2', 'garbage');
    const states = await store.repoStates(['github/1', 'github/2', 'github/3']);
    expect([...states.keys()]).toEqual(['github/1']);
    expect(states.get('github/1')).toEqual(full);
    expect(await store.account('github:3')).toBeNull();
    await store.saveAccount('github:3', { since: 10, validator: '["W/\\"x\\""]' });
    expect(await store.account('github:3')).toEqual({ since: 10, validator: '["W/\\"x\\""]' });
  });

  it('counts the points spent per rate-limit window, and forgets a window that ended', async () => {
    const store = redisSweepStore(redis, prefix);
    const resetAt = Date.now() + 3600_000;
    expect(await store.budget('github:3')).toEqual({ reading: null, spent: 0 });
    await store.spend('github:3', { requests: 1, points: 1, rate: { limit: 5000, remaining: 4999, resetAt } });
    // A 304: a request, no point.
    await store.spend('github:3', { requests: 1, points: 0, rate: { limit: 5000, remaining: 4999, resetAt } });
    const after = await store.spend('github:3', { requests: 2, points: 2, rate: null });
    expect(after).toEqual({ reading: { limit: 5000, remaining: 4999, resetAt }, spent: 3 });
    expect(await redis.pttl(`${prefix}:sweep:spent:github:3:${Math.floor(resetAt / 1000)}`)).toBeGreaterThan(3500_000);
    // A new window starts from nothing.
    const next = await store.spend('github:3', { requests: 1, points: 1, rate: { limit: 5000, remaining: 4999, resetAt: resetAt + 3600_000 } });
    expect(next.spent).toBe(1);
    await store.spend('gitlab', { requests: 1, points: 1, rate: { limit: 2000, remaining: 1999, resetAt: Date.now() - 1 } });
    expect((await store.budget('gitlab')).reading).toBeNull();
  });
});

describe('known repositories and the sweep', () => {
  it('records when a repository was last heard from, and forgets its sweep state on a config push', async () => {
    const known = redisKnownRepos(redis, prefix);
    const repo = { platform: 'gitlab' as const, id: '7', path: 'g/p', defaultBranch: 'main' };
    const before = Date.now();
    await known.remember(repo, null);
    const [listed] = await known.list();
    expect(listed?.seenAt).toBeGreaterThanOrEqual(before);
    // A known repository stored before seenAt existed reads as never seen.
    await redis.hset(`${prefix}:known-repos`, 'gitlab/8', JSON.stringify({ ...repo, id: '8', installationId: null }));
    expect((await known.list()).find((r) => r.id === '8')?.seenAt).toBeNull();

    const store = redisSweepStore(redis, prefix);
    await store.saveRepoState('gitlab/7', { checkedAt: 1, changedAt: null, noRegistry: { orgDefaults: '-', extendsTarget: null } });
    await known.configChanged?.(repo);
    expect((await store.repoStates(['gitlab/7'])).size).toBe(0);
  });
});
