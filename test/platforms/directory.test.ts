// The directory contract against the memory fake and both adapters over their fakes, then
// what each forge does with conditional requests and rate limits: GitHub's unchanged pages
// are 304s that cost nothing; GitLab asks only for projects active in the window.
import { afterEach, describe, expect, it } from 'vitest';
import { createGithubDirectory } from '../../src/platforms/github/github-directory.js';
import { createGitlabDirectory, LAST_ACTIVITY_LAG_MS } from '../../src/platforms/gitlab/gitlab-directory.js';
import { createGitlabRest } from '../../src/platforms/gitlab/gitlab-rest.js';
import { startFakeGithub } from '../fakes/fake-github.js';
import type { FakeGithub } from '../fakes/fake-github.js';
import { addCommit as addGithubCommit, addTag as addGithubTag } from '../fakes/fake-github-arrange.js';
import { startFakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../fakes/fake-gitlab.js';
import { addCommit as addGitlabCommit, addTag as addGitlabTag } from '../fakes/fake-gitlab-arrange.js';
import { memoryDirectory } from '../fakes/memory-directory.js';
import type { MemoryListed } from '../fakes/memory-directory.js';
import { ProbotOctokit } from 'probot';
import type { GithubOctokit } from '../../src/platforms/github/github-octokit.js';
import { directoryContract } from './directory-contract.js';

const SHA = 'a'.repeat(40);
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const octokitFor = (url: string, token: string): GithubOctokit =>
  new ProbotOctokit({ auth: { token }, baseUrl: url, log: quiet, throttle: { enabled: false }, retry: { enabled: true, retries: 2 } } as ConstructorParameters<typeof ProbotOctokit>[0]);
const TOKEN = 'glpat-directory';

directoryContract('memory', async () => {
  const repos: MemoryListed[] = [];
  let id = 1;
  return {
    directory: memoryDirectory(repos),
    arrange: {
      repo: (name) => {
        const r = { id: String(id++), path: `acme/${name}`, defaultBranch: 'main', changedAt: Date.now() - 10_000 };
        repos.push(r);
        return Promise.resolve(r);
      },
      push: (rid) => {
        const r = repos.find((x) => x.id === rid);
        if (r !== undefined) r.changedAt = Date.now();
        return Promise.resolve();
      },
    },
    teardown: () => Promise.resolve(),
  };
});

directoryContract('github', async () => {
  const gh = await startFakeGithub();
  return {
    directory: createGithubDirectory(octokitFor(gh.url, gh.installationToken(3))),
    arrange: {
      repo: (name) => {
        const r = gh.addRepo('octo-org', name, 'main', 3);
        addGithubCommit(r, 'main', SHA, 'first', { 'pyproject.toml': '' });
        r.pushedAt = Date.now() - 10_000;
        return Promise.resolve({ id: String(r.id), path: `octo-org/${name}` });
      },
      push: (rid) => {
        const r = gh.state.repos.find((x) => String(x.id) === rid);
        if (r !== undefined) addGithubTag(r, 'v9', SHA);
        return Promise.resolve();
      },
    },
    teardown: () => gh.close(),
  };
});

directoryContract('gitlab', async () => {
  const gl = await startFakeGitlab();
  gl.addUser('bot', TOKEN);
  return {
    directory: createGitlabDirectory(createGitlabRest(gl.url, TOKEN)),
    arrange: {
      repo: (name) => {
        const p = gl.addProject(`group/${name}`);
        addGitlabCommit(p, 'main', SHA, 'first', { 'pyproject.toml': '' });
        p.lastActivityAt = Date.now() - 2 * LAST_ACTIVITY_LAG_MS;
        return Promise.resolve({ id: String(p.id), path: `group/${name}` });
      },
      push: (rid) => {
        const p = gl.state.projects.find((x) => String(x.id) === rid);
        if (p !== undefined) addGitlabTag(p, 'v9', SHA);
        return Promise.resolve();
      },
    },
    teardown: () => gl.close(),
  };
});

describe('the GitHub directory', () => {
  let gh: FakeGithub;
  afterEach(async () => {
    await gh.close();
  });

  it('revalidates each page: a quiet installation of 250 repositories costs three free 304s, and one push one point', async () => {
    gh = await startFakeGithub();
    for (let i = 0; i < 250; i++) gh.addRepo('octo-org', `r${i}`, 'main', 3).pushedAt = Date.now() - 60_000;
    const directory = createGithubDirectory(octokitFor(gh.url, gh.installationToken(3)));
    const first = await directory.changed(null, null);
    expect(first.repos).toHaveLength(250);
    expect(first.cost).toMatchObject({ requests: 3, points: 3 });
    expect(first.cost.rate).toMatchObject({ limit: 5000, remaining: 4997 });

    const quiet = await directory.changed(Date.now(), first.validator);
    expect(quiet.repos).toEqual([]);
    expect(quiet.cost).toMatchObject({ requests: 3, points: 0 });
    expect(gh.rate(3).used).toBe(3);

    const pushed = gh.state.repos[120];
    if (pushed === undefined) throw new Error('no repository 120');
    pushed.pushedAt = Date.now() + 2000;
    const one = await directory.changed(Date.now(), quiet.validator);
    // The page that holds it is read again, and only it.
    expect(one.cost).toMatchObject({ requests: 3, points: 1 });
    expect(one.repos).toHaveLength(100);
    expect(one.repos.some((r) => r.id === String(pushed.id))).toBe(true);
  });
});

describe('the GitLab directory', () => {
  let gl: FakeGitlab;
  afterEach(async () => {
    await gl.close();
  });

  it('asks once for the projects active in the window: 1,000 quiet projects cost one request; the rate-limit headers are read', async () => {
    gl = await startFakeGitlab({ rateLimit: { limit: 2000 } });
    gl.addUser('bot', TOKEN);
    for (let i = 0; i < 1000; i++) gl.addProject(`group/p${i}`).lastActivityAt = Date.now() - 3 * LAST_ACTIVITY_LAG_MS;
    const directory = createGitlabDirectory(createGitlabRest(gl.url, TOKEN));
    const quiet = await directory.changed(Date.now() - 2 * LAST_ACTIVITY_LAG_MS, null);
    expect(quiet.repos).toEqual([]);
    expect(quiet.cost).toMatchObject({ requests: 1, points: 1 });
    expect(quiet.cost.rate).toMatchObject({ limit: 2000, remaining: 1999 });
    expect(gl.log.at(-1)?.url).toContain('membership=true');
    expect(gl.log.at(-1)?.url).toContain('last_activity_after=');
  });

  it('lists a project whose last_activity_at did not move (an event within the hour) when the window reaches back an hour', async () => {
    gl = await startFakeGitlab();
    gl.addUser('bot', TOKEN);
    const p = gl.addProject('group/lazy');
    addGitlabCommit(p, 'main', SHA, 'first', {});
    // Active 50 minutes ago; a tag pushed now does not move last_activity_at.
    p.lastActivityAt = Date.now() - 50 * 60_000;
    const lastPass = Date.now() - 10 * 60_000;
    addGitlabTag(p, 'v2', SHA);
    const directory = createGitlabDirectory(createGitlabRest(gl.url, TOKEN));
    expect((await directory.changed(lastPass, null)).repos).toEqual([]);
    expect((await directory.changed(lastPass - directory.lagMs, null)).repos.map((r) => r.path)).toEqual(['group/lazy']);
  });
});
