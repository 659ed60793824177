import { isRecheckCommand } from '../../core/commands.js';
import { pushTouchesConfig } from '../../core/config-files.js';
import type { z } from 'zod';
import type { EventMeta, RepoEvent, RepoRef } from '../../core/events.js';
import { REPORT_MARKER } from '../../core/report.js';
import { NULL_SHA, PUSH_COMMITS_LIMIT, createSchema, issueCommentSchema, pullRequestSchema, pushCommitsSchema, pushSchema } from './payloads.js';
import type { IssueCommentPayload, PullRequestObject, PullRequestPayload, PushPayload, RepositoryPayload } from './payloads.js';

/**
 * GitHub webhook (X-GitHub-Event + parsed JSON) -> core event. Pure: no I/O, no clock.
 *
 * - `ignored`: a well-formed event the bot does not act on (deletions, label edits,
 *   other event types, its own comments).
 * - `invalid`: an event type we handle whose payload lacks what we need.
 * - `recheck`: a `/pyrelease check` comment on a pull request. The issue_comment payload
 *   does not carry the pull request's head (sha, branches, fork or not), and a mapper
 *   does no I/O: the receiver resolves it through the API (recheck.ts) before queueing.
 *
 * Names (tags, branches) are passed on raw, whatever they contain: the core's tag policy
 * decides what is acceptable and must see exactly what was pushed.
 */
export type GithubRecheck = {
  readonly kind: 'recheck';
  readonly repo: RepoRef;
  readonly number: number;
  readonly meta: EventMeta;
};

export type GithubMapping =
  | { readonly kind: 'event'; readonly event: RepoEvent }
  | GithubRecheck
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string };

export interface GithubMappingOptions {
  /** The app's bot account, `${slug}[bot]`. */
  readonly botLogin?: string | null;
  readonly appId?: number | null;
}

/** The pull-request comment that asks for the checks to run again. */
export { RECHECK_COMMAND, isRecheckCommand } from '../../core/commands.js';

const TAG_PREFIX = 'refs/tags/';
const BRANCH_PREFIX = 'refs/heads/';

/**
 * `meta.installationId` is ignored: the installation is read from the payload (null
 * when the delivery comes from a plain repository webhook rather than the App).
 */
export function mapGithubWebhook(eventName: string | undefined, payload: unknown, meta: EventMeta, options: GithubMappingOptions): GithubMapping {
  switch (eventName) {
    case 'push':
      return parsed(pushSchema, payload, (p) => mapPush(p, payload, withInstallation(meta, p)));
    case 'pull_request':
      return parsed(pullRequestSchema, payload, (p) => mapPullRequest(p, withInstallation(meta, p)));
    case 'issue_comment':
      return parsed(issueCommentSchema, payload, (p) => mapComment(p, withInstallation(meta, p), options));
    case 'create':
      // No sha in a create event, and GitHub sends a push event for the same tag unless
      // more than three tags were pushed at once, which the tag sweep covers. Validated
      // all the same, so that a subscription to it shows up sensibly in the logs.
      return parsed(createSchema, payload, () => ignored('create events carry no sha: tags are taken from push events and the tag sweep'));
    case 'ping':
      return ignored('ping');
    case undefined:
      return ignored('no X-GitHub-Event header');
    default:
      return ignored(`event ${JSON.stringify(eventName.slice(0, 64))} is not handled`);
  }
}

function parsed<S extends z.ZodType>(schema: S, payload: unknown, map: (value: z.infer<S>) => GithubMapping): GithubMapping {
  const result = schema.safeParse(payload);
  if (!result.success) {
    // Paths only: a payload value never reaches a log line.
    const where = result.error.issues.slice(0, 3).map((issue) => issue.path.join('.') || '(root)');
    return invalid(`payload does not match: ${where.join(', ')}`);
  }
  return map(result.data);
}

function mapPush(p: PushPayload, raw: unknown, meta: EventMeta): GithubMapping {
  if (p.deleted === true || NULL_SHA.test(p.after)) return ignored(p.ref.startsWith(TAG_PREFIX) ? 'tag deleted' : 'ref deleted');
  if (p.ref.startsWith(TAG_PREFIX) && p.ref.length > TAG_PREFIX.length) {
    // For an annotated tag `after` is the tag OBJECT; head_commit is the peeled commit.
    // A tag moved with --force (created: false) is mapped too, as on GitLab: moving a
    // tag after a failed release is a normal repair, and the core decides.
    if (p.head_commit == null) return invalid('head_commit missing: the tag cannot be peeled to a commit');
    return event({ kind: 'tag-pushed', repo: repoRef(p.repository), tag: p.ref.slice(TAG_PREFIX.length), sha: p.head_commit.id, protected: null, meta });
  }
  if (p.ref.startsWith(BRANCH_PREFIX) && p.ref.length > BRANCH_PREFIX.length) {
    if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(p.after)) return invalid('after is not a commit sha');
    const branch = p.ref.slice(BRANCH_PREFIX.length);
    const touched = branch === p.repository.default_branch ? configTouched(raw) : false;
    return event({
      kind: 'branch-pushed',
      repo: repoRef(p.repository),
      branch,
      sha: p.after,
      headMessage: p.head_commit?.id === p.after ? p.head_commit.message : null,
      ...(touched === false ? {} : { configTouched: touched === true ? true : null }),
      meta,
    });
  }
  return ignored('ref is neither a branch nor a tag');
}

/**
 * Whether a push to the default branch touched a config file. A forced push may have
 * dropped commits that did (they are not listed), a list of 2048 may be cut short, and
 * unreadable lists say nothing: all three are "may have" (null).
 */
function configTouched(payload: unknown): boolean | null {
  const read = pushCommitsSchema.safeParse(payload);
  if (!read.success) return null;
  const commits = read.data.commits ?? [];
  return pushTouchesConfig(commits, read.data.forced !== true && commits.length < PUSH_COMMITS_LIMIT);
}

const PR_ACTIONS: Readonly<Record<string, 'opened' | 'reopened' | 'updated'>> = {
  opened: 'opened',
  reopened: 'reopened',
  // New commits on the head branch.
  synchronize: 'updated',
};

function mapPullRequest(p: PullRequestPayload, meta: EventMeta): GithubMapping {
  let action = Object.hasOwn(PR_ACTIONS, p.action) ? PR_ACTIONS[p.action] : undefined;
  // A retargeted pull request compares against another branch: the checks change.
  if (action === undefined && p.action === 'edited' && p.changes?.base !== undefined) action = 'updated';
  if (action === undefined) return ignored(`pull request action ${JSON.stringify(p.action.slice(0, 32))} is not handled`);
  return event(changeRequest(repoRef(p.repository), action, p.pull_request, meta));
}

/** The core event for a pull request object; recheck.ts builds rechecks with it too. */
export function changeRequest(repo: RepoRef, action: 'opened' | 'reopened' | 'updated' | 'recheck', pr: PullRequestObject, meta: EventMeta): RepoEvent {
  return {
    kind: 'change-request',
    repo,
    action,
    number: pr.number,
    sourceBranch: pr.head.ref,
    targetBranch: pr.base.ref,
    headSha: pr.head.sha,
    // A deleted fork has no head.repo: still a fork.
    sameRepo: pr.head.repo != null && pr.head.repo.id === pr.base.repo.id,
    meta,
  };
}

function mapComment(p: IssueCommentPayload, meta: EventMeta, options: GithubMappingOptions): GithubMapping {
  if (p.issue.pull_request == null) return ignored('comment is not on a pull request');
  const body = p.comment.body ?? '';
  if (isOwnComment(p, body, options)) return ignored('own comment');
  if (!isRecheckCommand(body)) return ignored('comment is not a command');
  // A command acts when posted, not when edited or deleted.
  if (p.action !== 'created') return ignored(`comment ${JSON.stringify(p.action.slice(0, 32))}`);
  return { kind: 'recheck', repo: repoRef(p.repository), number: p.issue.number, meta };
}

// Our own reports come back as issue_comment events: recognised by the app that posted
// them, by the bot login, and by the marker in case the identity is not configured.
function isOwnComment(p: IssueCommentPayload, body: string, options: GithubMappingOptions): boolean {
  const appId = options.appId ?? null;
  const botLogin = options.botLogin ?? null;
  if (appId !== null && p.comment.performed_via_github_app?.id === appId) return true;
  if (botLogin !== null) {
    for (const actor of [p.comment.user, p.sender]) {
      if (actor != null && actor.type === 'Bot' && actor.login === botLogin) return true;
    }
  }
  return body.trimStart().startsWith(REPORT_MARKER);
}

function withInstallation(meta: EventMeta, p: { installation?: { id: number } | null | undefined }): EventMeta {
  return { deliveryId: meta.deliveryId, installationId: p.installation?.id ?? null };
}

export function repoRef(repository: RepositoryPayload): RepoRef {
  return {
    platform: 'github',
    id: String(repository.id),
    path: repository.full_name,
    defaultBranch: repository.default_branch ?? null,
  };
}

function event(value: RepoEvent): GithubMapping {
  return { kind: 'event', event: value };
}

function ignored(reason: string): GithubMapping {
  return { kind: 'ignored', reason };
}

function invalid(reason: string): GithubMapping {
  return { kind: 'invalid', reason };
}
