import { githubStatus, rateLimitWait, translated, translateGithubError } from './github-errors.js';
import type { GithubOctokit, RepoRef } from './github-octokit.js';
import { parsed, rulesetSchema, rulesetSummarySchema } from './github-schemas.js';

/**
 * Whether a tag is protected, from tag rulesets (docs rest/repos/rules; the older "tag
 * protection" API was retired in 2024 in favour of rulesets). GitHub has no
 * `rules/tags/{tag}` counterpart of `rules/branches/{branch}`, so: list the rulesets that
 * target tags (including the organisation's), read each active one, and match its
 * ref_name condition against `refs/tags/<name>`. A tag is protected when a matching
 * active ruleset restricts creating, updating or deleting it.
 *
 * Anyone with read access may view rulesets; a 403/404 still means we cannot know: null.
 */
const PROTECTING_RULES = new Set(['creation', 'update', 'deletion', 'non_fast_forward']);

/** fnmatch with File::FNM_PATHNAME as rulesets use it: `*` stops at `/`, `**` does not. */
export function rulesetPatternMatches(pattern: string, ref: string): boolean {
  if (pattern === '~ALL') return true;
  if (pattern.startsWith('~')) return false;
  const re = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${re}$`).test(ref);
}

const unknowable = (error: unknown): boolean => rateLimitWait(error, Date.now()) === null && (githubStatus(error) === 403 || githubStatus(error) === 404);

export async function tagProtectedByRulesets(octokit: GithubOctokit, repo: RepoRef, tag: string): Promise<boolean | null> {
  let summaries: unknown;
  try {
    summaries = await octokit.paginate('GET /repos/{owner}/{repo}/rulesets', { ...repo, targets: 'tag', includes_parents: true, per_page: 100 });
  } catch (error) {
    if (unknowable(error)) return null;
    throw translateGithubError(error, 'list rulesets');
  }
  const ref = `refs/tags/${tag}`;
  for (const summary of parsed(rulesetSummarySchema.array(), summaries, 'list rulesets')) {
    if (summary.enforcement !== undefined && summary.enforcement !== 'active') continue;
    const detail = await translated('read a ruleset', () => octokit.request('GET /repos/{owner}/{repo}/rulesets/{ruleset_id}', { ...repo, ruleset_id: summary.id, includes_parents: true }));
    const set = parsed(rulesetSchema, detail.data, 'read a ruleset');
    if (set.enforcement !== 'active' || (set.target !== undefined && set.target !== 'tag')) continue;
    const include = set.conditions?.ref_name?.include ?? [];
    const exclude = set.conditions?.ref_name?.exclude ?? [];
    const targets = include.some((p) => rulesetPatternMatches(p, ref)) && !exclude.some((p) => rulesetPatternMatches(p, ref));
    if (targets && (set.rules ?? []).some((r) => PROTECTING_RULES.has(r.type))) return true;
  }
  return false;
}
