import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { redisBindings } from '../../src/jobs/publish-bindings.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-bindings');
const prefix = `{pyrelease-bindings-${randomBytes(5).toString('hex')}}`;

afterAll(async () => {
  await redis.del(`${prefix}:bindings`);
  redis.disconnect();
});

describe('the binding store on a real Redis', () => {
  const store = redisBindings(redis, prefix, () => new Date('2026-05-01T10:00:00Z'));

  it('binds a name to its first publisher, and keeps it there', async () => {
    expect(await store.get('internal', 'data-etl')).toBeNull();
    const first = { platform: 'gitlab', id: '1', path: 'data/etl' } as const;
    expect(await store.claim('internal', 'data-etl', first)).toEqual(first);
    expect(await store.claim('internal', 'data-etl', { platform: 'gitlab', id: '2', path: 'web/etl' })).toEqual(first);
    expect(await store.get('internal', 'data-etl')).toEqual(first);
    // The same name on another target is another binding.
    expect(await store.get('pypi', 'data-etl')).toBeNull();
  });

  it('lets exactly one of many racing repositories bind a new name', async () => {
    const racers = Array.from({ length: 12 }, (_, i) => ({ platform: 'github', id: String(100 + i), path: `org/repo-${i}` }) as const);
    const holders = await Promise.all(racers.map((r) => store.claim('internal', 'contested', r)));
    const winners = new Set(holders.map((h) => h.id));
    expect(winners.size).toBe(1);
    expect(await store.get('internal', 'contested')).toEqual(holders[0]);
  });

  it('lists bindings, and an operator can move one (by path)', async () => {
    const previous = await store.move('internal', 'data-etl', { platform: 'github', id: null, path: 'data/etl-new' });
    expect(previous).toEqual({ platform: 'gitlab', id: '1', path: 'data/etl' });
    const rows = await store.list();
    expect(rows.find((r) => r.project === 'data-etl')).toEqual({
      target: 'internal',
      project: 'data-etl',
      binding: { platform: 'github', id: null, path: 'data/etl-new' },
      at: '2026-05-01T10:00:00.000Z',
      by: 'operator',
    });
    expect(rows.map((r) => `${r.target}/${r.project}`)).toEqual(['internal/contested', 'internal/data-etl']);
  });

  it('fails closed on a record it cannot read', async () => {
    await redis.hset(`${prefix}:bindings`, 'internal/garbled', '{not json');
    await expect(store.get('internal', 'garbled')).rejects.toBeInstanceOf(AppError);
    await expect(store.claim('internal', 'garbled', { platform: 'gitlab', id: '9', path: 'x/y' })).rejects.toMatchObject({ code: 'publish-forbidden' });
    expect((await store.list()).some((r) => r.project === 'garbled')).toBe(false);
    await redis.hdel(`${prefix}:bindings`, 'internal/garbled');
  });
});
