import type { CommentTarget } from '../../core/actions.js';
import type { UpsertOptions, UpsertResult } from '../platform.js';
import { githubStatus, translated, translateGithubError } from './github-errors.js';
import type { GithubOctokit, RepoRef } from './github-octokit.js';
import { commentSchema, parsed } from './github-schemas.js';
import type { z } from 'zod';

/**
 * Our one comment on a pull request (issue comments) or a commit (commit comments; both
 * can be edited with PATCH on GitHub), found by author AND the hidden marker at the start
 * of its body: a human quoting the marker is never edited.
 *
 * The author is ours when its login is the app's bot login (`<slug>[bot]`, given by the
 * composition root, which knows the app's slug). Without it: a Bot account whose comment
 * was made through an app (`performed_via_github_app`, present on issue comments).
 *
 * Duplicates: @octokit/plugin-retry sends a POST again after a 5xx or 429, and a POST
 * whose response was lost after GitHub stored it becomes a second comment. Comments have
 * no idempotency key, so after any create: list again, keep the oldest of ours, delete
 * the others. A create that failed is listed too: a comment that arrived counts.
 */
export const COMMENT_BODY_LIMIT = 65536;

type Comment = z.infer<typeof commentSchema>;

interface CommentStore {
  readonly what: string;
  list(): Promise<Comment[]>;
  create(body: string): Promise<void>;
  edit(id: number, body: string): Promise<void>;
  remove(id: number): Promise<void>;
}

function issueComments(octokit: GithubOctokit, repo: RepoRef, issue: number): CommentStore {
  return {
    what: 'pull request comment',
    list: async () => {
      const all = await translated('list pull request comments', () => octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...repo, issue_number: issue, per_page: 100 }));
      return parsed(commentSchema.array(), all, 'list pull request comments');
    },
    create: async (body) => {
      await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...repo, issue_number: issue, body });
    },
    edit: (id, body) => translated('edit a pull request comment', async () => void (await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...repo, comment_id: id, body }))),
    remove: async (id) => void (await octokit.request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...repo, comment_id: id })),
  };
}

function commitComments(octokit: GithubOctokit, repo: RepoRef, sha: string): CommentStore {
  return {
    what: 'commit comment',
    list: async () => {
      const all = await translated('list commit comments', () => octokit.paginate('GET /repos/{owner}/{repo}/commits/{commit_sha}/comments', { ...repo, commit_sha: sha, per_page: 100 }));
      return parsed(commentSchema.array(), all, 'list commit comments');
    },
    create: async (body) => {
      await octokit.request('POST /repos/{owner}/{repo}/commits/{commit_sha}/comments', { ...repo, commit_sha: sha, body });
    },
    edit: (id, body) => translated('edit a commit comment', async () => void (await octokit.request('PATCH /repos/{owner}/{repo}/comments/{comment_id}', { ...repo, comment_id: id, body }))),
    remove: async (id) => void (await octokit.request('DELETE /repos/{owner}/{repo}/comments/{comment_id}', { ...repo, comment_id: id })),
  };
}

/** GitHub refuses bodies over 65536 characters: cut, keeping the marker at the start. */
export function cutCommentBody(body: string): string {
  return body.length <= COMMENT_BODY_LIMIT ? body : `${body.slice(0, COMMENT_BODY_LIMIT - 2)}\n…`;
}

async function ours(store: CommentStore, botLogin: string | null, marker: string): Promise<Comment[]> {
  const mine = (c: Comment): boolean =>
    c.user !== null && (botLogin !== null ? c.user.login === botLogin : c.user.type === 'Bot' && c.performed_via_github_app != null);
  return (await store.list()).filter((c) => mine(c) && (c.body ?? '').startsWith(marker)).sort((a, b) => a.id - b.id);
}

async function removeExtras(store: CommentStore, extras: readonly Comment[]): Promise<void> {
  for (const extra of extras) {
    try {
      await store.remove(extra.id);
    } catch (error) {
      // Another run may have removed it first; anything else is worth a retry of the job.
      if (githubStatus(error) !== 404) throw translateGithubError(error, `delete a duplicate ${store.what}`);
    }
  }
}

export async function upsertGithubComment(
  octokit: GithubOctokit,
  repo: RepoRef,
  botLogin: string | null,
  target: CommentTarget,
  rawBody: string,
  marker: string,
  options: UpsertOptions = {},
): Promise<UpsertResult> {
  const store = target.kind === 'change-request' ? issueComments(octokit, repo, target.number) : commitComments(octokit, repo, target.sha);
  const body = cutCommentBody(rawBody);
  const [mine, ...extras] = await ours(store, botLogin, marker);
  if (mine !== undefined) {
    await removeExtras(store, extras);
    if (mine.body === body) return 'unchanged';
    await store.edit(mine.id, body);
    return 'updated';
  }
  if (options.createIfMissing === false) return 'absent';
  let failure: unknown = null;
  try {
    await store.create(body);
  } catch (error) {
    failure = error;
  }
  const [kept, ...duplicates] = await ours(store, botLogin, marker);
  if (kept === undefined) throw translateGithubError(failure ?? new Error('comment vanished'), `create a ${store.what}`);
  await removeExtras(store, duplicates);
  if (kept.body !== body) await store.edit(kept.id, body);
  return 'created';
}
