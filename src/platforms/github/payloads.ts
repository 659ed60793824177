import { z } from 'zod';

/**
 * GitHub webhook payloads: ONLY the fields the mapper reads, as zod objects that strip the
 * rest, so that fields GitHub adds (and the hundreds we ignore) never fail validation and
 * are not copied. Loose objects copied every field into the parsed value, about 100 for
 * the repository alone: mapping @octokit/webhooks-examples' push took 5.5 µs with them and
 * 1.5 µs without (JSON.parse of it: 9-11 µs). Shapes follow github/docs "Webhook events and
 * payloads" and the real payloads in @octokit/webhooks-examples. URLs in payloads are
 * deliberately not read: nothing may connect to an address a payload names.
 */

/** A commit (or tag object) id: SHA-1, or SHA-256 for repositories in that format. */
export const objectSha = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'not an object sha');

/** git's "no object": `after` of a deleted ref, `before` of a created one. */
export const NULL_SHA = /^(?:0{40}|0{64})$/;

const id = z.number().int().nonnegative();

export const repositorySchema = z.object({
  id,
  full_name: z.string().min(1),
  default_branch: z.string().min(1).nullish(),
});

const paths = z.array(z.string()).max(100_000).nullish();

/**
 * push `commits` (every commit between before and after, at most 2048: github/docs,
 * "Webhook events and payloads"), each with the paths it added, removed and modified, and
 * `forced`. Read apart from pushSchema, and only for a push to the default branch: most
 * pushes never need their file lists.
 */
export const pushCommitsSchema = z.object({
  forced: z.boolean().nullish(),
  commits: z.array(z.object({ added: paths, removed: paths, modified: paths })).max(100_000).nullish(),
});
export const PUSH_COMMITS_LIMIT = 2048;

/** Present on every delivery to a GitHub App; absent on plain repository webhooks. */
const installationSchema = z.object({ id }).nullish();

const actorSchema = z.object({ login: z.string(), type: z.string().nullish() }).nullish();

/**
 * push. `head_commit` is the commit the ref now names: for a tag, the tagged commit even
 * when `after` is an annotated tag object (github.blog changelog 2021-10-01, "The push
 * webhook payload provides a consistent head_commit on tag creation"). Null on deletion.
 */
export const pushSchema = z.object({
  ref: z.string(),
  after: z.string(),
  created: z.boolean().nullish(),
  deleted: z.boolean().nullish(),

  head_commit: z.object({ id: objectSha, message: z.string() }).nullish(),
  repository: repositorySchema,
  installation: installationSchema,
});

const branchEnd = z.object({
  ref: z.string().min(1),
  sha: objectSha,
  // Null when the fork the pull request came from has been deleted.
  repo: z.object({ id }).nullish(),
});

/** The pull request object, as in pull_request events and GET /repos/{o}/{r}/pulls/{n}. */
export const pullRequestObjectSchema = z.object({
  number: id,
  head: branchEnd,
  base: branchEnd.extend({ repo: z.object({ id }) }),
});

/** pull_request. `changes.base` is set when an `edited` action retargeted the pull request. */
export const pullRequestSchema = z.object({
  action: z.string(),
  pull_request: pullRequestObjectSchema,
  changes: z.object({ base: z.unknown().optional() }).nullish(),
  repository: repositorySchema,
  installation: installationSchema,
});

/** issue_comment: pull requests are issues; `issue.pull_request` marks one. */
export const issueCommentSchema = z.object({
  action: z.string(),
  issue: z.object({ number: id, pull_request: z.object({}).nullish() }),
  comment: z.object({
    body: z.string().nullish(),
    user: actorSchema,
    performed_via_github_app: z.object({ id: id.nullish(), slug: z.string().nullish() }).nullish(),
  }),
  sender: actorSchema,
  repository: repositorySchema,
  installation: installationSchema,
});

/** create (a branch or tag was created). Carries no sha at all. */
export const createSchema = z.object({
  ref: z.string(),
  ref_type: z.string(),
  repository: repositorySchema,
});

export type RepositoryPayload = z.infer<typeof repositorySchema>;
export type PushPayload = z.infer<typeof pushSchema>;
export type PullRequestObject = z.infer<typeof pullRequestObjectSchema>;
export type PullRequestPayload = z.infer<typeof pullRequestSchema>;
export type IssueCommentPayload = z.infer<typeof issueCommentSchema>;
