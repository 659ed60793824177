// Check run and release routes of the fake GitHub, after docs.github.com/rest:
//   checks/runs  POST /repos/:owner/:repo/check-runs, PATCH .../check-runs/:check_run_id,
//                GET .../commits/:ref/check-runs?check_name=&filter=latest|all
//                Only GitHub Apps may write check runs (a user token: 403 "You must
//                authenticate via a GitHub App."), and only the app that created a run may
//                update it. `conclusion` marks the run completed; output.summary and
//                output.text hold at most 65535 characters (422 "Only 65535 characters are
//                allowed; N were supplied.").
//   releases     GET .../releases/tags/:tag, POST .../releases (a tag that has a release:
//                422 Validation Failed, code already_exists, field tag_name; a missing tag is
//                created at target_commitish), PATCH .../releases/:release_id
import { error, json, notFound, paginate, str, validationFailed } from './fake-github-http.js';
import type { FakeRoute, Reply, RouteContext } from './fake-github-http.js';
import { actorById, presentApp, presentUser, resolveRef } from './fake-github-state.js';
import type { FakeCheckRun, FakeRelease } from './fake-github-state.js';

const DOCS = {
  create: 'https://docs.github.com/rest/checks/runs#create-a-check-run',
  update: 'https://docs.github.com/rest/checks/runs#update-a-check-run',
  release: 'https://docs.github.com/rest/releases/releases#create-a-release',
};
const STATUSES = ['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending'];
const CONCLUSIONS = ['action_required', 'cancelled', 'failure', 'neutral', 'success', 'skipped', 'stale', 'timed_out'];
const OUTPUT_LIMIT = 65535;

function presentRun(ctx: RouteContext, r: FakeCheckRun): Record<string, unknown> {
  return {
    id: r.id,
    head_sha: r.headSha,
    name: r.name,
    status: r.status,
    conclusion: r.conclusion,
    details_url: r.detailsUrl,
    started_at: r.startedAt,
    completed_at: r.completedAt,
    output: { title: r.title, summary: r.summary, text: r.text, annotations_count: 0 },
    app: presentApp(r.appId, ctx.state.appSlug),
  };
}

/** Applies the documented fields of a create or update; a refusal comes back as a Reply. */
function apply(ctx: RouteContext, run: FakeCheckRun, docs: string): Reply | null {
  const { input } = ctx;
  const status = str(input, 'status');
  const conclusion = str(input, 'conclusion');
  if (status !== undefined && !STATUSES.includes(status)) return error(422, `Invalid request.\n\n${status} is not a member of ${JSON.stringify(STATUSES)}.`, docs);
  if (conclusion !== undefined && !CONCLUSIONS.includes(conclusion)) return error(422, `Invalid request.\n\n${conclusion} is not a valid conclusion.`, docs);
  if (status === 'completed' && conclusion === undefined && run.conclusion === null) return error(422, 'Invalid request.\n\nconclusion is required when status is completed.', docs);
  const output = input['output'];
  if (output !== undefined) {
    const o = output as Record<string, unknown>;
    const title = str(o, 'title');
    const summary = str(o, 'summary');
    if (title === undefined || summary === undefined) return error(422, 'Invalid request.\n\n"title", "summary" weren\'t supplied.', docs);
    for (const text of [summary, str(o, 'text') ?? '']) {
      if (text.length > OUTPUT_LIMIT) return error(422, `Invalid request.\n\nOnly ${OUTPUT_LIMIT} characters are allowed; ${text.length} were supplied.`, docs);
    }
    run.title = title;
    run.summary = summary;
    run.text = str(o, 'text') ?? null;
  }
  const details = str(input, 'details_url');
  if (details !== undefined) run.detailsUrl = details;
  if (conclusion !== undefined) {
    run.conclusion = conclusion;
    run.status = 'completed';
    run.completedAt = ctx.state.now();
  } else if (status !== undefined) run.status = status;
  return null;
}

function presentRelease(ctx: RouteContext, r: FakeRelease): Record<string, unknown> {
  return {
    id: r.id,
    tag_name: r.tagName,
    target_commitish: ctx.repo.defaultBranch,
    name: r.name,
    body: r.body,
    draft: r.draft,
    prerelease: r.prerelease,
    created_at: r.createdAt,
    published_at: r.draft ? null : r.createdAt,
    author: presentUser(actorById(ctx.state, r.authorId)),
    assets: [],
    html_url: `https://github.invalid/${ctx.repo.owner}/${ctx.repo.name}/releases/tag/${encodeURIComponent(r.tagName)}`,
  };
}

function setRelease(release: FakeRelease, input: Readonly<Record<string, unknown>>): void {
  const name = str(input, 'name');
  const body = str(input, 'body');
  if (name !== undefined) release.name = name;
  if (body !== undefined) release.body = body;
  if (typeof input['draft'] === 'boolean') release.draft = input['draft'];
  if (typeof input['prerelease'] === 'boolean') release.prerelease = input['prerelease'];
}

export const checkRoutes: FakeRoute[] = [
  {
    method: 'POST',
    pattern: '/repos/:owner/:repo/check-runs',
    handle: (ctx) => {
      if (ctx.actor?.appId == null) return error(403, 'You must authenticate via a GitHub App.', DOCS.create);
      const name = str(ctx.input, 'name');
      const headSha = str(ctx.input, 'head_sha');
      if (name === undefined || headSha === undefined) return error(422, 'Invalid request.\n\n"name", "head_sha" weren\'t supplied.', DOCS.create);
      if (!ctx.repo.commits.has(headSha)) return error(422, `No commit found for SHA: ${headSha}`, DOCS.create);
      const now = ctx.state.now();
      const run: FakeCheckRun = { id: ctx.state.nextId(), headSha, name, appId: ctx.actor.appId, status: 'queued', conclusion: null, title: null, summary: null, text: null, detailsUrl: null, startedAt: now, completedAt: null };
      const refused = apply(ctx, run, DOCS.create);
      if (refused !== null) return refused;
      ctx.repo.checkRuns.push(run);
      return json(201, presentRun(ctx, run));
    },
  },
  {
    method: 'PATCH',
    pattern: '/repos/:owner/:repo/check-runs/:check_run_id',
    handle: (ctx) => {
      if (ctx.actor?.appId == null) return error(403, 'You must authenticate via a GitHub App.', DOCS.update);
      const run = ctx.repo.checkRuns.find((r) => r.id === Number(ctx.params['check_run_id']));
      if (run === undefined) return notFound(DOCS.update);
      if (run.appId !== ctx.actor.appId) return error(403, 'Invalid app_id `' + String(ctx.actor.appId) + '` - check run can only be modified by the GitHub App that created it.', DOCS.update);
      const copy = { ...run };
      const refused = apply(ctx, copy, DOCS.update);
      if (refused !== null) return refused;
      Object.assign(run, copy);
      return json(200, presentRun(ctx, run));
    },
  },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/commits/:ref/check-runs',
    handle: (ctx) => {
      const commit = resolveRef(ctx.repo, ctx.params['ref'] ?? '');
      if (commit === undefined) return error(422, `No commit found for SHA: ${ctx.params['ref'] ?? ''}`);
      const name = ctx.query.get('check_name');
      let runs = ctx.repo.checkRuns.filter((r) => r.headSha === commit.sha && (name === null || r.name === name)).sort((a, b) => b.id - a.id);
      if ((ctx.query.get('filter') ?? 'latest') === 'latest') runs = runs.filter((r, i) => runs.findIndex((x) => x.name === r.name && x.appId === r.appId) === i);
      return paginate(ctx, runs, (r) => presentRun(ctx, r), (page) => ({ total_count: runs.length, check_runs: page }));
    },
  },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/releases/tags/:tag',
    handle: (ctx) => {
      const release = ctx.repo.releases.find((r) => r.tagName === ctx.params['tag']);
      return release === undefined ? notFound('https://docs.github.com/rest/releases/releases#get-a-release-by-tag-name') : json(200, presentRelease(ctx, release));
    },
  },
  {
    method: 'POST',
    pattern: '/repos/:owner/:repo/releases',
    handle: (ctx) => {
      const tag = str(ctx.input, 'tag_name');
      if (tag === undefined || tag === '') return error(422, 'Invalid request.\n\n"tag_name" wasn\'t supplied.', DOCS.release);
      if (ctx.repo.releases.some((r) => r.tagName === tag)) return validationFailed('Release', 'already_exists', 'tag_name', DOCS.release);
      if (!ctx.repo.tags.has(tag)) {
        const target = resolveRef(ctx.repo, str(ctx.input, 'target_commitish') ?? ctx.repo.defaultBranch);
        if (target === undefined) return validationFailed('Release', 'invalid', 'target_commitish', DOCS.release);
        ctx.repo.tags.set(tag, target.sha);
      }
      const release: FakeRelease = { id: ctx.state.nextId(), tagName: tag, name: null, body: null, draft: false, prerelease: false, authorId: ctx.actor?.id ?? 0, createdAt: ctx.state.now() };
      setRelease(release, ctx.input);
      ctx.repo.releases.push(release);
      return json(201, presentRelease(ctx, release));
    },
  },
  {
    method: 'PATCH',
    pattern: '/repos/:owner/:repo/releases/:release_id',
    handle: (ctx) => {
      const release = ctx.repo.releases.find((r) => r.id === Number(ctx.params['release_id']));
      if (release === undefined) return notFound('https://docs.github.com/rest/releases/releases#update-a-release');
      setRelease(release, ctx.input);
      return json(200, presentRelease(ctx, release));
    },
  },
  {
    method: 'GET',
    pattern: '/repos/:owner/:repo/releases',
    handle: (ctx) => paginate(ctx, [...ctx.repo.releases].sort((a, b) => b.id - a.id), (r) => presentRelease(ctx, r)),
  },
];
