import { orNull, translateGithubError } from './github-errors.js';
import type { GithubOctokit, RepoRef } from './github-octokit.js';
import { parsed, refSchema } from './github-schemas.js';

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
): { ensureBranch(name: string, sha: string): Promise<'created' | 'exists'>; branchHead(name: string): Promise<string | null> } {
  const branchHead = async (name: string): Promise<string | null> => {
    if (isDotSegment(name)) return null;
    const res = await orNull('read a branch', () => octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { ...repo, ref: `heads/${name}` }));
    return res === null ? null : parsed(refSchema, res.data, 'read a branch').object.sha;
  };
  return {
    branchHead,
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
