import type { Gitlab } from '@gitbeaker/rest';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { orNull, translateGitlabError } from './gitlab-errors.js';

type GitlabApi = InstanceType<typeof Gitlab<false>>;

// doc/api/branches.md: GET /projects/:id/repository/branches/:branch -> { name, commit: { id } }.
const branchSchema = z.object({ name: z.string(), commit: z.object({ id: z.string() }) });

/** `.` and `..` would be collapsed by URL parsing into another route. */
const dotSegment = (value: string): boolean => value === '' || value === '.' || value === '..';

/**
 * Branches over doc/api/branches.md. Creating an existing branch is a 400 ("Branch
 * already exists"), and a create whose 502 gitbeaker retried comes back the same way:
 * the branch is re-read instead of reading GitLab's words. An existing branch is
 * 'exists' whatever its head: a stable branch moves on after it is cut.
 */
export function branchOps(api: GitlabApi, pid: number | string): { ensureBranch(name: string, sha: string): Promise<'created' | 'exists'>; branchHead(name: string): Promise<string | null> } {
  const branchHead = async (name: string): Promise<string | null> => {
    if (dotSegment(name)) return null;
    const raw = await orNull('read a branch', () => api.Branches.show(pid, name));
    if (raw === null) return null;
    const branch = branchSchema.safeParse(raw);
    if (!branch.success) throw new AppError('forge-unavailable', "GitLab's answer to read a branch has an unexpected shape", { retryable: true, details: { action: 'read a branch' } });
    return branch.data.commit.id;
  };
  return {
    branchHead,
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
