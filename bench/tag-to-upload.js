// Time from a tag webhook (GitLab's Tag Push Hook, and GitHub's push) to the first upload
// request at the index, with the build left out: the files for each release are built once before the timed part and
// kept where the publish job looks for an earlier attempt's files
// (<PYRELEASE_DATA_DIR>/artifacts/<publishJobId>/), so the job reuses them.
//
//   pyrelease: the real startService from dist/main.js with runWorkers: true (web, event
//              and publish workers in one process), Redis on 127.0.0.1:6379 under a unique
//              key prefix deleted at the end.
//   GitLab:    a small fake on 127.0.0.1 below, answering only the routes a tag release
//              calls, with the JSON shapes GitLab documents (doc/api: users, projects,
//              repository_files, commits, tags, commit status, releases).
//   GitHub:    the same for a GitHub App on GitHub Enterprise Server (bench/fake-github.js);
//              APP_SLUG is set, so the App is not read at start.
//   index:     a fake on 127.0.0.1: the simple API answers 404 (no such project, so each
//              file is absent), the upload POST records when the first request arrives
//              and answers 200.
//
//   npm run build && node bench/tag-to-upload.js [--runs N] [--forge gitlab|github|both] [--no-write]
import { execFileSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fakeGithub, githubTagPush, REPO_ID } from './fake-github.js';
import { serveFake } from './fake-server.js';
import { machineLine, writeBlock } from './readme-section.js';

const REDIS_URL = process.env.PYRELEASE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PROJECT_ID = 4242;
const PROJECT_PATH = 'bench/sample';
const PACKAGE = 'bench-sample';

const pyproject = (version) =>
  [
    '[build-system]',
    'requires = ["setuptools>=61"]',
    'build-backend = "setuptools.build_meta"',
    '',
    '[project]',
    `name = "${PACKAGE}"`,
    `version = "${version}"`,
    'description = "pyrelease tag-to-upload bench"',
    'requires-python = ">=3.8"',
    '',
    '[tool.setuptools.packages.find]',
    'where = ["src"]',
    '',
    '[tool.pyrelease]',
    'registries = ["fake"]',
    '',
  ].join('\n');

/** A tiny setuptools project built with Debian's python3-build, no isolation: the sdist and the wheel. */
export async function buildDists(root, version) {
  const dir = join(root, `project-${version}`);
  await mkdir(join(dir, 'src', 'bench_sample'), { recursive: true });
  await writeFile(join(dir, 'pyproject.toml'), pyproject(version));
  await writeFile(join(dir, 'src', 'bench_sample', '__init__.py'), `__version__ = "${version}"\n`);
  const out = join(dir, 'dist');
  execFileSync('/usr/bin/python3', ['-m', 'build', '-n', '-x', '--outdir', out, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  return (await readdir(out)).sort().map((f) => join(out, f));
}

// ---------------------------------------------------------------- fake GitLab

export function fakeGitlab(token) {
  const commits = new Map(); // sha -> { version, message }
  const tags = new Map(); // name -> sha
  const releases = new Map(); // tag -> body
  const statuses = [];
  const unknown = [];
  const calls = []; // { at, what }: which routes a release calls, in order
  const commitJson = (sha) => ({
    id: sha,
    short_id: sha.slice(0, 8),
    title: commits.get(sha).message,
    message: commits.get(sha).message,
    parent_ids: [],
    author_name: 'Bench Author',
    author_email: 'author@example.invalid',
    created_at: '2026-01-01T00:00:00.000Z',
    committed_date: '2026-01-01T00:00:00.000Z',
  });
  const tagJson = (name) => ({ name, message: '', target: tags.get(name), commit: commitJson(tags.get(name)), release: null, protected: true });
  const resolve = (ref) => (commits.has(ref) ? ref : tags.get(ref) ?? (ref === 'main' ? [...commits.keys()].at(-1) : undefined));
  // One page holds everything here; the headers are GitLab's pagination headers.
  const page = (items) => ({ status: 200, body: items, headers: { 'X-Total': String(items.length), 'X-Total-Pages': '1', 'X-Page': '1', 'X-Per-Page': '100', 'X-Next-Page': '' } });
  const notFound = (what) => ({ status: 404, body: { message: `404 ${what} Not Found` } });

  const p = `/api/v4/projects/(?:${PROJECT_ID}|${encodeURIComponent(PROJECT_PATH)})`;
  const routes = [
    ['GET', /^\/api\/v4\/user$/, () => ({ status: 200, body: { id: 7, username: 'pyrelease-bot', name: 'pyrelease bot', state: 'active', avatar_url: null, web_url: 'http://gitlab.invalid/pyrelease-bot' } })],
    ['GET', new RegExp(`^${p}$`), () => ({ status: 200, body: { id: PROJECT_ID, name: 'sample', path_with_namespace: PROJECT_PATH, default_branch: 'main' } })],
    [
      'GET',
      new RegExp(`^${p}/repository/files/([^/]+)/raw$`),
      (m, q) => {
        const sha = resolve(q.get('ref') ?? 'main');
        if (sha === undefined || decodeURIComponent(m[1]) !== 'pyproject.toml') return notFound('File');
        return { status: 200, raw: pyproject(commits.get(sha).version), headers: { 'Content-Type': 'text/plain; charset=utf-8' } };
      },
    ],
    ['GET', new RegExp(`^${p}/repository/commits/([^/]+)$`), (m) => (resolve(m[1]) === undefined ? notFound('Commit') : { status: 200, body: commitJson(resolve(m[1])) })],
    [
      'GET',
      new RegExp(`^${p}/repository/commits/([^/]+)/refs$`),
      (m, q) => {
        const sha = resolve(m[1]);
        if (sha === undefined) return notFound('Commit');
        const type = q.get('type') ?? 'all';
        const refs = [];
        if (type !== 'tag') refs.push({ type: 'branch', name: 'main' });
        if (type !== 'branch') for (const [name, at] of tags) if (at === sha) refs.push({ type: 'tag', name });
        return page(refs);
      },
    ],
    ['GET', new RegExp(`^${p}/repository/commits/([^/]+)/merge_requests$`), () => page([])],
    ['GET', new RegExp(`^${p}/repository/tags$`), () => page([...tags.keys()].reverse().map(tagJson))],
    ['GET', new RegExp(`^${p}/repository/tags/([^/]+)$`), (m) => (tags.has(decodeURIComponent(m[1])) ? { status: 200, body: tagJson(decodeURIComponent(m[1])) } : notFound('Tag'))],
    ['GET', new RegExp(`^${p}/protected_tags$`), () => page([{ name: 'v*', create_access_levels: [{ id: 1, access_level: 40, access_level_description: 'Maintainers' }] }])],
    [
      'POST',
      new RegExp(`^${p}/statuses/([0-9a-f]+)$`),
      (m, q, input) => {
        const status = { id: statuses.length + 1, sha: m[1], ref: input.ref ?? 'main', status: input.state, name: input.name ?? input.context ?? 'default', target_url: input.target_url ?? null, description: input.description ?? null, created_at: '2026-01-01T00:00:00.000Z', allow_failure: false };
        statuses.push(status);
        return { status: 201, body: status };
      },
    ],
    ['GET', new RegExp(`^${p}/repository/commits/([^/]+)/statuses$`), (m) => page(statuses.filter((s) => s.sha === m[1]))],
    ['GET', new RegExp(`^${p}/releases/([^/]+)$`), (m) => (releases.has(decodeURIComponent(m[1])) ? { status: 200, body: releases.get(decodeURIComponent(m[1])) } : { status: 404, body: { message: '404 Not Found' } })],
    [
      'POST',
      new RegExp(`^${p}/releases$`),
      (m, q, input) => {
        if (releases.has(input.tag_name)) return { status: 409, body: { message: 'Release already exists' } };
        const links = (input.assets?.links ?? []).map((l, i) => ({ id: i + 1, name: l.name, url: l.url, direct_asset_url: l.url, link_type: l.link_type ?? 'other' }));
        const release = { tag_name: input.tag_name, name: input.name ?? input.tag_name, description: input.description ?? '', created_at: '2026-01-01T00:00:00.000Z', released_at: '2026-01-01T00:00:00.000Z', commit: commitJson(tags.get(input.tag_name)), assets: { count: links.length, sources: [], links } };
        releases.set(input.tag_name, release);
        return { status: 201, body: release };
      },
    ],
    ['GET', new RegExp(`^${p}/releases/([^/]+)/assets/links$`), (m) => page(releases.get(decodeURIComponent(m[1]))?.assets.links ?? [])],
  ];

  return serveFake((req, raw) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const what = `${req.method} ${url.pathname.replace(/^\/api\/v4\/projects\/[^/]+/, '/projects/:id').replace(/\b[0-9a-f]{40}\b/g, ':sha').replace(/\/v\d[^/]*/g, '/:tag')}${url.searchParams.has('type') ? `?type=${url.searchParams.get('type')}` : ''}`;
    calls.push({ at: performance.now(), what: `GitLab ${what}` });
    let reply;
    if (req.headers['private-token'] !== token && req.headers.authorization !== `Bearer ${token}`) reply = { status: 401, body: { message: '401 Unauthorized' } };
    else {
      let input = Object.fromEntries(url.searchParams);
      if (raw !== '') input = { ...input, ...(req.headers['content-type']?.includes('json') ? JSON.parse(raw) : Object.fromEntries(new URLSearchParams(raw))) };
      for (const [method, re, handle] of routes) {
        const m = req.method === method ? re.exec(url.pathname) : null;
        if (m !== null) {
          reply = handle(m, url.searchParams, input);
          break;
        }
      }
      if (reply === undefined) {
        unknown.push(`${req.method} ${url.pathname}`);
        reply = { status: 404, body: { error: '404 Not Found' } };
      }
    }
    return { status: reply.status, headers: { 'Content-Type': 'application/json', ...reply.headers }, text: reply.raw ?? JSON.stringify(reply.body) };
  }).then((served) => ({ ...served, commits, tags, releases, statuses, unknown, calls }));
}

// ---------------------------------------------------------------- fake index

export function fakeIndex(calls) {
  const state = { firstUploadAt: null, uploads: 0, lookups: 0 };
  const server = http.createServer((req, res) => {
    // The clock stops when the request arrives, before its body is read.
    if (req.method === 'POST' && req.url?.startsWith('/legacy')) {
      state.firstUploadAt ??= performance.now();
      state.uploads++;
    } else state.lookups++;
    calls.push({ at: performance.now(), what: `index ${req.method} ${req.method === 'POST' ? 'upload' : 'simple page'}` });
    req.resume();
    req.on('end', () => {
      const ok = req.method === 'POST';
      res.writeHead(ok ? 200 : 404, { 'Content-Type': 'text/plain' });
      res.end(ok ? 'OK' : 'Not Found');
    });
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}`;
      done({ state, uploadUrl: `${url}/legacy/`, simpleUrl: `${url}/simple/`, close: () => new Promise((r) => server.close(() => r())) });
    }),
  );
}

// ---------------------------------------------------------------- run

export function tagPush(tag, sha) {
  return {
    object_kind: 'tag_push',
    event_name: 'tag_push',
    before: '0'.repeat(40),
    after: sha,
    ref: `refs/tags/${tag}`,
    ref_protected: true,
    checkout_sha: sha,
    user_id: 1,
    user_name: 'Bench User',
    user_username: 'bench',
    user_email: '',
    user_avatar: null,
    project_id: PROJECT_ID,
    project: { id: PROJECT_ID, name: 'sample', description: '', web_url: 'http://gitlab.invalid/bench/sample', avatar_url: null, git_ssh_url: 'git@gitlab.invalid:bench/sample.git', git_http_url: 'http://gitlab.invalid/bench/sample.git', namespace: 'bench', visibility_level: 0, path_with_namespace: PROJECT_PATH, default_branch: 'main', homepage: 'http://gitlab.invalid/bench/sample', url: 'git@gitlab.invalid:bench/sample.git', ssh_url: 'git@gitlab.invalid:bench/sample.git', http_url: 'http://gitlab.invalid/bench/sample.git' },
    repository: { name: 'sample', url: 'git@gitlab.invalid:bench/sample.git', description: '', homepage: 'http://gitlab.invalid/bench/sample', git_http_url: 'http://gitlab.invalid/bench/sample.git', git_ssh_url: 'git@gitlab.invalid:bench/sample.git', visibility_level: 0 },
    commits: [],
    total_commits_count: 0,
  };
}

/** Median, min and max of a list of milliseconds. */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Deletes every Redis key under a bench's unique prefix. */
export async function deleteKeys(redis, prefix) {
  for (let cursor = '0'; ; ) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
}

/**
 * What the release benches (this one and worker-memory.js) stand on: every version's
 * sdist and wheel built before anything is measured, the fake GitLab and index, the
 * environment and server config file a service or `pyrelease worker` needs, and the real
 * web service started with them (runWorkers as given), under a unique Redis key prefix.
 */
export async function releaseRig({ name, versions, runWorkers, forge = 'gitlab' }) {
  const { startService } = await import('../dist/main.js');
  const { loadConfig } = await import('../dist/config.js');
  const { createLogger } = await import('../dist/logger.js');
  const { parseServerConfig } = await import('../dist/server-config.js');
  const { publishJobId } = await import('../dist/jobs/publish-job.js');
  const { saveArtifacts } = await import('../dist/publishing/artifacts.js');
  const { pino } = await import('pino');
  const { Redis } = await import('ioredis');

  const root = await mkdtemp(join(tmpdir(), `pyrelease-bench-${name}-`));
  const dataDir = join(root, 'data');
  const t0 = performance.now();
  const dists = new Map();
  for (const v of versions) dists.set(v, await buildDists(root, v));
  const buildMs = (performance.now() - t0) / versions.length;
  console.log(`built ${versions.length} releases (sdist + wheel), ${Math.round(buildMs)} ms each: not timed`);

  const gitlabToken = `glpat-${randomBytes(12).toString('hex')}`;
  const secret = randomBytes(16).toString('hex');
  const prefix = `{pyrelease-bench-${name}-${process.pid}-${randomBytes(4).toString('hex')}}`;
  const gitlab = await fakeGitlab(gitlabToken);
  const github = await fakeGithub(gitlab.calls);
  const index = await fakeIndex(gitlab.calls);
  // The operator grants the bench repository the target (nobody may publish to it otherwise).
  const serverYaml = `registries:\n  fake:\n    upload-url: ${index.uploadUrl}\n    simple-url: ${index.simpleUrl}\npublishers:\n  fake:\n    - gitlab: [${PROJECT_PATH}]\n      github: [${PROJECT_PATH}]\n      projects: ['*']\n`;
  const configFile = join(root, 'pyrelease.yml');
  await writeFile(configFile, serverYaml);
  const env = {
    LOG_LEVEL: 'info',
    REDIS_URL,
    PYRELEASE_QUEUE_PREFIX: prefix,
    PYRELEASE_DATA_DIR: dataDir,
    PYRELEASE_BUILD_ISOLATION: 'false',
    PYRELEASE_CONFIG: configFile,
    PYRELEASE_REGISTRY_FAKE_TOKEN: `pypi-${randomBytes(16).toString('hex')}`,
    ...(forge === 'gitlab'
      ? { GITLAB_URL: gitlab.url, GITLAB_TOKEN: gitlabToken, GITLAB_WEBHOOK_SECRET: secret }
      : {
          APP_ID: '4242',
          APP_SLUG: 'pyrelease-bench',
          PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          WEBHOOK_SECRET: secret,
          GHE_HOST: new URL(github.url).host,
          GHE_PROTOCOL: 'http',
        }),
  };
  const loaded = loadConfig({ ...env, PORT: '0', HOST: '127.0.0.1' });
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const server = parseServerConfig(serverYaml);
  if (!server.ok) throw new Error(server.errors.join('; '));
  const log = createLogger(loaded.config.logLevel, pino.destination({ dest: '/dev/null', sync: true }));
  const service = await startService({ config: loaded.config, server: server.config, env, log, runWorkers });
  const redis = new Redis(REDIS_URL, { connectionName: `pyrelease-bench-${name}`, maxRetriesPerRequest: 1 });

  const tags = forge === 'gitlab' ? gitlab.tags : github.tags;
  return {
    env,
    gitlab,
    github,
    /** Every request the forge and the index saw, in order. */
    calls: gitlab.calls,
    index,
    buildMs,
    workerConcurrency: loaded.config.workerConcurrency,
    /** Tags a new commit `v<version>` on the fake forge and keeps its files where its publish job will reuse them. */
    stage: async (version) => {
      const sha = randomBytes(20).toString('hex');
      if (forge === 'gitlab') gitlab.commits.set(sha, { version, message: `Release ${version}` });
      else github.commits.set(sha, { files: { 'pyproject.toml': pyproject(version) }, message: `Release ${version}` });
      tags.set(`v${version}`, sha);
      const jobId = publishJobId({ platform: forge, repo: String(forge === 'gitlab' ? PROJECT_ID : REPO_ID), version, sha });
      await saveArtifacts(join(dataDir, 'artifacts', jobId), dists.get(version));
      return sha;
    },
    /** Sends the forge's webhook for a staged tag, as the forge does; resolves to the answer. */
    sendTag: async (tag) => {
      const body = JSON.stringify(forge === 'gitlab' ? tagPush(tag, tags.get(tag)) : githubTagPush(tag, tags.get(tag)));
      const headers =
        forge === 'gitlab'
          ? { 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': secret, 'idempotency-key': randomUUID() }
          : { 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
      const res = await fetch(`${service.url}${forge === 'gitlab' ? '/webhooks/gitlab' : '/api/github/webhooks'}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      return { status: res.status, body: await res.json() };
    },
    /** Whether the forge release of a staged tag exists and its status or check run says success. */
    released: (tag) =>
      forge === 'gitlab'
        ? gitlab.releases.has(tag) && gitlab.statuses.some((s) => s.sha === tags.get(tag) && s.status === 'success')
        : github.releases.has(tag) && github.checkRuns.some((c) => c.head_sha === tags.get(tag) && c.conclusion === 'success'),
    /** Resolves once check() holds after a forge request, or rejects after ms. */
    until: (check, ms, what) => (forge === 'gitlab' ? gitlab.until(check, ms, what) : github.until(check, ms, what)),
    /** Routes the fake forge does not serve (answered 404). */
    unknown: () => (forge === 'gitlab' ? gitlab.unknown : github.unknown),
    close: async () => {
      await service.close();
      await deleteKeys(redis, prefix);
      redis.disconnect();
      await gitlab.close();
      await github.close();
      await index.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

const FORGE_NAMES = { gitlab: 'GitLab', github: 'GitHub' };

/** One release after another through one forge: each run's ack and first-upload times, and the calls before the upload. */
async function measure(forge, versions) {
  const rig = await releaseRig({ name: `t2u-${forge}`, versions, runWorkers: true, forge });
  const { index } = rig;
  const results = [];
  try {
    for (const [i, version] of versions.entries()) {
      const tag = `v${version}`;
      await rig.stage(version);
      index.state.firstUploadAt = null;
      const uploadsBefore = index.state.uploads;

      const sentAt = performance.now();
      const firstCall = rig.calls.length;
      const answer = await rig.sendTag(tag);
      const ackMs = performance.now() - sentAt;
      if (answer.status !== 200 || answer.body.status !== 'queued') throw new Error(`${forge} webhook answered ${answer.status} ${JSON.stringify(answer.body)}`);
      const deadline = Date.now() + 20_000;
      while (index.state.firstUploadAt === null) {
        if (Date.now() > deadline) throw new Error(`no upload within 20 s for ${tag} on ${forge}; routes the fake lacks: ${rig.unknown().join(', ') || 'none'}`);
        await new Promise((r) => setTimeout(r, 1));
      }
      const toUploadMs = index.state.firstUploadAt - sentAt;
      // Let the release finish (both files, the forge release, the final status) before the next one.
      await rig.until(() => rig.released(tag), 20_000, `the release of ${tag} on ${forge}`);
      const before = rig.calls.slice(firstCall).filter((c) => c.at <= index.state.firstUploadAt).map((c) => c.what);
      results.push({ version, ackMs, toUploadMs, uploads: index.state.uploads - uploadsBefore, before });
      console.log(`${forge} run ${i + 1}/${versions.length} ${tag}: ack ${ackMs.toFixed(1)} ms, first upload after ${toUploadMs.toFixed(1)} ms, ${index.state.uploads - uploadsBefore} upload(s)`);
    }
  } finally {
    await rig.close();
  }
  if (rig.unknown().length > 0) console.log(`${forge} routes the fake does not serve (answered 404): ${[...new Set(rig.unknown())].join(', ')}`);
  return { forge, results, buildMs: rig.buildMs };
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, forge: { type: 'string', default: 'both' }, 'no-write': { type: 'boolean', default: false } } });
  const runs = Number(values.runs);
  const forges = values.forge === 'both' ? ['gitlab', 'github'] : [values.forge];
  if (!forges.every((f) => f in FORGE_NAMES)) throw new Error(`--forge takes gitlab, github or both, not ${values.forge}`);
  const watchdog = setTimeout(() => {
    console.error('bench/tag-to-upload.js: watchdog fired, stopping');
    process.exit(2);
  }, forges.length * (30_000 + runs * 25_000));
  watchdog.unref();

  const versions = Array.from({ length: runs }, (_, i) => `1.0.${i + 1}`);
  const measured = [];
  try {
    for (const forge of forges) measured.push(await measure(forge, versions));
  } finally {
    clearTimeout(watchdog);
  }

  const f = (n) => n.toFixed(1);
  const rows = [];
  const details = [];
  for (const { forge, results } of measured) {
    const name = FORGE_NAMES[forge];
    const ack = summarize(results.map((r) => r.ackMs));
    const upload = summarize(results.map((r) => r.toUploadMs));
    rows.push(`| ${name}: its 200 "queued" answer (webhook ack) | ${f(ack.median)} | ${f(ack.min)} | ${f(ack.max)} |`);
    rows.push(`| ${name}: the first upload request arriving at the index | ${f(upload.median)} | ${f(upload.min)} | ${f(upload.max)} |`);
    // The calls of the last release, up to and including its first upload, grouped in order.
    const sequence = [];
    for (const what of results.at(-1)?.before ?? []) {
      const last = sequence.at(-1);
      if (last?.what === what) last.n++;
      else sequence.push({ what, n: 1 });
    }
    details.push(`${name}, each run in order (ms to the first upload): ${results.map((r) => f(r.toUploadMs)).join(', ')}; the first is the service's first release since it started.`);
    details.push('');
    details.push(`What the service asked of the fakes from the ${name} webhook to the first upload (last run, in order): ${sequence.map((c) => (c.n > 1 ? `${c.what} (x${c.n})` : c.what)).join('; ')}.`);
    details.push('');
  }
  const buildMs = Math.round(measured.reduce((sum, m) => sum + m.buildMs, 0) / measured.length);
  const generated = [
    `${runs} tag releases per forge, one after another, each a new version and commit. ${machineLine(`, ${execFileSync('/usr/bin/python3', ['--version'], { encoding: 'utf8' }).trim()} for the (untimed) builds`)}`,
    '',
    '| from the tag webhook being sent to | median ms | min ms | max ms |',
    '|---|---:|---:|---:|',
    ...rows,
    '',
    ...details,
    `Not included: the build (\`python3 -m build -n -x\` of this tiny setuptools project took about ${buildMs} ms per release here, done before the timed part), the upload itself and everything after it (the second file, the forge release, the final status or check run).`,
  ].join('\n');
  console.log(`\n${generated}`);
  if (!values['no-write']) await writeBlock('tag-to-upload', generated);
}

if (process.argv[1] === new URL(import.meta.url).pathname) await main();
