// The .0 of a stable branch that already exists, through runTaggingJob on the memory
// platform: where the tag goes in each case the merge-base rule has to tell apart.
import { describe, expect, it } from 'vitest';
import type { SelfHostedConfig } from '../../src/selfhosted/self-hosted-config.js';
import { runTaggingJob } from '../../src/selfhosted/tagging-job.js';
import { commit, emptyRepo, memoryPlatform } from '../fakes/memory-platform.js';
import type { MemoryRepo } from '../fakes/memory-platform.js';

const sha = (c: string): string => c.repeat(40);
const CONFIG: SelfHostedConfig = {
  upstream: { url: 'https://gitlab.com', project: 'gitlab-org/gitlab', source: 'tags', pollIntervalMs: 900_000, tokenEnv: null },
  minVersion: '18.4.0',
  allow: null,
  prereleases: false,
  repos: [{ platform: 'gitlab', project: 'acme/duo', tagTemplate: 'self-hosted-{tag}', model: 'stable-branch', stableBranchTemplate: 'stable-{major}-{minor}-ee', image: null }],
};

async function tag(repo: MemoryRepo, release: string, pinnedSha?: string): Promise<{ outcome: string; sha: string | null; warnings: number }> {
  let warnings = 0;
  const log = { info: () => undefined, warn: () => void (warnings += 1) };
  const data = { release, platform: 'gitlab' as const, project: 'acme/duo', ...(pinnedSha === undefined ? {} : { pinnedSha }) };
  const r = await runTaggingJob(data, { config: CONFIG, platformFor: () => Promise.resolve(memoryPlatform(repo)), retagImage: null, pin: () => Promise.resolve(), log });
  return { outcome: r.outcome, sha: r.sha, warnings };
}

/** main: a, b; stable-18-5-ee cut at b with a backport c; main moved on to d. */
function caughtUp(): MemoryRepo {
  const repo = emptyRepo();
  commit(repo, 'main', sha('a'), 'one', {});
  commit(repo, 'main', sha('b'), 'two', {});
  repo.branches.set('stable-18-5-ee', [sha('a'), sha('b')]);
  commit(repo, 'stable-18-5-ee', sha('c'), 'backport for 18.5.1', {});
  commit(repo, 'main', sha('d'), 'feature for 18.6', {});
  return repo;
}

describe('a .0 on a stable branch that already exists', () => {
  it('is tagged where the branch was cut; its patch at the head', async () => {
    const repo = caughtUp();
    expect(await tag(repo, 'v18.5.0-ee')).toEqual({ outcome: 'tagged', sha: sha('b'), warnings: 0 });
    expect(await tag(repo, 'v18.5.1-ee')).toEqual({ outcome: 'tagged', sha: sha('c'), warnings: 0 });
  });

  it('a new branch is cut at the default head and .0 tagged there, as before', async () => {
    const repo = caughtUp();
    expect(await tag(repo, 'v18.6.0-ee')).toEqual({ outcome: 'tagged', sha: sha('d'), warnings: 0 });
    expect(repo.branches.get('stable-18-6-ee')?.at(-1)).toBe(sha('d'));
  });

  it('a .0 tag already at the head (made before this rule) stays and is no conflict', async () => {
    const repo = caughtUp();
    repo.tags.set('self-hosted-v18.5.0-ee', sha('c'));
    expect(await tag(repo, 'v18.5.0-ee')).toEqual({ outcome: 'exists', sha: sha('c'), warnings: 0 });
  });

  it('a retry tags the commit its first attempt pinned', async () => {
    expect(await tag(caughtUp(), 'v18.5.0-ee', sha('c'))).toMatchObject({ outcome: 'tagged', sha: sha('c') });
  });

  it('a branch that shares no commit with the default branch: the head, with a warning', async () => {
    const repo = caughtUp();
    commit(repo, 'orphan', sha('e'), 'root', {});
    repo.branches.set('stable-18-5-ee', [sha('e')]);
    expect(await tag(repo, 'v18.5.0-ee')).toEqual({ outcome: 'tagged', sha: sha('e'), warnings: 1 });
  });
});
