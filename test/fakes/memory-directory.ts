import type { ListedRepository, RepositoryDirectory } from '../../src/platforms/repository-directory.js';

/** A repository the memory directory lists; tests move changedAt (epoch ms) to say it changed. */
export interface MemoryListed {
  readonly id: string;
  readonly path: string;
  readonly defaultBranch: string;
  changedAt: number;
}

/**
 * The RepositoryDirectory port in memory, as GitLab lists: the repositories with a change
 * after `since`, one request per hundred. The reference the directory contract holds the
 * adapters to.
 */
export function memoryDirectory(repos: MemoryListed[], lagMs = 0): RepositoryDirectory & { calls: number } {
  const directory = {
    kind: 'active' as const,
    lagMs,
    calls: 0,
    changed: (since: number | null) => {
      directory.calls++;
      const listed: ListedRepository[] = repos
        .filter((r) => since === null || r.changedAt > since)
        .map((r) => ({ id: r.id, path: r.path, defaultBranch: r.defaultBranch, changedAt: new Date(r.changedAt).toISOString() }));
      const pages = Math.max(1, Math.ceil(listed.length / 100));
      return Promise.resolve({ kind: 'active' as const, repos: listed, validator: null, cost: { requests: pages, points: pages, rate: null } });
    },
  };
  return directory;
}
