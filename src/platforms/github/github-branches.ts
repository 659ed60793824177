import { orNull, translateGithubError } from './github-errors.js';
import type { GithubOctokit, RepoRef } from './github-octokit.js';
import type { Platform } from '../platform.js';
import { mergeBaseSchema, parsed, refSchema } from './github-schemas.js';

/**
 * Branches over the git refs API (docs "Create a reference"). Creating an existing ref is
 * a 422, and a create whose 5xx plugin-retry sent again comes back the same way: the
 * branch is re-read instead of reading GitHub's words. An existing branch is 'exists'
 * whatever its head: a stable branch moves on after it is cut.
 */
export function githubBranchOps(
  octokit: GithubOctokit,
  repo: RepoRef,
  isDotSegment: (value: string) => boolean,
): Pick<Platform, 'ensureBranch' | 'branchHead' | 'mergeBase'> {
  const branchHead = async (name: string): Promise<string | null> => {
    if (isDotSegment(name)) return null;
    const res = await orNull('read a branch', () => octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { ...repo, ref: `heads/${name}` }));
    return res === null ? null : parsed(refSchema, res.data, 'read a branch').object.sha;
  };
  return {
    branchHead,
    // docs "Compare two commits": merge_base_commit. A missing ref and unrelated
    // histories are both 404 ("No common ancestor between ..."): null either way.
    mergeBase: async (a, b) => {
      if (isDotSegment(a) || isDotSegment(b)) return null;
      const res = await orNull('find a merge base', () => octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', { ...repo, basehead: `${a}...${b}`, per_page: 1 }), [404, 422]);
      return res === null ? null : parsed(mergeBaseSchema, res.data, 'find a merge base').merge_base_commit.sha;
    },
    ensureBranch: async (name, sha) => {
      try {
        await octokit.request('POST /repos/{owner}/{repo}/git/refs', { ...repo, ref: `refs/heads/${name}`, sha });
        return 'created';
      } catch (error) {
        if ((await branchHead(name)) === null) throw translateGithubError(error, 'create a branch');
        return 'exists';
      }
    },
  };
}
