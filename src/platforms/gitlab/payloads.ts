import { z } from 'zod';

/**
 * GitLab webhook payloads: ONLY the fields the mapper reads, as zod objects that strip the
 * rest, so that fields GitLab adds (or the many we ignore) never fail validation and are
 * not copied (github/payloads.ts measured what loose objects cost). Shapes follow
 * GitLab's doc/user/project/integrations/webhook_events.md; project and group hooks
 * send the same payloads. URLs in payloads are deliberately not read: nothing may
 * connect to an address a payload names.
 */

/** A commit id: SHA-1, or SHA-256 for repositories in GitLab's SHA-256 format. */
export const commitSha = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'not a commit sha');

/** git's "no object": `after` of a deleted ref, `before` of a created one. */
export const NULL_SHA = /^(?:0{40}|0{64})$/;

const id = z.number().int().nonnegative();

export const projectSchema = z.object({
  id,
  path_with_namespace: z.string().min(1),
  default_branch: z.string().min(1).nullish(),
});

/** Tag Push Hook. `checkout_sha` is the peeled commit; it is null when the tag was deleted. */
export const tagPushSchema = z.object({
  object_kind: z.string().optional(),
  ref: z.string(),
  after: z.string(),
  checkout_sha: commitSha.nullish(),
  ref_protected: z.boolean().nullish(),
  project: projectSchema,
});

const paths = z.array(z.string()).max(100_000).nullish();

/**
 * Push Hook. `commits` holds the newest 20 commits at most (`total_commits_count` says how
 * many there were), each with the paths it added, modified and removed; empty for a new
 * branch.
 */
export const pushSchema = z.object({
  object_kind: z.string().optional(),
  ref: z.string(),
  after: z.string(),
  checkout_sha: commitSha.nullish(),
  commits: z.array(z.object({ id: z.string(), message: z.string(), added: paths, modified: paths, removed: paths })).default([]),
  total_commits_count: z.number().int().nonnegative().nullish(),
  project: projectSchema,
});

/** GitLab lists this many commits of a push at most (webhook_events.md, "Push events"). */
export const PUSH_COMMITS_LIMIT = 20;

const mergeRequestFields = {
  iid: id,
  source_branch: z.string().min(1),
  target_branch: z.string().min(1),
  source_project_id: id,
  target_project_id: id,
  last_commit: z.object({ id: commitSha }),
};

/** Merge Request Hook. `oldrev` is present only when the update brought new commits. */
export const mergeRequestSchema = z.object({
  object_kind: z.string().optional(),
  object_attributes: z.object({
    ...mergeRequestFields,
    action: z.string().nullish(),
    oldrev: z.string().nullish(),
  }),
  project: projectSchema,
});

/** Note Hook. `merge_request` is there only for notes on merge requests. */
export const noteSchema = z.object({
  object_kind: z.string().optional(),
  user: z.object({ id: id.nullish(), username: z.string().nullish() }).nullish(),
  object_attributes: z.object({
    note: z.string(),
    noteable_type: z.string(),
    author_id: id.nullish(),
    system: z.boolean().nullish(),
    action: z.string().nullish(),
  }),
  merge_request: z.object(mergeRequestFields).nullish(),
  project: projectSchema,
});

/**
 * Release Hook. The docs list `object_attributes.action`, their example has a top-level
 * `action`: either is accepted, and one of them must be there.
 */
export const releaseSchema = z
  .looseObject({
    object_kind: z.string().optional(),
    tag: z.string().min(1),
    action: z.string().min(1).nullish(),
    object_attributes: z.object({ action: z.string().min(1).nullish() }).nullish(),
    project: projectSchema,
  })
  .refine((release) => (release.action ?? release.object_attributes?.action) != null, {
    message: 'no action',
    path: ['action'],
  });

export type ProjectPayload = z.infer<typeof projectSchema>;
export type TagPushPayload = z.infer<typeof tagPushSchema>;
export type PushPayload = z.infer<typeof pushSchema>;
export type MergeRequestPayload = z.infer<typeof mergeRequestSchema>;
export type NotePayload = z.infer<typeof noteSchema>;
