import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { CommentTarget } from '../../src/core/actions.js';
import { TagConflictError } from '../../src/errors.js';
import { collectMergedChanges } from '../../src/platforms/merged-changes.js';
import type { CommitInfo, EnsureTagResult, Platform, ReleaseInput, StatusInput, TagInfo, UpsertResult } from '../../src/platforms/platform.js';

/**
 * The Platform port in memory: the fake the service tests run against, and the
 * reference the contract suite holds the real adapters to. State is public so tests
 * can arrange and inspect it.
 */
export interface MemoryRepo {
  /** What identity() answers: the forge's id and path of the repository. */
  id: string;
  path: string;
  defaultBranch: string;
  /** sha -> commit */
  commits: Map<string, CommitInfo & { files: Record<string, string>; archive?: Buffer }>;
  /** branch -> shas from oldest to newest */
  branches: Map<string, string[]>;
  tags: Map<string, string>;
  protectedTags: Set<string>;
  /** change request number -> commits it contains */
  changeRequests: Map<number, string[]>;
  /** Change requests that were merged, with what listMergedChanges answers for them (the rest count as open). */
  merged?: Map<number, { title: string; author: string | null }>;
  comments: Array<{ id: number; target: CommentTarget; body: string; edits: number }>;
  statuses: Array<{ sha: string } & StatusInput>;
  releases: Map<string, ReleaseInput>;
  /** Every write, in order, for assertions on idempotency. */
  writes: string[];
  /** How many times listTagsIfChanged was asked. */
  tagListings?: number;
}

export function emptyRepo(defaultBranch = 'main', identity: { id: string; path: string } = { id: '1', path: 'acme/pkg' }): MemoryRepo {
  return {
    ...identity,
    defaultBranch,
    commits: new Map(),
    branches: new Map([[defaultBranch, []]]),
    tags: new Map(),
    protectedTags: new Set(),
    changeRequests: new Map(),
    comments: [],
    statuses: [],
    releases: new Map(),
    writes: [],
  };
}

/** Adds a commit on a branch with the given files (a full tree: nothing is inherited). */
export function commit(repo: MemoryRepo, branch: string, sha: string, message: string, files: Record<string, string>): string {
  repo.commits.set(sha, { sha, message, files });
  repo.branches.set(branch, [...(repo.branches.get(branch) ?? []), sha]);
  return sha;
}

function sameTarget(a: CommentTarget, b: CommentTarget): boolean {
  return a.kind === 'change-request' && b.kind === 'change-request' ? a.number === b.number : a.kind === 'commit' && b.kind === 'commit' && a.sha === b.sha;
}

export function memoryPlatform(repo: MemoryRepo): Platform {
  const resolve = (ref: string): string | null => {
    if (repo.commits.has(ref)) return ref;
    const branch = repo.branches.get(ref);
    if (branch !== undefined) return branch[branch.length - 1] ?? null;
    return repo.tags.get(ref) ?? null;
  };
  const history = (ref: string): string[] | null => {
    const sha = resolve(ref);
    const list = sha === null ? undefined : [...repo.branches.values()].find((shas) => shas.includes(sha));
    return sha === null ? null : list === undefined ? (repo.commits.has(sha) ? [sha] : null) : list.slice(0, list.indexOf(sha) + 1);
  };
  let nextComment = 1;
  return {
    identity: () => Promise.resolve({ id: repo.id, path: repo.path }),
    defaultBranch: () => Promise.resolve(repo.defaultBranch),
    resolveCommit: (ref) => {
      const sha = resolve(ref);
      const c = sha === null ? undefined : repo.commits.get(sha);
      return Promise.resolve(c === undefined ? null : { sha: c.sha, message: c.message });
    },
    readFile: (path, ref) => {
      const sha = resolve(ref);
      const c = sha === null ? undefined : repo.commits.get(sha);
      return Promise.resolve(c !== undefined && Object.hasOwn(c.files, path) ? (c.files[path] ?? null) : null);
    },
    getTag: (name) => {
      const sha = repo.tags.get(name);
      return Promise.resolve(sha === undefined ? null : { name, sha });
    },
    listTags: () => Promise.resolve([...repo.tags].map(([name, sha]): TagInfo => ({ name, sha }))),
    // Revalidated like GitHub: the validator is a hash of the listing, an unchanged one costs no point.
    listTagsIfChanged: (validator) => {
      const value = [...repo.tags].map(([name, sha]): TagInfo => ({ name, sha }));
      const etag = createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
      repo.tagListings = (repo.tagListings ?? 0) + 1;
      if (validator === etag) return Promise.resolve({ changed: false as const, validator, cost: { requests: 1, points: 0, rate: null } });
      return Promise.resolve({ changed: true as const, value, validator: etag, cost: { requests: 1, points: 1, rate: null } });
    },
    ensureTag: (name, sha): Promise<EnsureTagResult> => {
      const existing = repo.tags.get(name);
      if (existing === sha) return Promise.resolve('exists');
      if (existing !== undefined) return Promise.reject(new TagConflictError(name, existing, sha));
      repo.tags.set(name, sha);
      repo.writes.push(`tag ${name} ${sha}`);
      return Promise.resolve('created');
    },
    isTagProtected: (name) => Promise.resolve(repo.tags.has(name) ? repo.protectedTags.has(name) : null),
    branchesContaining: (sha) => Promise.resolve([...repo.branches].filter(([, shas]) => shas.includes(sha)).map(([name]) => name)),
    changeRequestsForCommit: (sha) => Promise.resolve([...repo.changeRequests].filter(([, shas]) => shas.includes(sha)).map(([n]) => n)),
    listMergedChanges: (fromSha, toSha, limit) => {
      const from = history(fromSha) ?? [];
      const range = (history(toSha) ?? []).filter((sha) => !from.includes(sha)).reverse();
      return collectMergedChanges(range, true, limit, (sha) =>
        Promise.resolve(
          [...repo.changeRequests]
            .filter(([n, shas]) => shas.includes(sha) && repo.merged?.has(n) === true)
            .map(([number]) => ({ number, title: repo.merged?.get(number)?.title ?? '', url: `https://forge.invalid/${repo.path}/changes/${number}`, author: repo.merged?.get(number)?.author ?? null })),
        ),
      );
    },
    upsertComment: (target, body, marker, options): Promise<UpsertResult> => {
      const mine = repo.comments.find((c) => sameTarget(c.target, target) && c.body.startsWith(marker));
      if (mine === undefined && options?.createIfMissing === false) return Promise.resolve('absent');
      if (mine === undefined) {
        repo.comments.push({ id: nextComment++, target, body, edits: 0 });
        repo.writes.push(`comment ${JSON.stringify(target)}`);
        return Promise.resolve('created');
      }
      if (mine.body === body) return Promise.resolve('unchanged');
      mine.body = body;
      mine.edits++;
      repo.writes.push(`edit ${mine.id}`);
      return Promise.resolve('updated');
    },
    setStatus: (sha, status) => {
      repo.statuses.push({ sha, ...status });
      repo.writes.push(`status ${sha} ${status.state}`);
      return Promise.resolve();
    },
    downloadArchive: async (sha, destFile) => {
      const archive = repo.commits.get(sha)?.archive;
      if (archive === undefined) throw new Error(`no archive for ${sha}`);
      await writeFile(destFile, archive);
    },
    ensureBranch: (name, sha) => {
      if (repo.branches.has(name)) return Promise.resolve('exists');
      const from = [...repo.branches.values()].find((shas) => shas.includes(sha));
      if (from === undefined && !repo.commits.has(sha)) return Promise.reject(new Error(`no commit ${sha}`));
      repo.branches.set(name, from === undefined ? [sha] : from.slice(0, from.indexOf(sha) + 1));
      repo.writes.push(`branch ${name} ${sha}`);
      return Promise.resolve('created');
    },
    branchHead: (name) => {
      const shas = repo.branches.get(name);
      return Promise.resolve(shas === undefined ? null : (shas[shas.length - 1] ?? null));
    },
    // Histories are the branch lists (oldest first): a commit's history is the prefix of
    // a list ending at it, and the merge base is the newest commit of b's in a's.
    mergeBase: (a, b) => {
      const ofA = history(a);
      const ofB = history(b);
      if (ofA === null || ofB === null) return Promise.resolve(null);
      return Promise.resolve(ofB.findLast((sha) => ofA.includes(sha)) ?? null);
    },
    ensureRelease: (release) => {
      const had = repo.releases.has(release.tag);
      repo.releases.set(release.tag, release);
      repo.writes.push(`release ${release.tag}`);
      return Promise.resolve(had ? 'updated' : 'created');
    },
  };
}
