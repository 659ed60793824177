import type { RepoRef } from '../core/events.js';
import { resolveExtends } from '../core/config-extends.js';
import type { OrgDefaults } from '../core/config-extends.js';
import { AppError } from '../errors.js';
import type { PublishJobData } from '../jobs/publish-job.js';
import type { Platform } from '../platforms/platform.js';
import type { RepositoryDirectory } from '../platforms/repository-directory.js';
import type { ServiceRepoConfig } from '../selfhosted/self-hosted-config.js';
import type { GithubSide } from './github-side.js';
import type { GitlabSide } from './gitlab-side.js';

/** Which forge adapter serves a repository, for events, publish jobs and self-hosted tagging. */
export interface Forges {
  platformFor(repo: RepoRef, installationId: number | null): Promise<Platform>;
  /** Null for local jobs, or when this process has no credentials for the job's forge. */
  platformForJob(data: PublishJobData): Promise<Platform | null>;
  platformForServiceRepo(repo: ServiceRepoConfig): Promise<Platform>;
  /**
   * Organisation defaults for a repository's config; GitHub only (its `.github` repository
   * convention). `_extends` is followed only where `extendsAllowed` (server config) or the
   * owner's `.github` repository says; elsewhere nothing is read and the refusal is returned.
   */
  orgDefaults(repo: RepoRef, installationId: number | null, extendsTarget: string | null, extendsAllowed: readonly string[]): Promise<OrgDefaults>;
  /** Which repositories of an account changed (the sweep); null where this process cannot ask. */
  directoryFor(account: { platform: 'gitlab' | 'github'; installationId: number | null }): Promise<RepositoryDirectory | null>;
}

function unconfigured(platform: string): AppError {
  return new AppError('config-invalid', `${platform} is not configured on this service`);
}

export function forgeRouter(gitlab: GitlabSide | null, github: GithubSide | null): Forges {
  const byPath = async (platform: 'gitlab' | 'github', idOrPath: string | number, installationId: number | null): Promise<Platform> => {
    if (platform === 'gitlab') {
      if (gitlab === null) throw unconfigured('GitLab');
      return gitlab.platformFor(idOrPath);
    }
    if (github === null) throw unconfigured('GitHub');
    return github.platformFor(String(idOrPath), installationId);
  };
  return {
    platformFor: (repo, installationId) => byPath(repo.platform, repo.platform === 'gitlab' ? Number(repo.id) : repo.path, installationId),
    platformForJob: async (data) => {
      if (data.platform === 'local') return null;
      if (data.platform === 'gitlab') return gitlab === null ? null : gitlab.platformFor(data.gitlabProjectId ?? data.repo);
      if (github === null || data.repoPath === undefined) return null;
      return github.platformFor(data.repoPath, data.installationId ?? null);
    },
    platformForServiceRepo: (repo) => byPath(repo.platform, repo.project, null),
    directoryFor: async (account) => {
      if (account.platform === 'gitlab') return gitlab === null ? null : gitlab.directory();
      return github === null || account.installationId === null ? null : github.directoryFor(account.installationId);
    },
    orgDefaults: async (repo, installationId, target, extendsAllowed) => {
      if (repo.platform !== 'github' || github === null) return null;
      const verdict = resolveExtends(repo.path, target, extendsAllowed);
      return verdict.kind === 'refused' ? { refused: verdict.reason } : github.orgDefaults(installationId, verdict);
    },
  };
}
