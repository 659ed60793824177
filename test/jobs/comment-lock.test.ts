import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommentTarget } from '../../src/core/actions.js';
import type { RepoRef } from '../../src/core/events.js';
import { redisTargetLock, withSerializedComments } from '../../src/jobs/comment-lock.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { createLogger } from '../../src/logger.js';
import type { Platform, UpsertResult } from '../../src/platforms/platform.js';
import { emptyRepo, memoryPlatform } from '../fakes/memory-platform.js';
import type { MemoryRepo } from '../fakes/memory-platform.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-comment-lock');
const prefix = `{pyrelease-lock-${randomBytes(5).toString('hex')}}`;
const log = createLogger('silent');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** Records when each piece of work starts and ends, holding it for `ms`. */
function recorder(): { events: string[]; work: (name: string, ms: number) => () => Promise<string> } {
  const events: string[] = [];
  return {
    events,
    work: (name, ms) => async () => {
      events.push(`${name} start`);
      await sleep(ms);
      events.push(`${name} end`);
      return name;
    },
  };
}

describe('redisTargetLock', () => {
  const lock = redisTargetLock(redis, prefix, log, { ttlMs: 5_000, waitMs: 3_000, pollMs: 10 });

  it('runs work on one key one at a time, and on different keys at once', async () => {
    const r = recorder();
    const results = await Promise.all([lock.run('a', r.work('a1', 80)), lock.run('a', r.work('a2', 10)), lock.run('b', r.work('b1', 10))]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    // b1 ran while a1 held 'a'; a2 started only after a1 ended.
    expect(r.events.indexOf('b1 end')).toBeLessThan(r.events.indexOf('a1 end'));
    expect(r.events.indexOf('a2 start')).toBeGreaterThan(r.events.indexOf('a1 end'));
    expect(await redis.exists(`${prefix}:lock:a`, `${prefix}:lock:b`)).toBe(0);
  });

  it('releases the lock when the work throws', async () => {
    await expect(lock.run('c', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await redis.exists(`${prefix}:lock:c`)).toBe(0);
  });

  it('runs the work anyway when the lock is not had in time, and leaves the holder its lock', async () => {
    await redis.set(`${prefix}:lock:d`, 'someone-else', 'PX', 5_000);
    const impatient = redisTargetLock(redis, prefix, log, { ttlMs: 5_000, waitMs: 50, pollMs: 10 });
    expect(await impatient.run('d', () => Promise.resolve('ran'))).toBe('ran');
    expect(await redis.get(`${prefix}:lock:d`)).toBe('someone-else');
  });

  it('never deletes a lock that expired and was taken by someone else', async () => {
    const short = redisTargetLock(redis, prefix, log, { ttlMs: 50, waitMs: 1_000, pollMs: 10 });
    await short.run('e', async () => {
      await sleep(120); // our lock expired...
      await redis.set(`${prefix}:lock:e`, 'next-holder', 'PX', 5_000); // ...and another worker took it
    });
    expect(await redis.get(`${prefix}:lock:e`)).toBe('next-holder');
  });

  it('runs the work when Redis refuses', async () => {
    const gone = redisConnection('redis://127.0.0.1:1', 'pyrelease-test-comment-lock-gone');
    gone.on('error', () => undefined);
    try {
      const offline = redisTargetLock(gone, prefix, log, { ttlMs: 5_000, waitMs: 200, pollMs: 10 });
      expect(await offline.run('f', () => Promise.resolve('ran'))).toBe('ran');
    } finally {
      gone.disconnect();
    }
  });
});

/**
 * A platform whose upsert reads the comments, waits for the network, then writes: two
 * upserts for one target that overlap both find nothing and both create, as they do on
 * the real forges.
 */
function racyPlatform(repo: MemoryRepo): Platform {
  const inner = memoryPlatform(repo);
  return {
    ...inner,
    upsertComment: async (target, body, marker, options): Promise<UpsertResult> => {
      const existed = repo.comments.some((c) => c.body.startsWith(marker) && JSON.stringify(c.target) === JSON.stringify(target));
      await sleep(40);
      if (!existed && options?.createIfMissing !== false) {
        repo.comments.push({ id: repo.comments.length + 1, target, body, edits: 0 });
        return 'created';
      }
      return inner.upsertComment(target, body, marker, options);
    },
  };
}

describe('waiting for a comment lock', () => {
  it('logs and counts a wait of more than a second, and not a short one', { timeout: 10_000 }, async () => {
    const lines: string[] = [];
    const waitLog = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const lock = redisTargetLock(redis, prefix, waitLog, { ttlMs: 5_000, waitMs: 3_000, pollMs: 10 });
    const r = recorder();
    await Promise.all([lock.run('slow', r.work('holder', 1300)), sleep(20).then(() => lock.run('slow', r.work('waiter', 1)))]);
    await Promise.all([lock.run('quick', r.work('q1', 100)), sleep(20).then(() => lock.run('quick', r.work('q2', 1)))]);
    const waits = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['wait'] === 'comment-lock');
    expect(waits).toEqual([expect.objectContaining({ lock: 'slow', msg: expect.stringMatching(/^waiting 1\.\d s: waiting for another job/) })]);
    expect(waits[0]?.['seconds']).toBeGreaterThan(1);
  });
});

describe('withSerializedComments', () => {
  const repoRef: RepoRef = { platform: 'github', id: '42', path: 'acme/sample', defaultBranch: 'main' };
  const mr: CommentTarget = { kind: 'change-request', number: 7 };
  const marker = '<!-- pyrelease -->';

  it('is needed: unserialised, two overlapping upserts for one change request create two comments', async () => {
    const repo = emptyRepo();
    const platform = racyPlatform(repo);
    expect(await Promise.all([platform.upsertComment(mr, `${marker} x`, marker), platform.upsertComment(mr, `${marker} x`, marker)])).toEqual(['created', 'created']);
    expect(repo.comments).toHaveLength(2);
  });

  it('lets the second upsert find the first one\'s comment, so one comment is created', async () => {
    const repo = emptyRepo();
    const platform = withSerializedComments(racyPlatform(repo), repoRef, redisTargetLock(redis, prefix, log, { ttlMs: 5_000, waitMs: 3_000, pollMs: 10 }));
    expect(await Promise.all([platform.upsertComment(mr, `${marker} x`, marker), platform.upsertComment(mr, `${marker} x`, marker)])).toEqual(['created', 'unchanged']);
    expect(repo.comments).toHaveLength(1);
    // Everything else reaches the adapter untouched.
    expect(await platform.readFile('missing.txt', 'main')).toBeNull();
  });
});
