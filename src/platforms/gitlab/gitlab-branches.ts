import type { Gitlab } from '@gitbeaker/rest';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { Platform } from '../platform.js';
import { orNull, translateGitlabError } from './gitlab-errors.js';
import { isDotSegment } from '../path-guard.js';

type GitlabApi = InstanceType<typeof Gitlab<false>>;

// doc/api/branches.md: GET /projects/:id/repository/branches/:branch -> { name, commit: { id } }.
const branchSchema = z.object({ name: z.string(), commit: z.object({ id: z.string() }) });

// doc/api/repositories.md "Merge base": the commit, as doc/api/commits.md shows one.
const commitIdSchema = z.object({ id: z.string() });

function parsedCommitId(raw: unknown): string {
  const commit = commitIdSchema.safeParse(raw);
  if (!commit.success) throw new AppError('forge-unavailable', "GitLab's answer to find a merge base has an unexpected shape", { retryable: true, details: { action: 'find a merge base' } });
  return commit.data.id;
}

async function refsMissing(api: GitlabApi, pid: number | string, refs: readonly string[]): Promise<boolean> {
  for (const ref of refs) if ((await orNull('read a commit', () => api.Commits.show(pid, ref))) === null) return true;
  return false;
}

/** `.` and `..` would be collapsed by URL parsing into another route. */

/**
 * Branches over doc/api/branches.md. Creating an existing branch is a 400 ("Branch
 * already exists"), and a create whose 502 gitbeaker retried comes back the same way:
 * the branch is re-read instead of reading GitLab's words. An existing branch is
 * 'exists' whatever its head: a stable branch moves on after it is cut.
 */
export function branchOps(api: GitlabApi, pid: number | string): Pick<Platform, 'ensureBranch' | 'branchHead' | 'mergeBase'> {
  const branchHead = async (name: string): Promise<string | null> => {
    if (isDotSegment(name)) return null;
    const raw = await orNull('read a branch', () => api.Branches.show(pid, name));
    if (raw === null) return null;
    const branch = branchSchema.safeParse(raw);
    if (!branch.success) throw new AppError('forge-unavailable', "GitLab's answer to read a branch has an unexpected shape", { retryable: true, details: { action: 'read a branch' } });
    return branch.data.commit.id;
  };
  return {
    branchHead,
    // doc/api/repositories.md "Merge base": an unknown ref is a 400 ("ref not found: ..."),
    // told apart from other 400s by asking for the refs, not by reading the message;
    // unrelated histories are a 404 ("Merge Base Not Found").
    mergeBase: async (a, b) => {
      try {
        const raw = await orNull('find a merge base', () => api.Repositories.mergeBase(pid, [a, b]));
        return raw === null ? null : parsedCommitId(raw);
      } catch (error) {
        if (error instanceof AppError && error.code === 'forge-refused' && (await refsMissing(api, pid, [a, b]))) return null;
        throw error;
      }
    },
    ensureBranch: async (name, sha) => {
      try {
        await api.Branches.create(pid, name, sha);
        return 'created';
      } catch (error) {
        if ((await branchHead(name)) === null) throw translateGitlabError(error, 'create a branch');
        return 'exists';
      }
    },
  };
}
