// Synthetic forges for bench/sweep.js: thousands of repositories held as a few fields each,
// behind a fake GitHub and a fake GitLab on 127.0.0.1 that follow what the test suite's
// fakes (test/fakes/fake-github.ts, fake-gitlab.ts) do and test, for the routes the sweep
// calls:
//   GitHub  GET /installation/repositories (pushed_at), /repos/:o/:r, /repos/:o/:r/tags,
//           /repos/:o/:r/contents/:path; every 200 to a GET has a weak ETag, a matching
//           If-None-Match is a 304 that costs no point; x-ratelimit-* on every answer, an
//           hour of `limit` points from the first request, 403 with remaining 0 past it.
//   GitLab  GET /api/v4/projects (membership, last_activity_after, id order, offset pages),
//           /projects/:id, /projects/:id/repository/tags, /projects/:id/repository/files/:path/raw;
//           JSON answers have a weak ETag and a 304 counts like any request; RateLimit-*
//           on every answer, `limit` requests a minute, 429 past it; last_activity_at moves
//           at most once an hour (app/models/event.rb).
// Each counts requests and rate-limit points, per route.
import { createHash } from 'node:crypto';
import http from 'node:http';

export const OWNER = 'bench';
const HOUR = 3600_000;

/**
 * n repositories: every fourth publishes (its pyproject.toml names a registry, tag v1.0.0),
 * the next is a Python project that names none (tag v1.0.0 all the same), the other two are
 * not Python at all (no pyproject.toml, no tags).
 */
export function syntheticRepos(n, now = Date.now()) {
  const repos = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 4 === 0 ? 'publishing' : i % 4 === 1 ? 'python' : 'other';
    const sha = createHash('sha1').update(`r${i}-1`).digest('hex');
    repos.push({
      id: 100_000 + i,
      name: `r${i}`,
      kind,
      files: kind === 'other' ? { 'README.md': 'not python\n' } : { 'pyproject.toml': pyproject(`r${i}`, kind === 'publishing') },
      tags: kind === 'other' ? [] : [{ name: 'v1.0.0', sha, at: now - 24 * HOUR }],
      // Quiet for hours: before any window the sweep will ask about.
      pushedAt: now - 3 * HOUR,
      lastActivityAt: now - 3 * HOUR,
    });
  }
  return repos;
}

export function pyproject(name, publishing) {
  return `[project]\nname = "${name}"\nversion = "1.0.0"\n${publishing ? '\n[tool.pyrelease]\nregistries = ["pypi"]\n' : ''}`;
}

/** A push: pushed_at moves; last_activity_at only when it is an hour old. */
export function push(repo, at = Date.now()) {
  repo.pushedAt = Math.max(repo.pushedAt, at);
  if (repo.lastActivityAt <= at - HOUR) repo.lastActivityAt = at;
}

const isoSeconds = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const etagOf = (text) => `W/"${createHash('sha1').update(text).digest('hex')}"`;
const matches = (header, etag) => header !== undefined && header.split(',').some((t) => t.trim() === etag);

function pageOf(query, items, defaultPer) {
  const per = Math.min(100, Math.max(1, Number(query.get('per_page') ?? defaultPer) || defaultPer));
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const last = Math.max(1, Math.ceil(items.length / per));
  return { slice: items.slice((page - 1) * per, page * per), page, per, last };
}

function serve(handler) {
  const server = http.createServer((req, res) => {
    try {
      handler(req, res);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: String(error) }));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const closeServer = (server) =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

function counters() {
  return { requests: 0, points: 0, notModified: 0, byRoute: new Map() };
}

function count(c, route, point, notModified) {
  c.requests++;
  if (point) c.points++;
  if (notModified) c.notModified++;
  c.byRoute.set(route, (c.byRoute.get(route) ?? 0) + 1);
}

export async function fakeGithubForge(repos, options = {}) {
  const byName = new Map(repos.map((r) => [r.name, r]));
  const c = counters();
  const rate = { limit: options.limit ?? 5000, used: 0, resetAt: 0 };
  const server = await serve((req, res) => {
    const url = new URL(req.url ?? '/', 'http://bench.invalid');
    const now = Date.now();
    if (rate.resetAt <= now) Object.assign(rate, { used: 0, resetAt: now + HOUR });
    const headers = () => ({
      'x-ratelimit-limit': String(rate.limit),
      'x-ratelimit-remaining': String(Math.max(0, rate.limit - rate.used)),
      'x-ratelimit-used': String(Math.min(rate.used, rate.limit)),
      'x-ratelimit-reset': String(Math.ceil(rate.resetAt / 1000)),
      'x-ratelimit-resource': 'core',
    });
    const answer = (route, status, body, extra = {}) => {
      let text = body === undefined ? '' : JSON.stringify(body);
      let code = status;
      const h = { ...extra };
      if (status === 200) {
        h['etag'] = etagOf(text);
        if (matches(req.headers['if-none-match'], h['etag'])) {
          code = 304;
          text = '';
        }
      }
      if (code !== 304) rate.used++;
      count(c, route, code !== 304, code === 304);
      res.writeHead(code, { ...headers(), ...(text === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }), ...h });
      res.end(text);
    };
    if (rate.used >= rate.limit) {
      count(c, 'rate-limited', true, false);
      res.writeHead(403, { ...headers(), 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'API rate limit exceeded for installation ID 1.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' }));
      return;
    }
    const link = (p, last) => {
      const next = new URL(url);
      next.searchParams.set('page', String(p + 1));
      return p < last ? { link: `<${next.toString()}>; rel="next"` } : {};
    };
    if (url.pathname === '/installation/repositories') {
      const { slice, page, last } = pageOf(url.searchParams, repos, 30);
      const body = { total_count: repos.length, repositories: slice.map((r) => ({ id: r.id, name: r.name, full_name: `${OWNER}/${r.name}`, private: true, default_branch: 'main', pushed_at: isoSeconds(r.pushedAt) })) };
      return answer('installation/repositories', 200, body, link(page, last));
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/tags|\/contents\/(.+))?$/.exec(url.pathname);
    const repo = m === null ? undefined : byName.get(decodeURIComponent(m[2]));
    if (m === null || repo === undefined) return answer(m?.[3] === undefined ? 'repos' : m[3].startsWith('/contents') ? 'contents' : 'tags', 404, { message: 'Not Found' });
    if (m[3] === undefined) return answer('repos', 200, { id: repo.id, full_name: `${OWNER}/${repo.name}`, default_branch: 'main' });
    if (m[3] === '/tags') {
      const { slice, page, last } = pageOf(url.searchParams, repo.tags, 30);
      return answer('tags', 200, slice.map((t) => ({ name: t.name, commit: { sha: t.sha } })), link(page, last));
    }
    const text = repo.files[decodeURIComponent(m[4])];
    if (text === undefined) return answer('contents', 404, { message: 'Not Found' });
    return answer('contents', 200, { type: 'file', encoding: 'base64', size: Buffer.byteLength(text), content: Buffer.from(text).toString('base64') });
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    counters: c,
    rate,
    reset: () => Object.assign(c, counters()),
    close: () => closeServer(server),
  };
}

export async function fakeGitlabForge(repos, options = {}) {
  const byId = new Map(repos.map((r) => [String(r.id), r]));
  const c = counters();
  const windowMs = 60_000;
  const rate = { limit: options.limit ?? 2000, observed: 0, resetAt: 0 };
  const server = await serve((req, res) => {
    const url = new URL(req.url ?? '/', 'http://bench.invalid');
    const now = Date.now();
    if (rate.resetAt <= now) Object.assign(rate, { observed: 0, resetAt: (Math.floor(now / windowMs) + 1) * windowMs });
    rate.observed++;
    const headers = {
      'ratelimit-limit': String(rate.limit),
      'ratelimit-observed': String(rate.observed),
      'ratelimit-remaining': String(Math.max(0, rate.limit - rate.observed)),
      'ratelimit-reset': String(Math.ceil(rate.resetAt / 1000)),
    };
    const send = (route, status, text, type, extra = {}) => {
      const h = { ...headers, ...extra };
      let code = status;
      let out = text;
      if (status === 200 && type === 'application/json') {
        h['etag'] = etagOf(text);
        if (matches(req.headers['if-none-match'], h['etag'])) {
          code = 304;
          out = '';
        }
      }
      // Rack::Attack counts every request, a 304 too.
      count(c, route, true, code === 304);
      res.writeHead(code, { ...(out === '' ? {} : { 'content-type': type }), ...h });
      res.end(out);
    };
    const json = (route, status, body, extra) => send(route, status, JSON.stringify(body), 'application/json', extra);
    if (rate.observed > rate.limit) return send('rate-limited', 429, 'Retry later\n', 'text/plain', { 'retry-after': String(Math.ceil((rate.resetAt - now) / 1000)) });
    const pages = (items, page, last, per) => ({ 'x-page': String(page), 'x-per-page': String(per), 'x-next-page': page < last ? String(page + 1) : '', 'x-total-pages': String(last) });
    if (url.pathname === '/api/v4/projects') {
      const after = url.searchParams.get('last_activity_after');
      const since = after === null ? null : Date.parse(after);
      const listed = since === null ? repos : repos.filter((r) => r.lastActivityAt > since);
      const { slice, page, last, per } = pageOf(url.searchParams, listed, 20);
      const body = slice.map((r) => ({ id: r.id, name: r.name, path_with_namespace: `${OWNER}/${r.name}`, default_branch: 'main', last_activity_at: new Date(r.lastActivityAt).toISOString() }));
      return json('projects', 200, body, pages(listed, page, last, per));
    }
    const m = /^\/api\/v4\/projects\/([^/]+)(\/repository\/tags|\/repository\/files\/([^/]+)\/raw)?$/.exec(url.pathname);
    const id = m === null ? undefined : decodeURIComponent(m[1]);
    const repo = id === undefined ? undefined : (byId.get(id) ?? repos.find((r) => `${OWNER}/${r.name}` === id));
    if (m === null || repo === undefined) return json('other', 404, { message: '404 Project Not Found' });
    if (m[2] === undefined) return json('project', 200, { id: repo.id, path_with_namespace: `${OWNER}/${repo.name}`, default_branch: 'main' });
    if (m[2] === '/repository/tags') {
      const { slice, page, last, per } = pageOf(url.searchParams, repo.tags, 20);
      const body = slice.map((t) => ({ name: t.name, message: '', target: t.sha, commit: { id: t.sha, committed_date: new Date(t.at ?? now).toISOString() } }));
      return json('tags', 200, body, pages(repo.tags, page, last, per));
    }
    const text = repo.files[decodeURIComponent(m[3])];
    if (text === undefined) return json('files', 404, { message: '404 File Not Found' });
    return send('files', 200, text, 'text/plain; charset=utf-8');
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    counters: c,
    rate,
    reset: () => Object.assign(c, counters()),
    close: () => closeServer(server),
  };
}
