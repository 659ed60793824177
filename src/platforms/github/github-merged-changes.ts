import { z } from 'zod';
import { collectMergedChanges } from '../merged-changes.js';
import type { MergedChanges } from '../platform.js';
import { orNull, translated } from './github-errors.js';
import type { GithubOctokit, RepoRef } from './github-octokit.js';
import { parsed } from './github-schemas.js';

const PAGE = 100;
const comparedSchema = z.object({ total_commits: z.number().int(), commits: z.array(z.object({ sha: z.string() })) });
const listedPullSchema = z.object({
  number: z.number().int(),
  title: z.string(),
  merged_at: z.string().nullable().optional(),
  html_url: z.string().nullable().optional(),
  user: z.object({ login: z.string() }).nullable().optional(),
});

/**
 * The pull requests merged into `to`'s history since `from` (repos/commits "Compare two
 * commits", `from...to`, whose `commits` are oldest first and paged by per_page/page;
 * then "List pull requests associated with a commit" for each of the newest 100 commits,
 * one page each, keeping merged ones). Requests: one compare page when the range has at
 * most 100 commits, else the first and the last one or two pages (at most three), plus at
 * most 100 commit lookups: at most 103 a release.
 */
export async function listMergedPulls(octokit: GithubOctokit, repo: RepoRef, from: string, to: string, limit: number): Promise<MergedChanges> {
  const page = async (n: number): Promise<z.infer<typeof comparedSchema>> => {
    const res = await translated('compare two commits', () => octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', { ...repo, basehead: `${from}...${to}`, per_page: PAGE, page: n }));
    return parsed(comparedSchema, res.data, 'compare two commits');
  };
  const first = await page(1);
  const pages = new Map([[1, first.commits]]);
  const last = Math.ceil(first.total_commits / PAGE);
  for (const n of [last - 1, last]) if (n > 1 && !pages.has(n)) pages.set(n, (await page(n)).commits);
  const oldestFirst = [...pages].sort(([a], [b]) => a - b).flatMap(([, commits]) => commits.map((c) => c.sha));
  const fetched = oldestFirst.length;
  return collectMergedChanges(oldestFirst.reverse(), fetched >= first.total_commits, limit, async (sha) => {
    const res = await orNull('list pull requests of a commit', () => octokit.request('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', { ...repo, commit_sha: sha, per_page: PAGE }), [404, 422]);
    if (res === null) return [];
    return parsed(listedPullSchema.array(), res.data, 'list pull requests of a commit')
      .filter((p) => (p.merged_at ?? null) !== null)
      .sort((a, b) => b.number - a.number)
      .map((p) => ({ number: p.number, title: p.title, url: p.html_url ?? null, author: p.user?.login ?? null }));
  });
}
