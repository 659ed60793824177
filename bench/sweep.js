// The sweep's cost at scale: one GitHub App installation and one GitLab token with 1,000
// and 10,000 synthetic repositories (bench/sweep-forges.js), swept by the real sweep from
// dist/ (runSweepPass: listings, conditional requests, state and budget in Redis) through
// the real adapters (ProbotOctokit, @gitbeaker/rest and plain GETs), at default settings
// (every 10 minutes, 20% of each rate limit, the newest 5 tags).
//
// For each forge and size: a first pass over repositories it has never seen (the cost of
// starting), then, from a settled state, three scenarios, each an hour of six passes:
//   nothing changed;
//   1% of the repositories get a new release tag that no webhook announced;
//   1% get a config change that names a registry (announced by its push webhook, which
//   makes the event worker forget the sweep's state), with a release tag not yet published.
// Counted at the fake forges: requests and rate-limit points (GitHub: a 304 is free; GitLab:
// every request counts), per pass and per hour; the pass's duration on loopback; the tags
// found in the first pass against those expected; Redis memory per known repository.
//
//   npm run build && node bench/sweep.js [--sizes 1000,10000] [--no-write]
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { ProbotOctokit } from 'probot';
import { redisKnownRepos } from '../dist/jobs/known-repos.js';
import { redisSweepStore } from '../dist/jobs/sweep-state.js';
import { runSweepPass } from '../dist/jobs/sweep-worker.js';
import { createLogger } from '../dist/logger.js';
import { createGithubDirectory } from '../dist/platforms/github/github-directory.js';
import { createGithubPlatform } from '../dist/platforms/github/github-platform.js';
import { createGitlabDirectory } from '../dist/platforms/gitlab/gitlab-directory.js';
import { createGitlabPlatform } from '../dist/platforms/gitlab/gitlab-platform.js';
import { createGitlabRest } from '../dist/platforms/gitlab/gitlab-rest.js';
import { machineLine, writeBlock } from './readme-section.js';
import { fakeGithubForge, fakeGitlabForge, OWNER, push, pyproject, syntheticRepos } from './sweep-forges.js';

const REDIS_URL = process.env.PYRELEASE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const INSTALLATION = 1;
const TOKEN = 'glpat-bench';
const PASSES_PER_HOUR = 6; // PYRELEASE_SWEEP_INTERVAL_MS default: 10 minutes
const SETTINGS = { tagsPerRepo: 5, maxAgeDays: 7, budgetShare: 0.2 };
const GITHUB_HOURLY = 5000;
const GITLAB_PER_MINUTE = 2000;
const log = createLogger('silent');
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1000,10000' }, 'no-write': { type: 'boolean', default: false } } });
const sizes = values.sizes.split(',').map(Number);

/** The sweep's dependencies, as the service composes them, against one fake forge. */
function sweepDeps(forge, platform, repos, redis, prefix, published, events) {
  const octokit = platform === 'github' ? new ProbotOctokit({ auth: { token: 'ghs_bench' }, baseUrl: forge.url, log: quiet, throttle: { enabled: false }, retry: { enabled: false } }) : null;
  const rest = platform === 'gitlab' ? createGitlabRest(forge.url, TOKEN) : null;
  const known = redisKnownRepos(redis, prefix);
  return {
    known,
    deps: {
      knownRepos: known,
      platformFor: async (repo) =>
        platform === 'github'
          ? createGithubPlatform({ octokit, owner: OWNER, repo: repo.path.split('/')[1] })
          : createGitlabPlatform({ api: { host: forge.url, token: TOKEN }, rest, projectId: Number(repo.id) }),
      directoryFor: async () => (platform === 'github' ? createGithubDirectory(octokit) : createGitlabDirectory(rest)),
      store: redisSweepStore(redis, prefix),
      // GitHub: the owner's .github repository, as the service reads it (none here: a 404).
      orgDefaults: async () => {
        if (platform !== 'github') return null;
        try {
          const p = createGithubPlatform({ octokit, owner: OWNER, repo: '.github' });
          return await p.readFile('.github/pyrelease.yml', await p.defaultBranch());
        } catch {
          return null;
        }
      },
      publishedVersions: async (repo, names) => names.map((registry) => ({ registry, refusesLocal: true, versions: [...(published.get(repo.id) ?? [])] })),
      // The publish job runs and the index has the version by the next pass.
      enqueueEvent: async (event) => {
        events.push(event);
        const version = event.tag.replace(/^v/, '');
        published.set(event.repo.id, new Set([...(published.get(event.repo.id) ?? []), version]));
        return { jobId: event.meta.deliveryId, created: true };
      },
      log,
    },
  };
}

/**
 * One pass. The passes of a bench hour run back to back, not ten minutes apart: for GitLab,
 * whose rate-limit window is a minute, each pass starts a new window at the fake and the
 * sweep forgets the old one (its reading and what it spent in it), as ten minutes would.
 */
async function pass(deps, forge, redis, prefix) {
  if (forge.rate.observed !== undefined) {
    forge.rate.resetAt = 0;
    const spent = await redis.keys(`${prefix}:sweep:spent:gitlab:*`);
    if (spent.length > 0) await redis.del(...spent);
    await redis.hdel(`${prefix}:sweep:rate`, 'gitlab');
  }
  forge.reset();
  const t0 = performance.now();
  const result = await runSweepPass(deps, SETTINGS, Date.now());
  return { ms: performance.now() - t0, requests: forge.counters.requests, points: forge.counters.points, notModified: forge.counters.notModified, result };
}

/** Each scenario gets an hour of its own: the fake's limit and what the sweep spent start afresh. */
async function hour(deps, forge, redis, prefix) {
  if (forge.rate.used !== undefined) Object.assign(forge.rate, { used: 0, resetAt: 0 });
  const spent = await redis.keys(`${prefix}:sweep:spent:*`);
  if (spent.length > 0) await redis.del(...spent);
  await redis.del(`${prefix}:sweep:rate`);
  const passes = [];
  for (let i = 0; i < PASSES_PER_HOUR; i++) passes.push(await pass(deps, forge, redis, prefix));
  return passes;
}

async function measure(platform, n, redis) {
  const repos = syntheticRepos(n);
  const forge = platform === 'github' ? await fakeGithubForge(repos, { limit: 1e9 }) : await fakeGitlabForge(repos, { limit: 1e9 });
  const prefix = `{bench-sweep-${randomBytes(4).toString('hex')}}`;
  const published = new Map(repos.filter((r) => r.kind === 'publishing').map((r) => [String(r.id), new Set(['1.0.0'])]));
  const events = [];
  const { known, deps } = sweepDeps(forge, platform, repos, redis, prefix, published, events);
  try {
    for (const r of repos) await known.remember({ platform, id: String(r.id), path: `${OWNER}/${r.name}`, defaultBranch: 'main' }, platform === 'github' ? INSTALLATION : null);

    const cold = await pass(deps, forge, redis, prefix);
    // Settle, as an organisation that has been running for a while: every publishing
    // repository pushed to once and checked again, then quiet for hours.
    for (const r of repos) if (r.kind === 'publishing') push(r, Date.now() - 1800_000);
    await pass(deps, forge, redis, prefix);
    for (const r of repos) r.lastActivityAt = Date.now() - 3 * 3600_000;
    if (platform === 'gitlab') await pass(deps, forge, redis, prefix);
    const memory = {
      state: Number(await redis.memory('USAGE', `${prefix}:sweep:repos`, 'SAMPLES', '0')) / n,
      known: Number(await redis.memory('USAGE', `${prefix}:known-repos`, 'SAMPLES', '0')) / n,
    };

    // Measured at the forges' real limits from here on.
    if (platform === 'github') Object.assign(forge.rate, { limit: GITHUB_HOURLY, used: 0, resetAt: 0 });
    else Object.assign(forge.rate, { limit: GITLAB_PER_MINUTE, observed: 0, resetAt: 0 });

    const nothing = await hour(deps, forge, redis, prefix);

    const onePercent = Math.max(1, Math.floor(n / 100));
    const tagged = repos.filter((r) => r.kind === 'publishing').slice(0, onePercent);
    events.length = 0;
    for (const r of tagged) {
      r.tags.unshift({ name: 'v1.1.0', sha: createHash('sha1').update(`${r.name}-2`).digest('hex'), at: Date.now() });
      push(r, Date.now() - 60_000);
    }
    const newTag = await hour(deps, forge, redis, prefix);
    const tagFound = new Set(events.filter((e) => e.tag === 'v1.1.0').map((e) => e.repo.id)).size;

    // An hour later: the tagged repositories' activity is out of GitLab's window.
    for (const r of tagged) r.lastActivityAt = Date.now() - 3 * 3600_000;
    const changed = repos.filter((r) => r.kind === 'python').slice(0, onePercent);
    events.length = 0;
    for (const r of changed) {
      r.files['pyproject.toml'] = pyproject(r.name, true);
      push(r, Date.now() - 60_000);
      // The push webhook said a config file changed: the event worker forgets the sweep's state.
      await known.configChanged({ platform, id: String(r.id), path: `${OWNER}/${r.name}`, defaultBranch: 'main' });
    }
    const config = await hour(deps, forge, redis, prefix);
    const configFound = new Set(events.filter((e) => e.tag === 'v1.0.0').map((e) => e.repo.id)).size;

    return { platform, n, cold, memory, scenarios: { nothing, newTag, config }, found: { newTag: [tagFound, tagged.length], config: [configFound, changed.length] } };
  } finally {
    await forge.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');
const sum = (passes, key) => passes.reduce((a, p) => a + p[key], 0);

function rows(m) {
  const budget = m.platform === 'github' ? `${GITHUB_HOURLY.toLocaleString('en-US')}/h` : `${GITLAB_PER_MINUTE.toLocaleString('en-US')}/min`;
  const share = (points) => (m.platform === 'github' ? `${((100 * points) / GITHUB_HOURLY).toFixed(1)}% of ${budget}` : `${((100 * points) / (GITLAB_PER_MINUTE * 60)).toFixed(2)}% of ${budget} × 60`);
  const line = (name, passes, found) => {
    const first = passes[0];
    const points = sum(passes, 'points');
    return `| ${m.platform} | ${fmt(m.n)} | ${name} | ${fmt(first.requests)} (${fmt(first.notModified)} × 304) | ${fmt(first.points)} | ${fmt(points)} (${share(points)}) | ${fmt(sum(passes, 'requests'))} | ${(first.ms / 1000).toFixed(1)} s | ${found} |`;
  };
  return [
    `| ${m.platform} | ${fmt(m.n)} | first pass, nothing known | ${fmt(m.cold.requests)} | ${fmt(m.cold.points)} | | | ${(m.cold.ms / 1000).toFixed(1)} s | |`,
    line('nothing changed', m.scenarios.nothing, ''),
    line('1% new tag, no webhook', m.scenarios.newTag, `${m.found.newTag[0]} / ${m.found.newTag[1]}`),
    line('1% config change', m.scenarios.config, `${m.found.config[0]} / ${m.found.config[1]}`),
  ];
}

const redis = new Redis(REDIS_URL);
const results = [];
try {
  for (const n of sizes) {
    for (const platform of ['github', 'gitlab']) {
      console.log(`${platform}, ${n} repositories...`);
      const m = await measure(platform, n, redis);
      results.push(m);
      console.log(rows(m).join('\n'));
    }
  }
} finally {
  redis.disconnect();
}

const table = [
  '| forge | repositories | scenario | requests, first pass | points, first pass | points in the hour (6 passes) | requests in the hour | first pass took | tags found in the first pass |',
  '|---|---:|---|---:|---:|---:|---:|---:|---:|',
  ...results.flatMap(rows),
].join('\n');
const memory = results.map((m) => `${m.platform} ${fmt(m.n)}: ${fmt(m.memory.state)} B of sweep state and ${fmt(m.memory.known)} B of known-repos entry per repository`).join('; ');

const big = (platform) => results.filter((m) => m.platform === platform).sort((a, b) => b.n - a.n)[0];
const goals = [];
const gh = big('github');
if (gh !== undefined) {
  const points = sum(gh.scenarios.nothing, 'points');
  const met = points <= 0.1 * GITHUB_HOURLY;
  goals.push(
    `- **${fmt(gh.n)} repositories in one GitHub installation use at most 10% of the hourly budget when nothing changed: ${met ? 'met' : 'not met'}.** ${fmt(points)} points in the hour (${((100 * points) / GITHUB_HOURLY).toFixed(1)}% of ${fmt(GITHUB_HOURLY)}): the listing's ${fmt(gh.scenarios.nothing[0].notModified)} pages answer 304, which GitHub does not count; what is counted is the owner's \`.github\` lookup for organisation defaults, once a pass.`,
  );
}
const gl = big('gitlab');
if (gl !== undefined) {
  const worst = Math.max(...gl.scenarios.nothing.map((p) => p.requests));
  goals.push(`- **A pass over quiet GitLab repositories makes at most one request per two repositories: ${worst <= gl.n / 2 ? 'met' : 'not met'}.** ${fmt(worst)} request(s) for ${fmt(gl.n)} quiet projects (one \`GET /projects?last_activity_after=...\`).`);
}
const allFound = results.every((m) => m.found.newTag[0] === m.found.newTag[1] && m.found.config[0] === m.found.config[1]);
goals.push(`- **A tag that no webhook announced is found within one interval: ${allFound ? 'met' : 'not met'}.** Every new tag of the 1% scenario, and every release the config change made due, was queued by the first pass after it, at every size on both forges.`);

await writeBlock(
  'sweep',
  [machineLine(`, Redis at ${REDIS_URL.replace(/\/\/[^@]*@/, '//')}`), '', table, '', `Redis memory: ${memory}.`, '', 'Goals:', '', ...goals].join('\n'),
);
