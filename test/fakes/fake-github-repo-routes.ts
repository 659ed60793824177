// Repository routes of the fake GitHub, after docs.github.com/rest:
//   repos/repos            GET /repos/:owner/:repo (default_branch)
//   repos/contents         GET .../contents/*path?ref=  file: base64 `content` wrapped at
//                          60 columns; directory: an array; unknown ref: 404 "No commit
//                          found for the ref <ref>"; absent path: 404 "Not Found"
//   commits/commits        GET .../commits/:ref (unknown ref: 422 "No commit found for SHA: <ref>"),
//                          GET .../commits/:sha/pulls, GET .../commits/:sha/branches-where-head,
//                          GET .../compare/:basehead (status ahead / behind / identical / diverged,
//                          merge_base_commit, total_commits and `commits`: the commits of
//                          base...head oldest first, up to 250 without pagination, paged by
//                          per_page (max 100) and page when either is given, with a Link
//                          header; unrelated histories: 404 "No common ancestor ...")
//   branches/branches      GET .../branches
//   repos/repos#list-repository-tags  GET .../tags (each tag's commit, annotated tags peeled)
//   git/refs               GET .../git/ref/*ref, GET .../git/matching-refs/*ref,
//                          POST .../git/refs (existing ref: 422 "Reference already exists")
//   git/tags               GET .../git/tags/:tag_sha (annotated tag objects, to peel)
//   repos/contents#download-a-repository-archive-tar
//                          GET .../tarball/:ref -> 302 to the codeload URL, which GitHub
//                          Enterprise Server serves below the same host (`/_codeload/...`)
//                          with a short-lived `token` query parameter
//   repos/rules            GET .../rulesets?targets=tag, GET .../rulesets/:ruleset_id
import { randomBytes } from 'node:crypto';
import { error, json, notFound, paginate, str } from './fake-github-http.js';
import type { FakeRoute, Reply, RouteContext } from './fake-github-http.js';
import { ancestors, markPushed, peel, presentCommit, presentPull, presentTagRef, resolveRef } from './fake-github-state.js';
import type { FakeCommit, FakeRepo } from './fake-github-state.js';

const DOCS = {
  contents: 'https://docs.github.com/rest/repos/contents#get-repository-content',
  commit: 'https://docs.github.com/rest/commits/commits#get-a-commit',
  refs: 'https://docs.github.com/rest/git/refs#create-a-reference',
  ref: 'https://docs.github.com/rest/git/refs#get-a-reference',
  tags: 'https://docs.github.com/rest/git/tags#get-a-tag',
  compare: 'https://docs.github.com/rest/commits/commits#compare-two-commits',
  rules: 'https://docs.github.com/rest/repos/rules#get-a-repository-ruleset',
  pull: 'https://docs.github.com/rest/pulls/pulls#get-a-pull-request',
};

/** The merge base: the first commit of head's history, breadth first, that base's history holds too. */
function nearestIn(repo: FakeRepo, head: string, baseHistory: ReadonlySet<string>): FakeCommit | undefined {
  const order = [head];
  const seen = new Set(order);
  for (let i = 0; i < order.length; i += 1) {
    const sha = order[i] ?? '';
    if (baseHistory.has(sha)) return repo.commits.get(sha);
    for (const parent of repo.commits.get(sha)?.parents ?? []) {
      if (!seen.has(parent)) {
        seen.add(parent);
        order.push(parent);
      }
    }
  }
  return undefined;
}

function contentEntry(repo: FakeRepo, path: string, type: 'file' | 'dir', size: number): Record<string, unknown> {
  return { type, name: path.split('/').pop(), path, size, sha: `blob-${path}`, url: `https://api.github.invalid/repos/${repo.owner}/${repo.name}/contents/${path}` };
}

function contents(ctx: RouteContext): Reply {
  const ref = str(Object.fromEntries(ctx.query), 'ref') ?? ctx.repo.defaultBranch;
  const commit = resolveRef(ctx.repo, ref);
  if (commit === undefined) return error(404, `No commit found for the ref ${ref}`, DOCS.contents);
  const path = ctx.params['path'] ?? '';
  const file = commit.files.get(path);
  if (file !== undefined) {
    const b64 = file.toString('base64').replace(/.{60}/g, '$&\n');
    return json(200, { ...contentEntry(ctx.repo, path, 'file', file.length), encoding: 'base64', content: b64 });
  }
  const children = new Map<string, 'file' | 'dir'>();
  for (const name of commit.files.keys()) {
    if (!name.startsWith(`${path}/`)) continue;
    const rest = name.slice(path.length + 1);
    children.set(`${path}/${rest.split('/')[0] ?? ''}`, rest.includes('/') ? 'dir' : 'file');
  }
  if (children.size === 0) return notFound(DOCS.contents);
  return json(200, [...children].map(([p, t]) => contentEntry(ctx.repo, p, t, t === 'file' ? (commit.files.get(p)?.length ?? 0) : 0)));
}

function createRef(ctx: RouteContext): Reply {
  const ref = str(ctx.input, 'ref');
  const sha = str(ctx.input, 'sha');
  if (ref === undefined || sha === undefined) return error(422, 'Invalid request.\n\n"ref", "sha" weren\'t supplied.', DOCS.refs);
  const tag = /^refs\/tags\/(.+)$/.exec(ref)?.[1];
  const branch = /^refs\/heads\/(.+)$/.exec(ref)?.[1];
  if (tag === undefined && branch === undefined) return error(422, 'Reference name is invalid', DOCS.refs);
  const name = tag ?? branch ?? '';
  if (/(^|\/)\.|\.\.|[\s~^:?*[\\]|\/$|\.lock$|@\{/.test(name)) return error(422, `${ref} is not a valid ref name.`, DOCS.refs);
  if (!ctx.repo.commits.has(sha) && !ctx.repo.tagObjects.has(sha)) return error(422, 'Object does not exist', DOCS.refs);
  const exists = tag !== undefined ? ctx.repo.tags.has(name) : ctx.repo.branches.has(name);
  if (exists) return error(422, 'Reference already exists', DOCS.refs);
  markPushed(ctx.repo);
  if (tag !== undefined) {
    ctx.repo.tags.set(name, sha);
    return json(201, presentTagRef(ctx.repo, name, sha), { Location: `${ctx.origin}/repos/${ctx.repo.owner}/${ctx.repo.name}/git/refs/tags/${encodeURIComponent(name)}` });
  }
  ctx.repo.branches.set(name, [...ancestors(ctx.repo, sha)].reverse());
  return json(201, { ref, object: { type: 'commit', sha } });
}

/** fnmatch with File::FNM_PATHNAME, as rulesets use it: `*` stops at `/`, `**` does not. */
export function refPatternMatches(pattern: string, ref: string, defaultBranch: string): boolean {
  if (pattern === '~ALL') return true;
  if (pattern === '~DEFAULT_BRANCH') return ref === `refs/heads/${defaultBranch}`;
  const re = pattern
    .split('**')
    .map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*'))
    .join('.*');
  return new RegExp(`^${re}$`).test(ref);
}

function presentRuleset(ctx: RouteContext, id: number): Reply {
  const r = ctx.repo.rulesets.find((x) => x.id === id);
  if (r === undefined) return notFound(DOCS.rules);
  return json(200, {
    id: r.id,
    name: r.name,
    target: r.target,
    source_type: 'Repository',
    source: `${ctx.repo.owner}/${ctx.repo.name}`,
    enforcement: r.enforcement,
    bypass_actors: [],
    conditions: { ref_name: { include: r.include, exclude: r.exclude } },
    rules: r.rules.map((type) => ({ type })),
  });
}

export const repoRoutes: FakeRoute[] = [
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo',
    handle: ({ repo }) => json(200, { id: repo.id, name: repo.name, full_name: `${repo.owner}/${repo.name}`, private: false, default_branch: repo.defaultBranch }),
  },
  { method: 'GET', pattern: '/repos/:owner/:repo/contents/*path', handle: contents },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/commits/:ref',
    handle: ({ repo, params }) => {
      const commit = resolveRef(repo, params['ref'] ?? '');
      return commit === undefined ? error(422, `No commit found for SHA: ${params['ref'] ?? ''}`, DOCS.commit) : json(200, presentCommit(repo, commit));
    },
  },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/pulls/:pull_number',
    handle: ({ repo, params }) => {
      const pull = repo.pulls.get(Number(params['pull_number']));
      return pull === undefined ? notFound(DOCS.pull) : json(200, presentPull(repo, pull));
    },
  },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/commits/:commit_sha/pulls',
    handle: (ctx) => {
      const commit = resolveRef(ctx.repo, ctx.params['commit_sha'] ?? '');
      if (commit === undefined) return error(422, `No commit found for SHA: ${ctx.params['commit_sha'] ?? ''}`, DOCS.commit);
      const pulls = [...ctx.repo.pulls.values()].filter((p) => p.commits.includes(commit.sha)).sort((a, b) => a.number - b.number);
      return paginate(ctx, pulls, (p) => presentPull(ctx.repo, p));
    },
  },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/commits/:commit_sha/branches-where-head',
    handle: ({ repo, params }) => {
      const sha = params['commit_sha'] ?? '';
      if (!repo.commits.has(sha)) return error(422, `No commit found for SHA: ${sha}`, DOCS.commit);
      const heads = [...repo.branches].filter(([, shas]) => shas.at(-1) === sha);
      return json(200, heads.map(([name]) => ({ name, commit: { sha }, protected: false })));
    },
  },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/compare/:basehead',
    handle: (ctx) => {
      const { repo, params } = ctx;
      const [baseRef, headRef, extra] = (params['basehead'] ?? '').split('...');
      const base = baseRef === undefined ? undefined : resolveRef(repo, baseRef);
      const head = headRef === undefined ? undefined : resolveRef(repo, headRef);
      if (extra !== undefined || base === undefined || head === undefined) return notFound(DOCS.compare);
      const fromBase = ancestors(repo, base.sha);
      const fromHead = ancestors(repo, head.sha);
      const aheadBy = [...fromHead].filter((s) => !fromBase.has(s)).length;
      const behindBy = [...fromBase].filter((s) => !fromHead.has(s)).length;
      const status = aheadBy === 0 && behindBy === 0 ? 'identical' : behindBy === 0 ? 'ahead' : aheadBy === 0 ? 'behind' : 'diverged';
      // Unrelated histories: GitHub answers 404 "No common ancestor between <base> and <head>."
      const mergeBase = nearestIn(repo, head.sha, fromBase);
      if (mergeBase === undefined) return error(404, `No common ancestor between ${baseRef ?? ''} and ${headRef ?? ''}.`, DOCS.compare);
      const ahead = [...fromHead].filter((s) => !fromBase.has(s)).reverse().flatMap((s) => {
        const c = repo.commits.get(s);
        return c === undefined ? [] : [c];
      });
      const body = (commits: unknown[]): Record<string, unknown> => ({ status, ahead_by: aheadBy, behind_by: behindBy, total_commits: aheadBy, base_commit: presentCommit(repo, base), merge_base_commit: presentCommit(repo, mergeBase), commits, files: [] });
      if (ctx.query.has('per_page') || ctx.query.has('page')) return paginate(ctx, ahead, (c) => presentCommit(repo, c), body);
      return json(200, body(ahead.slice(0, 250).map((c) => presentCommit(repo, c))));
    },
  },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/branches',
    handle: (ctx) => paginate(ctx, [...ctx.repo.branches].sort(([a], [b]) => (a < b ? -1 : 1)), ([name, shas]) => ({ name, commit: { sha: shas.at(-1) ?? null }, protected: false })),
  },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/tags',
    handle: (ctx) =>
      paginate(ctx, [...ctx.repo.tags].sort(([a], [b]) => (a < b ? 1 : -1)), ([name, sha]) => ({
        name,
        commit: { sha: peel(ctx.repo, sha), url: `https://api.github.invalid/repos/${ctx.repo.owner}/${ctx.repo.name}/commits/${peel(ctx.repo, sha)}` },
        node_id: `TAG_${name}`,
      })),
  },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/git/ref/*ref',
    handle: ({ repo, params }) => {
      const ref = params['ref'] ?? '';
      const branch = /^heads\/(.+)$/.exec(ref)?.[1];
      if (branch !== undefined) {
        const head = repo.branches.get(branch)?.at(-1);
        return head === undefined ? notFound(DOCS.ref) : json(200, { ref: `refs/heads/${branch}`, object: { type: 'commit', sha: head } });
      }
      const name = /^tags\/(.+)$/.exec(ref)?.[1];
      const sha = name === undefined ? undefined : repo.tags.get(name);
      return name === undefined || sha === undefined ? notFound(DOCS.ref) : json(200, presentTagRef(repo, name, sha));
    },
  },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/git/matching-refs/*ref',
    handle: (ctx) => {
      const prefix = ctx.params['ref'] ?? '';
      if (!prefix.startsWith('tags')) return json(200, []);
      const tags = [...ctx.repo.tags].filter(([name]) => `tags/${name}`.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1));
      return paginate(ctx, tags, ([name, sha]) => presentTagRef(ctx.repo, name, sha));
    },
  },
  { method: 'POST', pattern: '/repos/:owner/:repo/git/refs', handle: createRef },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/git/tags/:tag_sha',
    handle: ({ repo, params }) => {
      const obj = repo.tagObjects.get(params['tag_sha'] ?? '');
      if (obj === undefined) return notFound(DOCS.tags);
      const type = repo.tagObjects.has(obj.object) ? 'tag' : 'commit';
      return json(200, { sha: obj.sha, tag: obj.tag, message: obj.message, object: { type, sha: obj.object }, tagger: { name: 'Fake', email: 'fake@example.invalid', date: '2026-01-01T00:00:00Z' } });
    },
  },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/tarball/:ref',
    handle: (ctx) => {
      const commit = resolveRef(ctx.repo, ctx.params['ref'] ?? '');
      if (commit === undefined || !ctx.repo.archives.has(commit.sha)) return notFound('https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar');
      const token = randomBytes(12).toString('hex');
      ctx.state.codeloadTokens.add(token);
      const location = `${ctx.origin}/_codeload/${ctx.repo.owner}/${ctx.repo.name}/legacy.tar.gz/${commit.sha}?token=${token}`;
      return { status: 302, headers: { Location: location }, raw: Buffer.alloc(0) };
    },
  },
  {
    method: 'GET',
    pattern: '/_codeload/:owner/:repo/legacy.tar.gz/:sha',
    auth: 'none',
    handle: (ctx) => {
      const token = ctx.query.get('token') ?? '';
      const archive = ctx.repo.archives.get(ctx.params['sha'] ?? '');
      if (!ctx.state.codeloadTokens.has(token) || archive === undefined) return { status: 404, raw: Buffer.from('Not Found'), headers: { 'Content-Type': 'text/plain' } };
      const name = `${ctx.repo.owner}-${ctx.repo.name}-${(ctx.params['sha'] ?? '').slice(0, 7)}.tar.gz`;
      return { status: 200, raw: archive, headers: { 'Content-Type': 'application/x-gzip', 'Content-Disposition': `attachment; filename=${name}` } };
    },
  },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/rulesets',
    handle: (ctx) => {
      const targets = (ctx.query.get('targets') ?? '').split(',').filter((t) => t !== '');
      const sets = ctx.repo.rulesets.filter((r) => targets.length === 0 || targets.includes(r.target));
      return paginate(ctx, sets, (r) => ({ id: r.id, name: r.name, target: r.target, source_type: 'Repository', source: `${ctx.repo.owner}/${ctx.repo.name}`, enforcement: r.enforcement }));
    },
  },
  { method: 'GET', pattern: '/repos/:owner/:repo/rulesets/:ruleset_id', handle: (ctx) => presentRuleset(ctx, Number(ctx.params['ruleset_id'])) },
];
