import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis-client.js';
import type { CommentTarget } from '../core/actions.js';
import type { RepoRef } from '../core/events.js';
import type { Logger } from '../logger.js';
import type { Platform } from '../platforms/platform.js';
import { recordWait } from '../observability/waits.js';
import { withTimeout } from '../with-timeout.js';

/** Runs work while holding a named lock, shared by every process on the same Redis. */
export interface TargetLock {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

// Deletes the lock only if it is still ours: a lock that expired under a slow holder may
// already belong to someone else.
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export interface LockTimings {
  /** The lock frees itself after this long, should its holder die. */
  readonly ttlMs: number;
  /** After this long without the lock the work runs anyway. */
  readonly waitMs: number;
  readonly pollMs: number;
}

/**
 * SET NX PX locks under `prefix`. The lock is an optimisation, never a condition: when it
 * cannot be had in time, or Redis refuses, the work runs without it, and what it protects
 * must stay correct unlocked (own-comment.ts keeps one comment either way).
 */
export function redisTargetLock(redis: RedisClient, prefix: string, log: Logger, timings: LockTimings = { ttlMs: 60_000, waitMs: 30_000, pollMs: 100 }): TargetLock {
  return {
    async run(key, work) {
      const name = `${prefix}:lock:${key}`;
      const token = randomUUID();
      const deadline = Date.now() + timings.waitMs;
      let held = false;
      try {
        while (!(held = (await withTimeout(redis.set(name, token, 'PX', timings.ttlMs, 'NX'), Math.max(0, deadline - Date.now()), 'taking a lock')) === 'OK') && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, timings.pollMs));
        }
      } catch (error) {
        // Redis away (a worker's connection queues commands until it is back) or refusing.
        // A SET that lands after we gave up leaves a lock nobody releases: it expires after
        // ttlMs, and meanwhile others wait at most waitMs for it.
        held = false;
        log.debug({ lock: key, err: (error as Error).name }, 'lock unavailable; going on without it');
      }
      if (!held) log.debug({ lock: key }, 'lock not had in time; going on without it');
      // Known only once over: how long another job's comment write kept this one waiting.
      recordWait('comment-lock', (Date.now() - (deadline - timings.waitMs)) / 1000, log, { lock: key });
      try {
        return await work();
      } finally {
        if (held) await redis.eval(RELEASE, 1, name, token).catch(() => undefined);
      }
    },
  };
}

function targetKey(target: CommentTarget): string {
  return target.kind === 'change-request' ? `cr:${target.number}` : `commit:${target.sha}`;
}

/**
 * One comment upsert at a time per comment target. Two deliveries for one merge or pull
 * request that run at once would otherwise both find no comment and both create one
 * (own-comment.ts then deletes the later): a wasted write, and on GitHub a new comment is
 * paced 3 s apart per installation, so each race cost every other comment of that
 * installation 3 s (docs/reliability.md, scenario 1). Serialised, the second run finds the
 * first's comment and leaves it, or edits it.
 */
export function withSerializedComments(platform: Platform, repo: RepoRef, lock: TargetLock): Platform {
  const upsertComment: Platform['upsertComment'] = (target, body, marker, options) =>
    lock.run(`comment:${repo.platform}:${repo.id}:${targetKey(target)}`, () => platform.upsertComment(target, body, marker, options));
  // A proxy rather than a spread: adapters may be classes whose methods live on the prototype.
  return new Proxy(platform, {
    get(target, prop, receiver) {
      if (prop === 'upsertComment') return upsertComment;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
