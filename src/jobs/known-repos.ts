import type { RedisClient } from '../redis-client.js';
import { z } from 'zod';
import type { RepoRef } from '../core/events.js';

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
});
export type KnownRepo = RepoRef & { readonly installationId: number | null };

export interface KnownRepos {
  remember(repo: RepoRef, installationId: number | null): Promise<void>;
  list(): Promise<KnownRepo[]>;
}

export function redisKnownRepos(redis: RedisClient, prefix: string): KnownRepos {
  const key = `${prefix}:known-repos`;
  return {
    async remember(repo, installationId) {
      await redis.hset(key, `${repo.platform}/${repo.id}`, JSON.stringify({ ...repo, installationId }));
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
