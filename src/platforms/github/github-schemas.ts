import { z } from 'zod';
import { AppError } from '../../errors.js';

// The fields of GitHub's REST answers the adapter reads (docs.github.com/rest example
// responses); everything else is ignored. Octokit's types are not checked at run time.
export const repoSchema = z.object({ default_branch: z.string().nullable().optional() });
export const repoIdentitySchema = z.object({ id: z.number().int().positive(), full_name: z.string().min(1) });
export const contentFileSchema = z.object({ type: z.string(), encoding: z.string().optional(), content: z.string().optional(), size: z.number().optional() });
export const commitSchema = z.object({ sha: z.string(), commit: z.object({ message: z.string() }) });
export const refSchema = z.object({ ref: z.string(), object: z.object({ type: z.string(), sha: z.string() }) });
export const tagObjectSchema = z.object({ sha: z.string(), object: z.object({ type: z.string(), sha: z.string() }) });
export const repoTagSchema = z.object({ name: z.string(), commit: z.object({ sha: z.string() }) });
export const branchSchema = z.object({ name: z.string(), commit: z.object({ sha: z.string() }) });
export const compareSchema = z.object({ status: z.enum(['ahead', 'behind', 'identical', 'diverged']) });
export const mergeBaseSchema = z.object({ merge_base_commit: z.object({ sha: z.string() }) });
export const pullSchema = z.object({ number: z.number(), state: z.string(), merged_at: z.string().nullable().optional() });
export const userSchema = z.object({ login: z.string(), type: z.string().optional() }).nullable();
export const commentSchema = z.object({
  id: z.number(),
  body: z.string().nullable().optional(),
  user: userSchema,
  performed_via_github_app: z.object({ id: z.number() }).nullable().optional(),
});
export const checkRunSchema = z.object({
  id: z.number(),
  status: z.string(),
  conclusion: z.string().nullable(),
  details_url: z.string().nullable().optional(),
  output: z.object({ title: z.string().nullable().optional(), summary: z.string().nullable().optional() }).optional(),
});
export const checkRunListSchema = z.object({ check_runs: z.array(checkRunSchema) });
export const releaseSchema = z.object({ id: z.number(), tag_name: z.string(), name: z.string().nullable().optional(), body: z.string().nullable().optional() });
export const rulesetSummarySchema = z.object({ id: z.number(), enforcement: z.string().optional() });
export const rulesetSchema = z.object({
  id: z.number(),
  target: z.string().optional(),
  enforcement: z.string(),
  conditions: z.object({ ref_name: z.object({ include: z.array(z.string()).optional(), exclude: z.array(z.string()).optional() }).optional() }).nullable().optional(),
  rules: z.array(z.object({ type: z.string() })).optional(),
});

export function parsed<S extends z.ZodType>(schema: S, value: unknown, action: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // A proxy's HTML page with a 200, or an API change: retry later, and say where.
  throw new AppError('forge-unavailable', `GitHub's answer to ${action} has an unexpected shape`, { retryable: true, details: { action } });
}
