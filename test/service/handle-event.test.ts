import { describe, expect, it } from 'vitest';
import type { RepoEvent, RepoRef } from '../../src/core/events.js';
import { REPORT_MARKER } from '../../src/core/report.js';
import { createLogger } from '../../src/logger.js';
import { handleEvent } from '../../src/service/handle-event.js';
import type { ServiceDeps } from '../../src/service/handle-event.js';
import { commit, emptyRepo, memoryPlatform } from '../fakes/memory-platform.js';
import type { MemoryRepo } from '../fakes/memory-platform.js';

const repoRef: RepoRef = { platform: 'gitlab', id: '42', path: 'acme/demo', defaultBranch: 'main' };
const meta = { deliveryId: 'd-1', installationId: null };
const sha = (n: number) => n.toString(16).padStart(40, '0');

function pyproject(version: string, pyrelease = 'registries = ["pypi"]'): Record<string, string> {
  return {
    'pyproject.toml': `[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "demo"\nversion = "${version}"\n\n[tool.pyrelease]\n${pyrelease}\n`,
  };
}

function setup(published: string[] = []) {
  const repo = emptyRepo('main');
  const enqueued: Array<{ version: string; tag: string; sha: string; registries: readonly string[]; buildTool: string }> = [];
  /** Versions whose publish job failed for good; `retryFailed` runs them again, as queues.ts does. */
  const failed = new Set<string>();
  const retryAsked: boolean[] = [];
  const deps: ServiceDeps = {
    platformFor: async () => memoryPlatform(repo),
    publishedVersions: async (_repo, registries) => registries.map((registry) => ({ registry, refusesLocal: registry === 'pypi', versions: published })),
    enqueuePublish: async (_repo, action, _meta, options) => {
      retryAsked.push(options.retryFailed);
      const jobId = `job-${action.version}-${action.sha.slice(0, 6)}`;
      if (options.retryFailed && failed.delete(action.version)) return { jobId, created: true, retried: true };
      const first = !enqueued.some((e) => e.version === action.version && e.sha === action.sha);
      if (first) enqueued.push(action);
      return { jobId, created: first };
    },
    log: createLogger('silent'),
  };
  return { repo, deps, enqueued, failed, retryAsked };
}

function tagEvent(tag: string, at: string): RepoEvent {
  return { kind: 'tag-pushed', repo: repoRef, tag, sha: at, protected: null, meta };
}

function pushEvent(at: string, message: string, branch = 'main'): RepoEvent {
  return { kind: 'branch-pushed', repo: repoRef, branch, sha: at, headMessage: message, meta };
}

function mrEvent(number: number, head: string, action: 'opened' | 'updated' = 'opened'): RepoEvent {
  return { kind: 'change-request', repo: repoRef, action, number, sourceBranch: 'feature', targetBranch: 'main', headSha: head, sameRepo: true, meta };
}

function released(repo: MemoryRepo, version: string): string {
  return commit(repo, 'main', sha(repo.commits.size + 1), `release ${version}`, pyproject(version));
}

describe('a pushed release tag', () => {
  it('sets a pending status and queues one publish job', async () => {
    const { repo, deps, enqueued } = setup();
    const at = released(repo, '1.2.3');
    repo.tags.set('v1.2.3', at);
    await handleEvent(tagEvent('v1.2.3', at), deps);
    expect(enqueued).toEqual([{ kind: 'enqueue-publish', version: '1.2.3', tag: 'v1.2.3', sha: at, project: 'demo', registries: ['pypi'], buildTool: 'build', path: '.' }]);
    expect(repo.statuses).toEqual([{ sha: at, state: 'pending', description: 'publishing 1.2.3 to pypi' }]);
    expect(repo.comments).toEqual([]);
  });

  it('queues nothing more when the same tag arrives twice', async () => {
    const { repo, deps, enqueued } = setup();
    const at = released(repo, '1.2.3');
    await handleEvent(tagEvent('v1.2.3', at), deps);
    const again = await handleEvent(tagEvent('v1.2.3', at), deps);
    expect(enqueued).toHaveLength(1);
    expect(again.outcomes.find((o) => o.action === 'enqueue-publish')?.result).toMatch(/^already queued/);
    // The redelivery does not turn the status back to pending: the existing job reports.
    expect(repo.statuses.map((st) => st.state)).toEqual(['pending']);
  });

  it('runs a failed release again on a new push of its tag, and sets pending again', async () => {
    const { repo, deps, failed, retryAsked } = setup();
    const at = released(repo, '1.2.3');
    await handleEvent(tagEvent('v1.2.3', at), deps);
    failed.add('1.2.3');
    repo.statuses.push({ sha: at, state: 'failure', description: 'publishing 1.2.3 failed: index-unavailable' });
    const again = await handleEvent(tagEvent('v1.2.3', at), deps);
    expect(again.outcomes.find((o) => o.action === 'enqueue-publish')?.result).toBe(`queued job-1.2.3-${at.slice(0, 6)} again: it had failed`);
    expect(repo.statuses.map((st) => st.state)).toEqual(['pending', 'failure', 'pending']);
    expect(retryAsked).toEqual([true, true]);
  });

  it.each([
    ['a tag that disagrees with pyproject.toml', 'v1.2.4', '1.2.3', [], /1\.2\.4/],
    ['a non-canonical tag in strict mode', 'v1.2.3-RC1', '1.2.3rc1', [], /not canonical|canonical/],
  ])('refuses %s with a failed status and a commit comment, and publishes nothing', async (_name, tag, version, published, pattern) => {
    const { repo, deps, enqueued } = setup(published);
    const at = released(repo, version);
    await handleEvent(tagEvent(tag, at), deps);
    expect(enqueued).toEqual([]);
    expect(repo.statuses.map((s) => s.state)).toEqual(['failure']);
    expect(repo.comments).toHaveLength(1);
    expect(repo.comments[0]?.target).toEqual({ kind: 'commit', sha: at });
    expect(repo.comments[0]?.body.startsWith(REPORT_MARKER)).toBe(true);
    expect(repo.comments[0]?.body).toMatch(pattern);
  });

  it('still queues a release whose version is already on the index: the job finishes it file by file', async () => {
    const { repo, deps, enqueued } = setup(['1.2.3.0']);
    const at = released(repo, '1.2.3');
    await handleEvent(tagEvent('v1.2.3', at), deps);
    expect(enqueued).toHaveLength(1);
    expect(repo.statuses.map((s) => s.state)).toEqual(['pending']);
  });

  it('refuses a commit that is on no release branch', async () => {
    const { repo, deps, enqueued } = setup();
    const at = commit(repo, 'experiment', sha(9), 'try', pyproject('1.2.3'));
    await handleEvent(tagEvent('v1.2.3', at), deps);
    expect(enqueued).toEqual([]);
    expect(repo.comments[0]?.body).toContain('not on');
  });

  it('refuses an unprotected tag when the repository requires protected tags', async () => {
    const { repo, deps, enqueued } = setup();
    const at = commit(repo, 'main', sha(3), 'r', pyproject('1.2.3', 'registries = ["pypi"]\nrequire-protected-tag = true'));
    repo.tags.set('v1.2.3', at);
    await handleEvent(tagEvent('v1.2.3', at), deps);
    expect(enqueued).toEqual([]);
    repo.protectedTags.add('v1.2.3');
    await handleEvent(tagEvent('v1.2.3', at), deps);
    expect(enqueued).toHaveLength(1);
  });

  it.each([['docs-2024'], ['latest'], ['release-notes']])('ignores %s quietly: not a release tag', async (tag) => {
    const { repo, deps } = setup();
    const at = released(repo, '1.2.3');
    const handled = await handleEvent(tagEvent(tag, at), deps);
    expect(handled.actions.map((a) => a.kind)).toEqual(['ignore']);
    expect(repo.writes).toEqual([]);
  });

  it('refuses a hostile tag name with a reason instead of acting on it', async () => {
    const { repo, deps, enqueued } = setup();
    const at = released(repo, '1.2.3');
    await handleEvent(tagEvent('v1.2.3;rm -rf /', at), deps);
    expect(enqueued).toEqual([]);
    expect(repo.statuses.map((s) => s.state)).toEqual(['failure']);
  });

  it('checks only, and says so, when the repository names no registry', async () => {
    const { repo, deps, enqueued } = setup();
    const at = commit(repo, 'main', sha(5), 'r', pyproject('2.0.0', ''));
    await handleEvent(tagEvent('v2.0.0', at), deps);
    expect(enqueued).toEqual([]);
    expect(repo.statuses).toEqual([{ sha: at, state: 'success', description: '2.0.0 passes the checks; no registries configured, nothing published' }]);
  });
});

describe('the commit-message trigger', () => {
  it('creates the tag at the commit and queues the same job the tag event will', async () => {
    const { repo, deps, enqueued } = setup();
    const at = commit(repo, 'main', sha(1), '1.3.0rc1 Release candidate', pyproject('1.3.0rc1'));
    await handleEvent(pushEvent(at, '1.3.0rc1 Release candidate'), deps);
    expect(repo.tags.get('v1.3.0rc1')).toBe(at);
    // The tag push GitLab sends next makes no second job.
    await handleEvent(tagEvent('v1.3.0rc1', at), deps);
    expect(enqueued).toHaveLength(1);
    expect(enqueued[0]?.version).toBe('1.3.0rc1');
  });

  it('never runs a failed release again: only a new push of the tag does', async () => {
    const { repo, deps, failed, retryAsked } = setup();
    const at = commit(repo, 'main', sha(1), '1.3.0 Release', pyproject('1.3.0'));
    failed.add('1.3.0');
    const handled = await handleEvent(pushEvent(at, '1.3.0 Release'), deps);
    expect(retryAsked).toEqual([false]);
    expect(handled.outcomes.find((o) => o.action === 'enqueue-publish')?.result).toMatch(/^queued job-1\.3\.0/);
    expect(failed.has('1.3.0')).toBe(true);
  });

  it.each([
    ['Bump version to 1.2', 'main'],
    ['1.3.0 on a feature branch', 'feature'],
    ['Merge branch x', 'main'],
  ])('does nothing for %j on %s', async (message, branch) => {
    const { repo, deps, enqueued } = setup();
    const at = commit(repo, branch, sha(1), message, pyproject('1.3.0'));
    await handleEvent(pushEvent(at, message, branch), deps);
    expect(enqueued).toEqual([]);
    expect(repo.tags.size).toBe(0);
  });

  it('respects commit-trigger = false', async () => {
    const { repo, deps, enqueued } = setup();
    const at = commit(repo, 'main', sha(1), '1.3.0', pyproject('1.3.0', 'registries = ["pypi"]\ncommit-trigger = false'));
    await handleEvent(pushEvent(at, '1.3.0'), deps);
    expect(enqueued).toEqual([]);
  });

  it('never moves an existing tag: a conflict fails the status and publishes nothing', async () => {
    const { repo, deps, enqueued } = setup();
    const old = released(repo, '1.3.0');
    repo.tags.set('v1.3.0', old);
    const at = commit(repo, 'main', sha(7), '1.3.0 again', pyproject('1.3.0'));
    const handled = await handleEvent(pushEvent(at, '1.3.0 again'), deps);
    expect(repo.tags.get('v1.3.0')).toBe(old);
    expect(enqueued).toEqual([]);
    expect(handled.outcomes.map((o) => o.result)).toContain('tag-conflict');
  });
});

describe('change requests', () => {
  function mrSetup(headVersion: string, published: string[] = []) {
    const s = setup(published);
    const base = commit(s.repo, 'main', sha(1), 'base', pyproject('1.2.0'));
    s.repo.tags.set('v1.2.0', base);
    const head = commit(s.repo, 'feature', sha(2), 'change', pyproject(headVersion));
    return { ...s, head };
  }

  it('comments once and fails the status when the version goes down', async () => {
    const { repo, deps, head } = mrSetup('1.1.0');
    await handleEvent(mrEvent(7, head), deps);
    await handleEvent(mrEvent(7, head, 'updated'), deps);
    expect(repo.comments).toHaveLength(1);
    expect(repo.comments[0]?.target).toEqual({ kind: 'change-request', number: 7 });
    expect(repo.comments[0]?.body).toContain('lower than');
    expect(repo.statuses.map((s) => s.state)).toEqual(['failure', 'failure']);
  });

  it('comments when the version is already published, and edits the same comment once fixed', async () => {
    const { repo, deps, head } = mrSetup('1.3.0', ['1.3']);
    await handleEvent(mrEvent(8, head), deps);
    expect(repo.comments[0]?.body).toContain('already');
    const fixed = commit(repo, 'feature', sha(3), 'bump', pyproject('1.4.0'));
    await handleEvent(mrEvent(8, fixed, 'updated'), deps);
    expect(repo.comments).toHaveLength(1);
    expect(repo.comments[0]?.edits).toBe(1);
    expect(repo.comments[0]?.body).toContain('All version problems are fixed');
    expect(repo.statuses.at(-1)).toMatchObject({ sha: fixed, state: 'success' });
  });

  it('stays silent (status only) on a clean change request', async () => {
    const { repo, deps, head } = mrSetup('1.3.0');
    await handleEvent(mrEvent(9, head), deps);
    expect(repo.comments).toEqual([]);
    expect(repo.statuses).toEqual([expect.objectContaining({ sha: head, state: 'success' })]);
  });

  it('reports a broken repo config with its field', async () => {
    const { repo, deps } = mrSetup('1.3.0');
    const head = commit(repo, 'feature', sha(4), 'cfg', pyproject('1.3.0', 'tag-mode = "loose"'));
    await handleEvent(mrEvent(10, head), deps);
    expect(repo.comments[0]?.body).toContain('tag-mode');
    expect(repo.statuses.at(-1)?.state).toBe('failure');
  });
});
