import { describe, expect, it } from 'vitest';
import type { PublishedVersions } from '../../src/core/checks.js';
import type { RepoEvent, RepoRef } from '../../src/core/events.js';
import type { KnownRepo, KnownRepos } from '../../src/jobs/known-repos.js';
import { runSweep } from '../../src/jobs/sweep-worker.js';
import { createLogger } from '../../src/logger.js';
import { sweepRepo } from '../../src/service/sweep.js';
import type { Platform, TagInfo } from '../../src/platforms/platform.js';
import { commit, emptyRepo, memoryPlatform } from '../fakes/memory-platform.js';

const log = createLogger('silent');
const repoRef: KnownRepo = { platform: 'gitlab', id: '7', path: 'acme/demo', defaultBranch: 'main', installationId: null };
const sha = (n: number) => n.toString(16).padStart(40, '0');
const NOW = Date.parse('2026-11-22T00:00:00Z');
const settings = { tagsPerRepo: 3, maxAgeDays: 7, nowMs: NOW };

function repoWith(tags: Record<string, number>, registries = '["pypi"]') {
  const repo = emptyRepo('main');
  commit(repo, 'main', sha(1), 'head', { 'pyproject.toml': `[project]\nname = "demo"\nversion = "9.9.9"\n\n[tool.pyrelease]\nregistries = ${registries}\n` });
  for (const [name, n] of Object.entries(tags)) repo.tags.set(name, sha(n));
  return repo;
}

const onIndex = (versions: string[]) => async (_r: RepoRef, names: readonly string[]): Promise<PublishedVersions[]> =>
  names.map((registry) => ({ registry, refusesLocal: true, versions }));

describe('the sweep for release tags no webhook announced', () => {
  it('returns a tag-pushed event for each recent release tag missing from an index', async () => {
    const repo = repoWith({ 'v1.0.0': 2, 'v1.1.0': 3, 'v1.2.0': 4, 'docs-2024': 5 });
    const events = await sweepRepo(repoRef, memoryPlatform(repo), { publishedVersions: onIndex(['1.0', '1.1.0']) }, settings, log);
    expect(events.map((e) => (e.kind === 'tag-pushed' ? [e.tag, e.sha] : null))).toEqual([['v1.2.0', sha(4)]]);
    expect(events[0]?.meta.deliveryId).toMatch(/^sweep-/);
  });

  it('gives a fork with the same tag at the same commit its own delivery id', async () => {
    const fork = { ...repoRef, id: `${repoRef.id}0`, path: `${repoRef.path}-fork` };
    const [a] = await sweepRepo(repoRef, memoryPlatform(repoWith({ 'v1.2.0': 4 })), { publishedVersions: onIndex([]) }, settings, log);
    const [b] = await sweepRepo(fork, memoryPlatform(repoWith({ 'v1.2.0': 4 })), { publishedVersions: onIndex([]) }, settings, log);
    expect(a?.meta.deliveryId).toBeDefined();
    expect(a?.meta.deliveryId).not.toBe(b?.meta.deliveryId);
  });

  it('looks only at the newest release tags', async () => {
    const repo = repoWith({ 'v0.1.0': 2, 'v0.2.0': 3, 'v1.0.0': 4, 'v1.1.0': 5, 'v2.0.0': 6 });
    const events = await sweepRepo(repoRef, memoryPlatform(repo), { publishedVersions: onIndex([]) }, settings, log);
    expect(events.map((e) => (e.kind === 'tag-pushed' ? e.tag : ''))).toEqual(['v2.0.0', 'v1.1.0', 'v1.0.0']);
  });

  it('skips tags on commits older than the age window, when the forge gives dates', async () => {
    const repo = repoWith({ 'v1.0.0': 2, 'v1.1.0': 3 });
    const base = memoryPlatform(repo);
    const dated: Platform = {
      ...base,
      listTags: async (): Promise<TagInfo[]> => [
        { name: 'v1.0.0', sha: sha(2), committedAt: '2026-11-01T00:00:00Z' },
        { name: 'v1.1.0', sha: sha(3), committedAt: '2026-11-20T00:00:00Z' },
      ],
    };
    const events = await sweepRepo(repoRef, dated, { publishedVersions: onIndex([]) }, settings, log);
    expect(events.map((e) => (e.kind === 'tag-pushed' ? e.tag : ''))).toEqual(['v1.1.0']);
  });

  it('does nothing for a repository that publishes nowhere', async () => {
    const repo = repoWith({ 'v1.0.0': 2 }, '[]');
    expect(await sweepRepo(repoRef, memoryPlatform(repo), { publishedVersions: onIndex([]) }, settings, log)).toEqual([]);
  });

  it('sweeps every known repository, enqueues each event once, and survives a repository that fails', async () => {
    const good = repoWith({ 'v3.0.0': 2 });
    const known: KnownRepos = {
      remember: async () => undefined,
      list: async () => [repoRef, { ...repoRef, id: '8', path: 'acme/broken' }],
    };
    const enqueued: RepoEvent[] = [];
    const result = await runSweep(
      {
        knownRepos: known,
        platformFor: async (r) => {
          if (r.id === '8') throw new Error('gone');
          return memoryPlatform(good);
        },
        publishedVersions: onIndex([]),
        enqueueEvent: async (e) => {
          const created = !enqueued.some((x) => x.meta.deliveryId === e.meta.deliveryId);
          if (created) enqueued.push(e);
          return { jobId: e.meta.deliveryId, created };
        },
        log,
      },
      { tagsPerRepo: 5, maxAgeDays: 7 },
      NOW,
    );
    expect(result).toEqual({ repos: 2, queued: 1, failed: 1 });
    expect(enqueued).toHaveLength(1);
  });
});

describe('the sweep and organisation defaults', () => {
  it('reads the registries from organisation defaults when the repository names none', async () => {
    const repo = repoWith({ 'v1.0.0': 2 }, '[]');
    // The repository's own config says nothing of registries; the organisation names one.
    repo.commits.set(sha(1), { sha: sha(1), message: 'head', files: { 'pyproject.toml': '[project]\nname = "demo"\nversion = "9.9.9"\n' } });
    const events = await sweepRepo(
      repoRef,
      memoryPlatform(repo),
      { publishedVersions: onIndex([]), orgDefaults: async () => 'registries: [pypi]\n' },
      settings,
      log,
    );
    expect(events.map((e) => (e.kind === 'tag-pushed' ? e.tag : ''))).toEqual(['v1.0.0']);
  });
});
