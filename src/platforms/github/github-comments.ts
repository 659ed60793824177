import type { CommentTarget } from '../../core/actions.js';
import type { UpsertOptions, UpsertResult } from '../platform.js';
import { upsertOwnComment } from '../own-comment.js';
import type { CommentStore } from '../own-comment.js';
import { githubStatus, translated, translateGithubError } from './github-errors.js';
import type { GithubOctokit, RepoRef } from './github-octokit.js';
import { commentSchema, parsed } from './github-schemas.js';
import type { z } from 'zod';

/**
 * Our one comment on a pull request (issue comments) or a commit (commit comments; both
 * can be edited with PATCH on GitHub). The upsert and duplicate handling is shared with
 * GitLab (../own-comment.ts); here only the stores and who "we" are.
 */
export const COMMENT_BODY_LIMIT = 65536;

type Comment = z.infer<typeof commentSchema> & { readonly body: string };

function issueComments(octokit: GithubOctokit, repo: RepoRef, issue: number): CommentStore<Comment> {
  return {
    what: 'pull request comment',
    list: async () => {
      const all = await translated('list pull request comments', () => octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...repo, issue_number: issue, per_page: 100 }));
      return parsed(commentSchema.array(), all, 'list pull request comments').map((c) => ({ ...c, body: c.body ?? '' }));
    },
    create: async (body) => {
      await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...repo, issue_number: issue, body });
    },
    edit: (c, body) => translated('edit a pull request comment', async () => void (await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...repo, comment_id: c.id, body }))),
    remove: async (c) => void (await octokit.request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...repo, comment_id: c.id })),
  };
}

function commitComments(octokit: GithubOctokit, repo: RepoRef, sha: string): CommentStore<Comment> {
  return {
    what: 'commit comment',
    list: async () => {
      const all = await translated('list commit comments', () => octokit.paginate('GET /repos/{owner}/{repo}/commits/{commit_sha}/comments', { ...repo, commit_sha: sha, per_page: 100 }));
      return parsed(commentSchema.array(), all, 'list commit comments').map((c) => ({ ...c, body: c.body ?? '' }));
    },
    create: async (body) => {
      await octokit.request('POST /repos/{owner}/{repo}/commits/{commit_sha}/comments', { ...repo, commit_sha: sha, body });
    },
    edit: (c, body) => translated('edit a commit comment', async () => void (await octokit.request('PATCH /repos/{owner}/{repo}/comments/{comment_id}', { ...repo, comment_id: c.id, body }))),
    remove: async (c) => void (await octokit.request('DELETE /repos/{owner}/{repo}/comments/{comment_id}', { ...repo, comment_id: c.id })),
  };
}

/** GitHub refuses bodies over 65536 characters: cut, keeping the marker at the start. */
export function cutCommentBody(body: string): string {
  return body.length <= COMMENT_BODY_LIMIT ? body : `${body.slice(0, COMMENT_BODY_LIMIT - 2)}\n…`;
}

export function upsertGithubComment(
  octokit: GithubOctokit,
  repo: RepoRef,
  botLogin: string | null,
  target: CommentTarget,
  rawBody: string,
  marker: string,
  options: UpsertOptions = {},
): Promise<UpsertResult> {
  const store = target.kind === 'change-request' ? issueComments(octokit, repo, target.number) : commitComments(octokit, repo, target.sha);
  // Ours: the app's bot login when known; otherwise a Bot account commenting through an app.
  const isOurs = (c: Comment): boolean =>
    c.user !== null && (botLogin !== null ? c.user.login === botLogin : c.user.type === 'Bot' && c.performed_via_github_app != null);
  return upsertOwnComment(store, { isOurs, translate: translateGithubError, isGone: (error) => githubStatus(error) === 404 }, cutCommentBody(rawBody), marker, options);
}
