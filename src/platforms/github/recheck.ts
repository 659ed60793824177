import type { ProbotOctokit } from 'probot';
import type { RepoEvent } from '../../core/events.js';
import { pullRequestObjectSchema } from './payloads.js';
import { changeRequest } from './to-event.js';
import type { GithubRecheck } from './to-event.js';

/** The one call this needs; a Probot installation Octokit has it. */
export type PullRequestReader = Pick<InstanceType<typeof ProbotOctokit>, 'request'>;

export type RecheckResolution = { readonly kind: 'event'; readonly event: RepoEvent } | { readonly kind: 'ignored'; readonly reason: string };

/**
 * A `/pyrelease check` comment -> the change-request event, by reading the pull request
 * (GET /repos/{owner}/{repo}/pulls/{number}): the issue_comment payload names the pull
 * request but not its head sha, branches or fork.
 *
 * A pull request that is gone (404) or an answer we cannot read is an expected outcome
 * (`ignored`). Anything else (network, 401, 5xx, rate limits) is thrown, so that the
 * receiver answers 503 and the delivery can be redelivered.
 */
export async function resolveRecheck(octokit: PullRequestReader, request: GithubRecheck): Promise<RecheckResolution> {
  const slash = request.repo.path.indexOf('/');
  if (slash <= 0 || slash === request.repo.path.length - 1) return { kind: 'ignored', reason: 'repository path is not owner/name' };
  let data: unknown;
  try {
    const response = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      owner: request.repo.path.slice(0, slash),
      repo: request.repo.path.slice(slash + 1),
      pull_number: request.number,
    });
    data = response.data;
  } catch (error) {
    if (statusOf(error) === 404) return { kind: 'ignored', reason: 'pull request not found' };
    throw error;
  }
  const parsed = pullRequestObjectSchema.safeParse(data);
  if (!parsed.success) return { kind: 'ignored', reason: 'pull request answer does not match' };
  if (parsed.data.number !== request.number) return { kind: 'ignored', reason: 'pull request answer names another number' };
  return { kind: 'event', event: changeRequest(request.repo, 'recheck', parsed.data, request.meta) };
}

// Octokit's RequestError carries the HTTP status; told apart by status, never by message.
function statusOf(error: unknown): number | null {
  const status = typeof error === 'object' && error !== null ? (error as { status?: unknown }).status : undefined;
  return typeof status === 'number' ? status : null;
}
