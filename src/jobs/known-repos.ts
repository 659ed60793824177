import type { RedisClient } from '../redis-client.js';
import { z } from 'zod';
import type { RepoRef } from '../core/events.js';
import { repoField, repoStateKey } from './sweep-state.js';

/**
 * Repositories the service has heard from, for the sweep: forges send no webhook for
 * a push of more than three tags (GitLab's push_event_hooks_limit, GitHub's documented
 * limit), so the sweep walks these repositories' tags instead.
 */
const refSchema = z.object({
  platform: z.enum(['gitlab', 'github']),
  id: z.string(),
  path: z.string(),
  defaultBranch: z.string().nullable(),
  installationId: z.number().int().nullable().default(null),
  seenAt: z.number().int().nonnegative().nullable().default(null),
});
export type KnownRepo = RepoRef & {
  readonly installationId: number | null;
  /** When its last event was handled (epoch ms); null when not recorded. */
  readonly seenAt?: number | null;
};

export interface KnownRepos {
  remember(repo: RepoRef, installationId: number | null): Promise<void>;
  list(): Promise<KnownRepo[]>;
  /**
   * A push touched the repository's config files (or may have): the sweep forgets what it
   * remembered of the repository (that its config names no registry, which tags were
   * published) and reads it afresh.
   */
  configChanged?(repo: RepoRef): Promise<void>;
}

export function redisKnownRepos(redis: RedisClient, prefix: string): KnownRepos {
  const key = `${prefix}:known-repos`;
  return {
    async remember(repo, installationId) {
      await redis.hset(key, repoField(repo), JSON.stringify({ ...repo, installationId, seenAt: Date.now() }));
    },
    async configChanged(repo) {
      await redis.hdel(repoStateKey(prefix), repoField(repo));
    },
    async list() {
      const all = await redis.hvals(key);
      return all.flatMap((raw) => {
        const parsed = refSchema.safeParse(JSON.parse(raw));
        return parsed.success ? [parsed.data] : [];
      });
    },
  };
}
