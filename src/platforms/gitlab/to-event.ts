import { isRecheckCommand } from '../../core/commands.js';
import { pushTouchesConfig } from '../../core/config-files.js';
import type { z } from 'zod';
import type { EventMeta, RepoEvent, RepoRef } from '../../core/events.js';
import { REPORT_MARKER } from '../../core/report.js';
import { NULL_SHA, PUSH_COMMITS_LIMIT, mergeRequestSchema, noteSchema, pushSchema, releaseSchema, tagPushSchema } from './payloads.js';
import type { MergeRequestPayload, NotePayload, ProjectPayload, PushPayload, TagPushPayload } from './payloads.js';

/**
 * GitLab webhook (event header + parsed JSON) -> core event. Pure: no I/O, no clock.
 *
 * - `ignored`: a well-formed event the bot does not act on (deletions, label edits,
 *   other event types, its own notes).
 * - `invalid`: an event type we handle whose payload lacks what we need. After
 *   authentication that is our bug or a GitLab change, not the sender's fault: the
 *   receiver answers 2xx anyway (GitLab disables hooks that keep failing) and logs it.
 *
 * Names (tags, branches) are passed on raw, whatever they contain: the core's tag
 * policy decides what is acceptable, and must see exactly what was pushed.
 */
export type GitlabMapping =
  | { readonly kind: 'event'; readonly event: RepoEvent }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string };

export interface GitlabMappingOptions {
  readonly botUserId?: number | null;
  readonly botUsername?: string | null;
}

/** The merge-request note that asks for the checks to run again. */
export { RECHECK_COMMAND, isRecheckCommand } from '../../core/commands.js';

const TAG_PREFIX = 'refs/tags/';
const BRANCH_PREFIX = 'refs/heads/';

export function mapGitlabWebhook(
  eventHeader: string | undefined,
  payload: unknown,
  meta: EventMeta,
  options: GitlabMappingOptions,
): GitlabMapping {
  switch (eventHeader) {
    case 'Tag Push Hook':
      return parsed(tagPushSchema, payload, 'tag_push', (p) => mapTagPush(p, meta));
    case 'Push Hook':
      return parsed(pushSchema, payload, 'push', (p) => mapPush(p, meta));
    case 'Merge Request Hook':
      return parsed(mergeRequestSchema, payload, 'merge_request', (p) => mapMergeRequest(p, meta));
    case 'Note Hook':
      return parsed(noteSchema, payload, 'note', (p) => mapNote(p, meta, options));
    case 'Release Hook':
      // Validated so that a GitLab change shows up in the logs before the tagging feature
      // (another issue) relies on it.
      return parsed(releaseSchema, payload, 'release', () => ignored('release events are handled by the self-hosted tagging feature'));
    case undefined:
      return ignored('no X-Gitlab-Event header');
    default:
      // System Hook (instance-wide, admin only), pipelines, issues, wiki, ...
      return ignored(`event ${JSON.stringify(eventHeader.slice(0, 64))} is not handled`);
  }
}

function parsed<S extends z.ZodType>(
  schema: S,
  payload: unknown,
  objectKind: string,
  map: (value: z.infer<S>) => GitlabMapping,
): GitlabMapping {
  const result = schema.safeParse(payload);
  if (!result.success) {
    // Paths only: a payload value never reaches a log line.
    const where = result.error.issues.slice(0, 3).map((issue) => issue.path.join('.') || '(root)');
    return invalid(`payload does not match: ${where.join(', ')}`);
  }
  const kind = (result.data as { object_kind?: string }).object_kind;
  if (kind !== undefined && kind !== objectKind) return invalid(`object_kind ${JSON.stringify(kind.slice(0, 32))} does not match the event header`);
  return map(result.data);
}

function mapTagPush(p: TagPushPayload, meta: EventMeta): GitlabMapping {
  if (!p.ref.startsWith(TAG_PREFIX) || p.ref.length === TAG_PREFIX.length) return invalid('ref is not a tag');
  if (NULL_SHA.test(p.after)) return ignored('tag deleted');
  // `after` is the tag object for an annotated tag; only checkout_sha names the commit.
  if (p.checkout_sha == null) return invalid('checkout_sha missing');
  return event({
    kind: 'tag-pushed',
    repo: repoRef(p.project),
    tag: p.ref.slice(TAG_PREFIX.length),
    sha: p.checkout_sha,
    protected: p.ref_protected ?? null,
    meta,
  });
}

function mapPush(p: PushPayload, meta: EventMeta): GitlabMapping {
  if (!p.ref.startsWith(BRANCH_PREFIX) || p.ref.length === BRANCH_PREFIX.length) return invalid('ref is not a branch');
  if (NULL_SHA.test(p.after)) return ignored('branch deleted');
  const sha = p.checkout_sha ?? p.after;
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(sha)) return invalid('after is not a commit sha');
  const branch = p.ref.slice(BRANCH_PREFIX.length);
  // A config file touched on the default branch: the sweep reads the config again. GitLab
  // lists the newest 20 commits; when it cut more off, any of them may have touched one.
  const complete = p.commits.length < PUSH_COMMITS_LIMIT || (p.total_commits_count ?? p.commits.length) <= p.commits.length;
  const touched = branch === p.project.default_branch ? pushTouchesConfig(p.commits, complete) : false;
  // Every branch is mapped; the core decides which branch matters (the default one).
  return event({
    kind: 'branch-pushed',
    repo: repoRef(p.project),
    branch,
    sha,
    headMessage: p.commits.find((commit) => commit.id === sha)?.message ?? null,
    ...(touched === false ? {} : { configTouched: touched === true ? true : null }),
    meta,
  });
}

const MR_ACTIONS: Readonly<Record<string, 'opened' | 'reopened'>> = { open: 'opened', reopen: 'reopened' };

function mapMergeRequest(p: MergeRequestPayload, meta: EventMeta): GitlabMapping {
  const mr = p.object_attributes;
  const action = mr.action ?? '';
  let mapped: 'opened' | 'reopened' | 'updated';
  if (action === 'update') {
    // Title, label, assignee and approval edits come as updates too; only `oldrev`
    // says new commits arrived (webhook_events.md, "Merge request events").
    if (mr.oldrev == null || mr.oldrev === '') return ignored('merge request updated without new commits');
    mapped = 'updated';
  } else {
    const known = Object.hasOwn(MR_ACTIONS, action) ? MR_ACTIONS[action] : undefined;
    if (known === undefined) return ignored(`merge request action ${JSON.stringify(action.slice(0, 32))} is not handled`);
    mapped = known;
  }
  return event({
    kind: 'change-request',
    repo: repoRef(p.project),
    action: mapped,
    number: mr.iid,
    sourceBranch: mr.source_branch,
    targetBranch: mr.target_branch,
    headSha: mr.last_commit.id,
    sameRepo: mr.source_project_id === mr.target_project_id,
    meta,
  });
}

function mapNote(p: NotePayload, meta: EventMeta, options: GitlabMappingOptions): GitlabMapping {
  const note = p.object_attributes;
  if (note.noteable_type !== 'MergeRequest') return ignored('note is not on a merge request');
  if (isOwnNote(p, options)) return ignored('own note');
  if (note.system === true) return ignored('system note');
  if (!isRecheckCommand(note.note)) return ignored('note is not a command');
  // Like GitLab's quick actions, a command acts when posted, not when edited.
  if (note.action != null && note.action !== 'create') return ignored('edited note');
  const mr = p.merge_request;
  if (mr == null) return invalid('merge_request missing from a merge request note');
  return event({
    kind: 'change-request',
    repo: repoRef(p.project),
    action: 'recheck',
    number: mr.iid,
    sourceBranch: mr.source_branch,
    targetBranch: mr.target_branch,
    headSha: mr.last_commit.id,
    sameRepo: mr.source_project_id === mr.target_project_id,
    meta,
  });
}

// Our own reports come back as Note Hooks: recognised by author, and by the marker in
// case the bot's identity is not configured.
function isOwnNote(p: NotePayload, options: GitlabMappingOptions): boolean {
  const botId = options.botUserId ?? null;
  const botName = options.botUsername ?? null;
  if (botId !== null && (p.object_attributes.author_id === botId || p.user?.id === botId)) return true;
  if (botName !== null && p.user?.username === botName) return true;
  return p.object_attributes.note.trimStart().startsWith(REPORT_MARKER);
}

function repoRef(project: ProjectPayload): RepoRef {
  return {
    platform: 'gitlab',
    id: String(project.id),
    path: project.path_with_namespace,
    defaultBranch: project.default_branch ?? null,
  };
}

function event(value: RepoEvent): GitlabMapping {
  return { kind: 'event', event: value };
}

function ignored(reason: string): GitlabMapping {
  return { kind: 'ignored', reason };
}

function invalid(reason: string): GitlabMapping {
  return { kind: 'invalid', reason };
}
