import type { RedisClient } from '../redis-client.js';
import { z } from 'zod';

/**
 * What pyrelease itself uploaded: registry + file name -> sha256 and the commit it was
 * built from. Sdists are not byte-for-byte reproducible, so when a release is handled
 * again (a redelivery after its job was cleaned up, a second worker), the index may
 * hold our own earlier sdist with another sha256. The ledger tells that apart from a
 * real conflict: same commit and the very sha256 we recorded -> already published.
 */
const entrySchema = z.object({ sha256: z.string(), commit: z.string(), repo: z.string(), version: z.string() });
export type LedgerEntry = z.output<typeof entrySchema>;

export interface ReleaseLedger {
  get(registry: string, filename: string): Promise<LedgerEntry | null>;
  record(registry: string, filename: string, entry: LedgerEntry): Promise<void>;
}

export function redisLedger(redis: RedisClient, prefix: string): ReleaseLedger {
  // The prefix may be a hash tag ({pyrelease}); keeping it first keeps the key in its slot.
  const key = (registry: string) => `${prefix}:ledger:${registry}`;
  return {
    async get(registry, filename) {
      const raw = await redis.hget(key(registry), filename);
      if (raw === null) return null;
      const parsed = entrySchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : null;
    },
    async record(registry, filename, entry) {
      await redis.hset(key(registry), filename, JSON.stringify(entry));
    },
  };
}
