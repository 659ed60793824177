import { STATUS_CONTEXT } from '../../core/actions.js';
import type { StatusInput } from '../platform.js';
import { githubStatus, rateLimitWait, translated, translateGithubError } from './github-errors.js';
import type { GithubOctokit, RepoRef } from './github-octokit.js';
import { checkRunListSchema, parsed } from './github-schemas.js';

/**
 * setStatus as a CHECK RUN named `pyrelease` (docs: rest/checks/runs), not a commit
 * status: an App's check run carries a summary in markdown, and GitHub shows the latest
 * run of each name. pending -> status in_progress; success/failure -> completed with that
 * conclusion. Title is the one-line description, summary is StatusInput.summary or the
 * description (at most 65535 characters, docs "Create a check run").
 *
 * Idempotence: read the latest `pyrelease` run on the sha first. Same state and text:
 * nothing to do. A run still in progress is updated in place. A finished run is never
 * reopened: a new state after it is a new run (a re-check), which GitHub then shows.
 * A create retried by @octokit/plugin-retry after a lost 5xx leaves two identical runs,
 * of which GitHub shows the latest: harmless, so nothing is deleted (runs cannot be).
 */
export const CHECK_TITLE_LIMIT = 255;
export const CHECK_TEXT_LIMIT = 65535;

function cut(text: string, limit: number): string {
  const chars = [...text];
  return chars.length <= limit ? text : `${chars.slice(0, limit - 1).join('')}…`;
}

/** The one-line title: whitespace folded, cut to CHECK_TITLE_LIMIT characters. */
export function checkTitle(description: string): string {
  return cut(description.replace(/\s+/g, ' ').trim(), CHECK_TITLE_LIMIT) || STATUS_CONTEXT;
}

/** GitHub counts the 65535 in UTF-16 code units (a JS string's length), so cut by those. */
function cutSummary(text: string): string {
  return text.length <= CHECK_TEXT_LIMIT ? text : `${text.slice(0, CHECK_TEXT_LIMIT - 1).replace(/[\ud800-\udbff]$/, '')}…`;
}

export async function setCheckRun(octokit: GithubOctokit, repo: RepoRef, sha: string, status: StatusInput): Promise<void> {
  const title = checkTitle(status.description);
  const summary = cutSummary(status.summary ?? status.description) || title;
  const state = status.state === 'pending' ? { status: 'in_progress' as const } : { conclusion: status.state };
  const wanted = { status: status.state === 'pending' ? 'in_progress' : 'completed', conclusion: status.state === 'pending' ? null : status.state };
  const fields = { ...state, output: { title, summary }, ...(status.targetUrl === undefined ? {} : { details_url: status.targetUrl }) };

  const list = await translated('list check runs', () =>
    octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...repo, ref: sha, check_name: STATUS_CONTEXT, filter: 'latest', per_page: 100 }),
  );
  const latest = parsed(checkRunListSchema, list.data, 'list check runs').check_runs.sort((a, b) => b.id - a.id)[0];
  if (latest !== undefined) {
    const same = latest.status === wanted.status && latest.conclusion === wanted.conclusion && latest.output?.title === title && latest.output.summary === summary;
    if (same && (status.targetUrl === undefined || latest.details_url === status.targetUrl)) return;
    if (latest.status !== 'completed') {
      try {
        await octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', { ...repo, check_run_id: latest.id, ...fields });
        return;
      } catch (error) {
        // A run of the same name made by another app cannot be edited by us: make ours.
        const code = githubStatus(error);
        if (rateLimitWait(error, Date.now()) !== null || (code !== 403 && code !== 404)) throw translateGithubError(error, 'update a check run');
      }
    }
  }
  await translated('create a check run', () => octokit.request('POST /repos/{owner}/{repo}/check-runs', { ...repo, name: STATUS_CONTEXT, head_sha: sha, ...fields }));
}
