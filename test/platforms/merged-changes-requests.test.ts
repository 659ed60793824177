// What listMergedChanges costs on each forge, counted at fetch: the request counts the
// README and platform.ts state (GitLab at most 101, GitHub at most 103 a release).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGithubPlatform } from '../../src/platforms/github/github-platform.js';
import { createGitlabPlatform } from '../../src/platforms/gitlab/gitlab-platform.js';
import { MERGED_CHANGE_COMMIT_LOOKUPS } from '../../src/platforms/platform.js';
import { startFakeGithub } from '../fakes/fake-github.js';
import { addCommit as addGithubCommit, addPull } from '../fakes/fake-github-arrange.js';
import { startFakeGitlab } from '../fakes/fake-gitlab.js';
import { addCommit as addGitlabCommit, addMergeRequest } from '../fakes/fake-gitlab-arrange.js';
import { ProbotOctokit } from 'probot';
import type { GithubOctokit } from '../../src/platforms/github/github-octokit.js';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const octokitFor = (url: string, token: string): GithubOctokit =>
  new ProbotOctokit({ auth: { token }, baseUrl: url, log: quiet, throttle: { enabled: false }, retry: { enabled: false } } as ConstructorParameters<typeof ProbotOctokit>[0]);

const shas = (n: number): string[] => Array.from({ length: n }, (_, i) => (i + 1).toString(16).padStart(40, '0'));
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const close of closers.splice(0)) await close();
});

describe('listMergedChanges requests', () => {
  it.each([
    [5, 1 + 4],
    [250, 1 + MERGED_CHANGE_COMMIT_LOOKUPS],
  ])('GitLab, %d commits: one compare and one lookup per commit looked at (%d)', async (count, expected) => {
    const gl = await startFakeGitlab();
    closers.push(() => gl.close());
    gl.addUser('bot', 'glpat-token');
    const project = gl.addProject('g/p');
    const all = shas(count);
    for (const sha of all) addGitlabCommit(project, 'main', sha, 'x', { a: '1' });
    all.forEach((sha, i) => addMergeRequest(project, i + 1, [sha], 'merged'));
    const platform = createGitlabPlatform({ api: { host: gl.url, token: 'glpat-token' }, projectId: 'g/p' });
    const fetches = vi.spyOn(globalThis, 'fetch');
    const listed = await platform.listMergedChanges(all[0] ?? '', all.at(-1) ?? '', 100);
    expect(fetches).toHaveBeenCalledTimes(expected);
    expect(listed.complete).toBe(count <= 101);
    expect(listed.changes[0]?.number).toBe(count);
  });

  it.each([
    [5, 1 + 4],
    [150, 2 + MERGED_CHANGE_COMMIT_LOOKUPS],
    [450, 3 + MERGED_CHANGE_COMMIT_LOOKUPS],
  ])('GitHub, %d commits: one to three compare pages and one lookup per commit looked at (%d)', async (count, expected) => {
    const gh = await startFakeGithub();
    closers.push(() => gh.close());
    const repo = gh.addRepo('o', 'r');
    const all = shas(count);
    for (const sha of all) addGithubCommit(repo, 'main', sha, 'x', { a: '1' });
    all.forEach((sha, i) => addPull(repo, i + 1, [sha], 'closed', true));
    const platform = createGithubPlatform({ octokit: octokitFor(gh.url, gh.installationToken()), owner: 'o', repo: 'r' });
    const fetches = vi.spyOn(globalThis, 'fetch');
    const listed = await platform.listMergedChanges(all[0] ?? '', all.at(-1) ?? '', 100);
    expect(fetches).toHaveBeenCalledTimes(expected);
    expect(listed.complete).toBe(count <= 101);
    // The newest commits are the ones looked at, whatever page they are on.
    expect(listed.changes[0]?.number).toBe(count);
    expect(listed.changes.map((c) => c.number)).toEqual(Array.from({ length: Math.min(100, count - 1) }, (_, i) => count - i));
  });
});
