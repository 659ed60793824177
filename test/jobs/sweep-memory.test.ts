// The sweep's memory across passes, with the memory Platform, directory and store: a
// repository without a registry is read again when the organisation defaults change; a
// GitLab project the token's listing does not show (though an event came from it) is
// checked every pass; a check that fails is retried next pass, whatever the listing says.
import { describe, expect, it } from 'vitest';
import type { PublishedVersions } from '../../src/core/checks.js';
import type { RepoEvent } from '../../src/core/events.js';
import type { KnownRepo } from '../../src/jobs/known-repos.js';
import { runSweepPass } from '../../src/jobs/sweep-worker.js';
import type { SweepWorkerDeps } from '../../src/jobs/sweep-worker.js';
import { createLogger } from '../../src/logger.js';
import { memoryDirectory } from '../fakes/memory-directory.js';
import type { MemoryListed } from '../fakes/memory-directory.js';
import { commit, emptyRepo, memoryPlatform } from '../fakes/memory-platform.js';
import type { MemoryRepo } from '../fakes/memory-platform.js';
import { memorySweepStore } from '../fakes/memory-sweep-store.js';

const log = createLogger('silent');
const settings = { tagsPerRepo: 5, maxAgeDays: 7 };
const sha = (n: number) => n.toString(16).padStart(40, '0');

function setup(count: number, pyproject: string, orgDefaults: () => string | null, onIndex: string[] = []) {
  const repos = new Map<string, MemoryRepo>();
  const listed: MemoryListed[] = [];
  const known: KnownRepo[] = [];
  for (let i = 0; i < count; i++) {
    const id = String(100 + i);
    const repo = emptyRepo('main', { id, path: `acme/r${i}` });
    commit(repo, 'main', sha(1), 'head', { 'pyproject.toml': pyproject });
    repo.tags.set('v1.0.0', sha(1));
    repos.set(id, repo);
    listed.push({ id, path: `acme/r${i}`, defaultBranch: 'main', changedAt: Date.now() - 2 * 3600_000 });
    known.push({ platform: 'github', id, path: `acme/r${i}`, defaultBranch: 'main', installationId: 9, seenAt: null });
  }
  const events: RepoEvent[] = [];
  const store = memorySweepStore();
  const directory = memoryDirectory(listed);
  let platformCalls = 0;
  let failing: string | null = null;
  const deps: SweepWorkerDeps = {
    knownRepos: { remember: () => Promise.resolve(), list: () => Promise.resolve(known) },
    platformFor: (repo) => {
      platformCalls++;
      if (repo.id === failing) return Promise.reject(new Error('forge unreachable'));
      return Promise.resolve(memoryPlatform(repos.get(repo.id) as MemoryRepo));
    },
    directoryFor: () => Promise.resolve(directory),
    store,
    orgDefaults: () => Promise.resolve(orgDefaults()),
    publishedVersions: (_r, names): Promise<PublishedVersions[]> => Promise.resolve(names.map((registry) => ({ registry, refusesLocal: true, versions: onIndex }))),
    enqueueEvent: (event) => {
      events.push(event);
      return Promise.resolve({ jobId: event.meta.deliveryId, created: true });
    },
    log,
  };
  return { deps, events, store, listed, known, repos, platformCalls: () => platformCalls, fail: (id: string | null) => void (failing = id) };
}

describe('the sweep remembers', () => {
  it('a repository without a registry until the organisation defaults change, then reads it again', async () => {
    let defaults: string | null = null;
    const w = setup(3, '[project]\nname = "pkg"\nversion = "1.0.0"\n', () => defaults);
    await runSweepPass(w.deps, settings, Date.now());
    expect(w.events).toEqual([]);
    const again = await runSweepPass(w.deps, settings, Date.now());
    expect(again).toMatchObject({ checked: 0, noRegistry: 3 });
    // The organisation now publishes every repository to PyPI.
    defaults = 'registries: [pypi]\n';
    const reread = await runSweepPass(w.deps, settings, Date.now());
    expect(reread).toMatchObject({ checked: 3, noRegistry: 0 });
    expect(w.events.map((e) => (e.kind === 'tag-pushed' ? `${e.repo.path} ${e.tag}` : ''))).toEqual(['acme/r0 v1.0.0', 'acme/r1 v1.0.0', 'acme/r2 v1.0.0']);
  });

  it('a check that failed is retried next pass though nothing changed', async () => {
    const w = setup(2, '[project]\nname = "pkg"\nversion = "1.0.0"\n\n[tool.pyrelease]\nregistries = ["pypi"]\n', () => null);
    await runSweepPass(w.deps, settings, Date.now());
    await runSweepPass(w.deps, settings, Date.now());
    w.fail('100');
    const listedOne = w.listed[0] as MemoryListed;
    listedOne.changedAt = Date.now();
    const failed = await runSweepPass(w.deps, settings, Date.now());
    expect(failed).toMatchObject({ failed: 1 });
    w.fail(null);
    const retried = await runSweepPass(w.deps, settings, Date.now());
    expect(retried.checked).toBeGreaterThanOrEqual(1);
    expect(w.store.repos.get('github/100')?.retry).toBe(true);
  });
});

describe('a GitLab project the listing does not show', () => {
  it('is checked every pass once an event showed it exists though the token user is no member', async () => {
    const w = setup(2, '[project]\nname = "pkg"\nversion = "1.0.0"\n\n[tool.pyrelease]\nregistries = ["pypi"]\n', () => null, ['1.0.0']);
    for (const k of w.known) Object.assign(k, { platform: 'gitlab', installationId: null });
    // The token user is no member of r1: GitLab never lists it.
    w.listed.splice(1, 1);
    await runSweepPass(w.deps, settings, Date.now());
    const quiet = await runSweepPass(w.deps, settings, Date.now());
    expect(quiet.checked).toBe(0);
    // An event from r1, after the last listing: it must have had activity, yet it is not listed.
    await new Promise((resolve) => setTimeout(resolve, 5));
    Object.assign(w.known[1] as KnownRepo, { seenAt: Date.now() + 61_000 });
    const found = await runSweepPass(w.deps, settings, Date.now());
    expect(found.checked).toBe(1);
    expect(w.store.repos.get('gitlab/101')?.unlisted).toBe(true);
    Object.assign(w.known[1] as KnownRepo, { seenAt: null });
    expect((await runSweepPass(w.deps, settings, Date.now())).checked).toBe(1);
  });
});
