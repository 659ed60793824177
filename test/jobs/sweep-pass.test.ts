// The sweep against the fake GitHub and the fake GitLab, with its state and spending in
// the test Redis: it asks once which repositories changed, checks only those, revalidates
// tags with If-None-Match (a 304 is free on GitHub), remembers repositories whose config
// names no registry, reads the budget from the rate-limit headers and slows when it is
// low, and still finds a tag no webhook announced within one pass.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ProbotOctokit } from 'probot';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PublishedVersions } from '../../src/core/checks.js';
import type { RepoEvent, RepoRef } from '../../src/core/events.js';
import { redisKnownRepos } from '../../src/jobs/known-repos.js';
import type { KnownRepo, KnownRepos } from '../../src/jobs/known-repos.js';
import { redisSweepStore } from '../../src/jobs/sweep-state.js';
import { runSweepPass } from '../../src/jobs/sweep-worker.js';
import type { SweepWorkerDeps } from '../../src/jobs/sweep-worker.js';
import { createLogger } from '../../src/logger.js';
import { createGithubDirectory } from '../../src/platforms/github/github-directory.js';
import type { GithubOctokit } from '../../src/platforms/github/github-octokit.js';
import { createGithubPlatform } from '../../src/platforms/github/github-platform.js';
import { createGitlabDirectory, LAST_ACTIVITY_LAG_MS } from '../../src/platforms/gitlab/gitlab-directory.js';
import { createGitlabPlatform } from '../../src/platforms/gitlab/gitlab-platform.js';
import { createGitlabRest } from '../../src/platforms/gitlab/gitlab-rest.js';
import { startFakeGithub } from '../fakes/fake-github.js';
import type { FakeGithub } from '../fakes/fake-github.js';
import { addCommit as ghCommit, addTag as ghTag } from '../fakes/fake-github-arrange.js';
import type { FakeRepo } from '../fakes/fake-github-state.js';
import { startFakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../fakes/fake-gitlab.js';
import { addCommit as glCommit, addTag as glTag } from '../fakes/fake-gitlab-arrange.js';
import type { FakeProject } from '../fakes/fake-gitlab-state.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

const log = createLogger('silent');
const redis = new Redis(TEST_REDIS_URL);
const SHA = 'c'.repeat(40);
const TOKEN = 'glpat-sweep';
const INSTALLATION = 3;
const settings = { tagsPerRepo: 5, maxAgeDays: 7 };
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const PUBLISHING = '[project]\nname = "pkg"\nversion = "1.0.0"\n\n[tool.pyrelease]\nregistries = ["pypi"]\n';
const NOT_PUBLISHING = '[project]\nname = "pkg"\nversion = "1.0.0"\n';

afterAll(() => redis.disconnect());

const octokitFor = (url: string, token: string): GithubOctokit =>
  new ProbotOctokit({ auth: { token }, baseUrl: url, log: quiet, throttle: { enabled: false }, retry: { enabled: false } } as ConstructorParameters<typeof ProbotOctokit>[0]);

interface World {
  deps: SweepWorkerDeps;
  known: KnownRepos;
  events: RepoEvent[];
  /** repository id -> versions on the index */
  published: Map<string, string[]>;
  prefix: string;
}

function world(repos: KnownRepo[], platformFor: SweepWorkerDeps['platformFor'], directoryFor: NonNullable<SweepWorkerDeps['directoryFor']>): World {
  const prefix = `{sweep-${randomBytes(5).toString('hex')}}`;
  const known = redisKnownRepos(redis, prefix);
  const events: RepoEvent[] = [];
  const published = new Map<string, string[]>();
  const deps: SweepWorkerDeps = {
    knownRepos: { ...known, list: () => Promise.resolve(repos) },
    platformFor,
    directoryFor,
    store: redisSweepStore(redis, prefix),
    publishedVersions: (repo: RepoRef, names: readonly string[]): Promise<PublishedVersions[]> =>
      Promise.resolve(names.map((registry) => ({ registry, refusesLocal: true, versions: published.get(repo.id) ?? [] }))),
    enqueueEvent: (event) => {
      // The fake repositories share their commit: one event per repository and delivery id.
      const created = !events.some((e) => e.meta.deliveryId === event.meta.deliveryId && e.repo.id === event.repo.id);
      if (created) events.push(event);
      return Promise.resolve({ jobId: event.meta.deliveryId, created });
    },
    log,
  };
  return { deps, known, events, published, prefix };
}

async function cleanup(prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
}

describe('the sweep on GitHub', () => {
  let gh: FakeGithub;
  let w: World;
  afterEach(async () => {
    await gh.close();
    await cleanup(w.prefix);
  });

  /** n repositories in one installation; the first `publishing` name a registry and have v1.0.0, published. */
  async function githubWorld(n: number, publishing: number): Promise<FakeRepo[]> {
    gh = await startFakeGithub();
    const token = gh.installationToken(INSTALLATION);
    const repos: FakeRepo[] = [];
    for (let i = 0; i < n; i++) {
      const r = gh.addRepo('octo', `r${i}`, 'main', INSTALLATION);
      ghCommit(r, 'main', SHA, 'first', i < publishing ? { 'pyproject.toml': PUBLISHING } : { 'README.md': 'not python' });
      if (i < publishing) ghTag(r, 'v1.0.0', SHA);
      // Pushed a while ago, so no check races a push in the same second.
      r.pushedAt = Date.now() - 60_000;
      repos.push(r);
    }
    const known: KnownRepo[] = repos.map((r) => ({ platform: 'github', id: String(r.id), path: `octo/${r.name}`, defaultBranch: 'main', installationId: INSTALLATION }));
    w = world(
      known,
      (repo) => Promise.resolve(createGithubPlatform({ octokit: octokitFor(gh.url, token), owner: 'octo', repo: repo.path.split('/')[1] ?? '' })),
      () => Promise.resolve(createGithubDirectory(octokitFor(gh.url, token))),
    );
    for (const r of repos.slice(0, publishing)) w.published.set(String(r.id), ['1.0.0']);
    return repos;
  }

  it('checks every repository once, then a quiet pass is all 304s: requests made, no point spent', async () => {
    await githubWorld(30, 10);
    const first = await runSweepPass(w.deps, settings, Date.now());
    expect(first).toMatchObject({ repos: 30, checked: 30, queued: 0, failed: 0 });
    const used = gh.rate(INSTALLATION).used;

    const second = await runSweepPass(w.deps, settings, Date.now());
    expect(second).toMatchObject({ checked: 0, quiet: 10, noRegistry: 20, points: 0 });
    expect(second.requests).toBe(1);
    // The fake counted nothing: the listing's page answered 304.
    expect(gh.rate(INSTALLATION).used).toBe(used);
    expect(gh.log.at(-1)).toMatchObject({ status: 304, counted: false });
  });

  it('finds a tag pushed without a webhook in the next pass; a push that brought no tag costs a free 304', async () => {
    const repos = await githubWorld(12, 4);
    await runSweepPass(w.deps, settings, Date.now());
    // Pushed to once since: their tags are revalidated from then on.
    for (const r of repos.slice(0, 4)) r.pushedAt = Date.now() - 30_000;
    expect((await runSweepPass(w.deps, settings, Date.now())).checked).toBe(4);
    // A branch push to r1 (tags unchanged) and a tag push to r2, neither announced.
    const [r1, r2] = [repos[1], repos[2]] as [FakeRepo, FakeRepo];
    ghCommit(r1, 'main', 'd'.repeat(40), 'more', { 'pyproject.toml': PUBLISHING });
    ghTag(r2, 'v1.1.0', SHA);
    const before = gh.log.length;
    const pass = await runSweepPass(w.deps, settings, Date.now());
    expect(w.events.map((e) => (e.kind === 'tag-pushed' ? `${e.repo.path} ${e.tag}` : ''))).toEqual(['octo/r2 v1.1.0']);
    expect(pass).toMatchObject({ checked: 2, failed: 0 });
    // r1's whole check: its tags, unchanged, a 304 that costs nothing.
    expect(gh.log.slice(before).filter((l) => l.url.startsWith('/repos/octo/r1/')).map((l) => [l.route, l.status, l.counted])).toEqual([['GET /repos/:owner/:repo/tags', 304, false]]);
  });

  it('a low budget slows the sweep first; what it left is checked once the hour resets', async () => {
    const repos = await githubWorld(20, 20);
    await runSweepPass(w.deps, settings, Date.now());
    await runSweepPass(w.deps, settings, Date.now());
    for (const r of repos.slice(0, 10)) {
      ghTag(r, 'v1.1.0', SHA);
      r.pushedAt = Date.now() + 10_000;
    }
    // Event work has spent the hour down to 25 points: the sweep may take 20% of them.
    gh.setRate(INSTALLATION, { used: 4975 });
    const slow = await runSweepPass(w.deps, settings, Date.now());
    expect(slow.slowed).toEqual([`github:${INSTALLATION}`]);
    expect(slow.deferred).toBeGreaterThan(0);
    expect(slow.points).toBeLessThanOrEqual(Math.floor(0.2 * 25) + 1);
    expect(gh.rate(INSTALLATION).remaining).toBeGreaterThanOrEqual(20 - 1);

    // Spent entirely: the listing is refused (403, remaining 0) and nothing else is asked;
    // the next pass asks nothing at all before the reset.
    gh.setRate(INSTALLATION, { used: 5000, resetIn: 1 });
    const refused = await runSweepPass(w.deps, settings, Date.now());
    expect(refused).toMatchObject({ requests: 1, checked: 0, deferred: 20, failed: 0, slowed: [`github:${INSTALLATION}`] });
    const waiting = await runSweepPass(w.deps, settings, Date.now());
    expect(waiting).toMatchObject({ requests: 0, checked: 0, deferred: 20 });

    // A new hour (GitHub's reset, and the second after it that its docs ask to wait): the
    // changes the slow pass left are checked, though the listing's pages no longer show them.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const resumed = await runSweepPass(w.deps, settings, Date.now());
    expect(resumed.slowed).toEqual([]);
    expect(new Set(w.events.map((e) => e.repo.path))).toEqual(new Set(repos.slice(0, 10).map((r) => `octo/${r.name}`)));
  });

  it('a repository whose config names no registry is not read again until a config push, then it is', async () => {
    const repos = await githubWorld(3, 0);
    await runSweepPass(w.deps, settings, Date.now());
    const r0 = repos[0] as FakeRepo;
    ghCommit(r0, 'main', 'e'.repeat(40), 'docs', { 'README.md': 'more' });
    ghTag(r0, 'v1.0.0', SHA);
    r0.pushedAt = Date.now() + 10_000;
    const before = gh.log.length;
    const skipped = await runSweepPass(w.deps, settings, Date.now());
    expect(skipped).toMatchObject({ checked: 0, noRegistry: 3 });
    // Only the listing.
    expect(gh.log.slice(before).map((l) => l.route)).toEqual(['GET /installation/repositories']);

    // The config now names a registry; the push's webhook says a config file changed.
    ghCommit(r0, 'main', 'f'.repeat(40), 'publish', { 'pyproject.toml': PUBLISHING });
    await w.known.configChanged?.({ platform: 'github', id: String(r0.id), path: 'octo/r0', defaultBranch: 'main' });
    const reread = await runSweepPass(w.deps, settings, Date.now());
    expect(reread).toMatchObject({ checked: 1, noRegistry: 2 });
    expect(w.events.map((e) => (e.kind === 'tag-pushed' ? `${e.repo.path} ${e.tag}` : ''))).toEqual(['octo/r0 v1.0.0']);
  });
});

describe('the sweep on GitLab', () => {
  let gl: FakeGitlab;
  let w: World;
  afterEach(async () => {
    await gl.close();
    await cleanup(w.prefix);
  });

  async function gitlabWorld(n: number, publishing: number, options: { rateLimit?: { limit: number; windowSeconds?: number } } = {}): Promise<FakeProject[]> {
    gl = await startFakeGitlab(options);
    gl.addUser('bot', TOKEN);
    const projects: FakeProject[] = [];
    for (let i = 0; i < n; i++) {
      const p = gl.addProject(`group/p${i}`);
      glCommit(p, 'main', SHA, 'first', i < publishing ? { 'pyproject.toml': PUBLISHING } : { 'pyproject.toml': NOT_PUBLISHING });
      // GitLab tells the tagged commit's date: inside the sweep's age window.
      const commit = p.commits.get(SHA);
      if (commit !== undefined) commit.committedDate = new Date().toISOString();
      if (i < publishing) glTag(p, 'v1.0.0', SHA);
      // Quiet for hours.
      p.lastActivityAt = Date.now() - 3 * LAST_ACTIVITY_LAG_MS;
      projects.push(p);
    }
    const known: KnownRepo[] = projects.map((p) => ({ platform: 'gitlab', id: String(p.id), path: p.pathWithNamespace, defaultBranch: 'main', installationId: null, seenAt: null }));
    const rest = createGitlabRest(gl.url, TOKEN);
    w = world(
      known,
      (repo) => Promise.resolve(createGitlabPlatform({ api: { host: gl.url, token: TOKEN }, rest, projectId: Number(repo.id) })),
      () => Promise.resolve(createGitlabDirectory(rest)),
    );
    for (const p of projects.slice(0, publishing)) w.published.set(String(p.id), ['1.0.0']);
    return projects;
  }

  it('a pass over quiet projects is one request, whatever their number', async () => {
    await gitlabWorld(40, 10, { rateLimit: { limit: 2000 } });
    await runSweepPass(w.deps, settings, Date.now());
    const before = gl.log.length;
    const pass = await runSweepPass(w.deps, settings, Date.now());
    expect(pass).toMatchObject({ checked: 0, quiet: 10, noRegistry: 30, requests: 1, points: 1 });
    expect(gl.log.slice(before).map((l) => l.route)).toEqual(['GET /projects']);
  });

  it("finds a tag that no webhook announced and that did not move last_activity_at, in the next pass", async () => {
    const projects = await gitlabWorld(5, 5);
    const p2 = projects[2] as FakeProject;
    // Active 30 minutes ago: a tag pushed now leaves last_activity_at where it was.
    p2.lastActivityAt = Date.now() - 30 * 60_000;
    await runSweepPass(w.deps, settings, Date.now());
    await runSweepPass(w.deps, settings, Date.now());
    const recorded = p2.lastActivityAt;
    glTag(p2, 'v1.1.0', SHA);
    expect(p2.lastActivityAt).toBe(recorded);
    await runSweepPass(w.deps, settings, Date.now());
    expect(w.events.map((e) => (e.kind === 'tag-pushed' ? `${e.repo.path} ${e.tag}` : ''))).toEqual(['group/p2 v1.1.0']);
  });

  it('a low budget from RateLimit headers slows the sweep; a 304 still counts on GitLab', async () => {
    const projects = await gitlabWorld(10, 10, { rateLimit: { limit: 1000 } });
    await runSweepPass(w.deps, settings, Date.now());
    for (const p of projects) {
      p.lastActivityAt = Date.now();
    }
    // Listed as active: checked. The tags did not change, so each check is one
    // revalidation, answered 304, and counted.
    const before = gl.log.length;
    const revalidated = await runSweepPass(w.deps, settings, Date.now());
    expect(revalidated.checked).toBe(10);
    expect(revalidated.points).toBe(revalidated.requests);
    expect(gl.log.slice(before).filter((l) => l.status === 304)).toHaveLength(10);
    expect(revalidated.requests).toBe(11);

    const botId = gl.state.users[0]?.id ?? 0;
    // Event work has spent the minute down to 30 requests: the sweep may take 20% of them.
    gl.setRate(botId, { observed: 970, resetIn: 60 });
    // Not waiting for the next minute here (maxPassMs 0): what is left waits for a later pass.
    const slow = await runSweepPass(w.deps, { ...settings, maxPassMs: 0 }, Date.now());
    expect(slow.slowed).toEqual(['gitlab']);
    expect(slow.checked).toBeLessThan(10);
    expect(slow.points).toBeLessThanOrEqual(1 + Math.floor(0.2 * 29));
  });

  it("spreads a pass over GitLab's short windows: it waits for the next one instead of leaving work for later", async () => {
    const projects = await gitlabWorld(4, 4, { rateLimit: { limit: 50, windowSeconds: 2 } });
    const first = await runSweepPass(w.deps, settings, Date.now());
    expect(first).toMatchObject({ checked: 4, deferred: 0, slowed: ['gitlab'] });
    for (const p of projects) glTag(p, 'v1.1.0', SHA);
    for (const p of projects) p.lastActivityAt = Date.now();
    const pass = await runSweepPass(w.deps, settings, Date.now());
    expect(pass).toMatchObject({ deferred: 0, failed: 0 });
    expect(new Set(w.events.map((e) => e.repo.path))).toEqual(new Set(projects.map((p) => p.pathWithNamespace)));
    // Within its share of each window: GitLab never had to refuse.
    expect(gl.log.filter((l) => l.status === 429)).toEqual([]);
  });
});
