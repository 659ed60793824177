import { z } from 'zod';

/**
 * The few fields the adapter reads from GitLab's REST responses (gitlabhq doc/api:
 * users.md, projects.md, commits.md, tags.md, protected_tags.md, notes.md,
 * discussions.md, releases/links.md), checked rather than trusted: gitbeaker's types
 * are declarations, not validation.
 */
export const userSchema = z.object({ id: z.number().int() });
export const projectSchema = z.object({ default_branch: z.string().nullable().optional() });
export const projectIdentitySchema = z.object({ id: z.number().int().positive(), path_with_namespace: z.string().min(1) });
export const commitSchema = z.object({ id: z.string(), message: z.string().nullable().optional() });
export const tagSchema = z.object({ name: z.string(), commit: z.object({ id: z.string(), committed_date: z.string().nullable().optional() }) });
export const protectedTagSchema = z.object({ name: z.string() });
export const refSchema = z.object({ type: z.string(), name: z.string() });
export const mergeRequestSchema = z.object({ iid: z.number().int() });
/** A merge request as commits/:sha/merge_requests lists it, with what release notes show. */
export const listedMergeRequestSchema = z.object({
  iid: z.number().int(),
  title: z.string(),
  state: z.string(),
  web_url: z.string().nullable().optional(),
  author: z.object({ username: z.string() }).nullable().optional(),
});
/** GET /projects/:id/repository/compare: only the commits are read (oldest first, per git log --reverse). */
export const compareSchema = z.object({ commits: z.array(z.object({ id: z.string(), committed_date: z.string().nullable().optional() })) });
export const noteSchema = z.object({ id: z.number().int(), body: z.string(), author: z.object({ id: z.number().int() }), system: z.boolean().optional() });
export const discussionSchema = z.object({ id: z.string(), notes: z.array(noteSchema) });
export const statusSchema = z.object({ id: z.number().int(), status: z.string(), name: z.string().nullable().optional() });
export const linkSchema = z.object({ id: z.number().int(), name: z.string(), url: z.string() });
