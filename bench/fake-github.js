// A small fake GitHub Enterprise Server for bench/tag-to-upload.js: only the REST routes a
// tag release calls (under /api/v3, as GHES serves them), with the JSON shapes GitHub
// documents (docs.github.com/rest: apps, repos, contents, commits, git refs, checks,
// releases, pulls). The App's JWT is not verified: the bench measures pyrelease, and the
// test suite's fake (test/fakes/fake-github.ts) checks authentication.
import { serveFake } from './fake-server.js';

export const OWNER = 'bench';
export const REPO = 'sample';
export const REPO_ID = 4343;
export const INSTALLATION_ID = 77;

/** `commits` (sha -> { files, message }) and `tags` (name -> sha) are filled by the bench. */
export function fakeGithub(calls) {
  const commits = new Map();
  const tags = new Map();
  const releases = new Map(); // tag -> release
  const checkRuns = [];
  const unknown = [];
  const now = '2026-01-01T00:00:00Z';
  const notFound = { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
  const commitJson = (sha) => ({ sha, commit: { message: commits.get(sha).message, author: { name: 'Bench', email: 'bench@example.invalid', date: now } }, parents: [] });
  const resolve = (ref) => (commits.has(ref) ? ref : tags.get(ref.replace(/^(refs\/)?tags\//, '')) ?? (ref === 'main' || ref === 'heads/main' ? [...commits.keys()].at(-1) : undefined));
  const r = `^/repos/${OWNER}/${REPO}`;

  const routes = [
    ['POST', /^\/app\/installations\/(\d+)\/access_tokens$/, () => ({ status: 201, body: { token: `ghs_bench${Date.now()}`, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { contents: 'write', checks: 'write' }, repository_selection: 'all' } })],
    // The sweep asks for failed deliveries at start: there are none.
    ['GET', /^\/app\/hook\/deliveries$/, () => ({ status: 200, body: [] })],
    // No organisation defaults repository (`.github`): GitHub answers 404.
    ['GET', new RegExp(`^/repos/${OWNER}/\\.github(/.*)?$`), () => notFound],
    ['GET', new RegExp(`${r}$`), () => ({ status: 200, body: { id: REPO_ID, name: REPO, full_name: `${OWNER}/${REPO}`, default_branch: 'main', private: false } })],
    // Every commit of the bench is on main, whose head is the newest.
    ['GET', new RegExp(`${r}/branches$`), () => ({ status: 200, body: [{ name: 'main', commit: { sha: [...commits.keys()].at(-1) }, protected: false }] })],
    [
      'GET',
      new RegExp(`${r}/contents/(.+)$`),
      (m, q) => {
        const sha = resolve(q.get('ref') ?? 'main');
        const text = sha === undefined ? undefined : commits.get(sha).files[decodeURIComponent(m[1])];
        if (text === undefined) return notFound;
        return { status: 200, body: { type: 'file', encoding: 'base64', size: Buffer.byteLength(text), name: decodeURIComponent(m[1]), path: decodeURIComponent(m[1]), content: Buffer.from(text).toString('base64'), sha: 'f'.repeat(40) } };
      },
    ],
    ['GET', new RegExp(`${r}/commits/([^/]+)$`), (m) => (resolve(decodeURIComponent(m[1])) === undefined ? notFound : { status: 200, body: commitJson(resolve(decodeURIComponent(m[1]))) })],
    ['GET', new RegExp(`${r}/commits/([^/]+)/pulls$`), () => ({ status: 200, body: [] })],
    ['GET', new RegExp(`${r}/commits/([^/]+)/branches-where-head$`), () => ({ status: 200, body: [] })],
    ['GET', new RegExp(`${r}/git/ref/tags/(.+)$`), (m) => (tags.has(decodeURIComponent(m[1])) ? { status: 200, body: { ref: `refs/tags/${decodeURIComponent(m[1])}`, object: { type: 'commit', sha: tags.get(decodeURIComponent(m[1])) } } } : notFound)],
    ['GET', new RegExp(`${r}/git/matching-refs/tags/?(.*)$`), () => ({ status: 200, body: [...tags].map(([name, sha]) => ({ ref: `refs/tags/${name}`, object: { type: 'commit', sha } })) })],
    ['GET', new RegExp(`${r}/tags$`), () => ({ status: 200, body: [...tags].reverse().map(([name, sha]) => ({ name, commit: { sha } })) })],
    ['GET', new RegExp(`${r}/rulesets$`), () => ({ status: 200, body: [] })],
    ['GET', new RegExp(`${r}/compare/(.+)$`), (m) => {
      const [base, head] = decodeURIComponent(m[1]).split('...');
      return { status: 200, body: resolve(base) === resolve(head) ? { status: 'identical', ahead_by: 0, behind_by: 0 } : { status: 'behind', ahead_by: 0, behind_by: 1 } };
    }],
    ['GET', new RegExp(`${r}/commits/([^/]+)/check-runs$`), (m) => ({ status: 200, body: { total_count: 0, check_runs: checkRuns.filter((c) => c.head_sha === m[1]) } })],
    [
      'POST',
      new RegExp(`${r}/check-runs$`),
      (m, q, input) => {
        const run = { id: checkRuns.length + 1, name: input.name, head_sha: input.head_sha, status: input.status ?? 'queued', conclusion: input.conclusion ?? null, output: { title: input.output?.title ?? null, summary: input.output?.summary ?? null }, app: { id: 4242 } };
        checkRuns.push(run);
        return { status: 201, body: run };
      },
    ],
    [
      'PATCH',
      new RegExp(`${r}/check-runs/(\\d+)$`),
      (m, q, input) => {
        const run = checkRuns.find((c) => c.id === Number(m[1]));
        if (run === undefined) return notFound;
        Object.assign(run, { status: input.status ?? run.status, conclusion: input.conclusion ?? run.conclusion, output: { title: input.output?.title ?? null, summary: input.output?.summary ?? null } });
        return { status: 200, body: run };
      },
    ],
    ['GET', new RegExp(`${r}/releases/tags/(.+)$`), (m) => (releases.has(decodeURIComponent(m[1])) ? { status: 200, body: releases.get(decodeURIComponent(m[1])) } : notFound)],
    [
      'POST',
      new RegExp(`${r}/releases$`),
      (m, q, input) => {
        if (releases.has(input.tag_name)) return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }] } };
        const release = { id: releases.size + 1, tag_name: input.tag_name, name: input.name ?? null, body: input.body ?? null, draft: false, prerelease: false };
        releases.set(input.tag_name, release);
        return { status: 201, body: release };
      },
    ],
  ];

  return serveFake((req, raw) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname.replace(/^\/api\/v3/, '');
    const what = `${req.method} ${path.replace(`/repos/${OWNER}/${REPO}`, '/repos/:repo').replace(/\b[0-9a-f]{40}\b/g, ':sha').replace(/\/v\d[^/]*/g, '/:tag').replace(/\/\d+(\/|$)/g, '/:id$1')}`;
    calls.push({ at: performance.now(), what: `GitHub ${what}` });
    const input = raw === '' ? {} : JSON.parse(raw);
    let reply;
    for (const [method, re, handle] of routes) {
      const m = req.method === method ? re.exec(path) : null;
      if (m !== null) {
        reply = handle(m, url.searchParams, input);
        break;
      }
    }
    if (reply === undefined) {
      unknown.push(`${req.method} ${path}`);
      reply = notFound;
    }
    const headers = { 'Content-Type': 'application/json; charset=utf-8', 'x-github-request-id': `BENCH:${calls.length}`, 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999' };
    return { status: reply.status, headers, text: JSON.stringify(reply.body) };
  }).then((served) => ({ ...served, commits, tags, releases, checkRuns, unknown }));
}

/** The push webhook GitHub sends for a new tag (docs: webhook-events-and-payloads#push), trimmed to what a release reads. */
export function githubTagPush(tag, sha) {
  const repository = { id: REPO_ID, node_id: 'R_bench', name: REPO, full_name: `${OWNER}/${REPO}`, private: false, owner: { login: OWNER, id: 1, type: 'Organization' }, default_branch: 'main', html_url: `https://github.invalid/${OWNER}/${REPO}` };
  return {
    ref: `refs/tags/${tag}`,
    before: '0'.repeat(40),
    after: sha,
    created: true,
    deleted: false,
    forced: false,
    base_ref: 'refs/heads/main',
    compare: `https://github.invalid/${OWNER}/${REPO}/compare/${tag}`,
    commits: [],
    head_commit: { id: sha, tree_id: 'e'.repeat(40), distinct: true, message: 'release', timestamp: '2026-01-01T00:00:00Z', url: `https://github.invalid/${OWNER}/${REPO}/commit/${sha}`, author: { name: 'Bench', email: 'bench@example.invalid' }, committer: { name: 'Bench', email: 'bench@example.invalid' }, added: [], removed: [], modified: [] },
    repository,
    pusher: { name: 'bench', email: 'bench@example.invalid' },
    sender: { login: 'bench', id: 2, type: 'User' },
    installation: { id: INSTALLATION_ID, node_id: 'I_bench' },
  };
}
