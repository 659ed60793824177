import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { openFailFast, redisTarget } from '../redis-client.js';
import type { Logger } from '../logger.js';
import { translated } from '../platforms/github/github-errors.js';
import { createGithubDirectory } from '../platforms/github/github-directory.js';
import { createGithubPlatform } from '../platforms/github/github-platform.js';
import { redeliverFailedDeliveries } from '../platforms/github/redeliver.js';
import type { RedeliveryResult } from '../platforms/github/redeliver.js';
import { paceInstallation, sharedPacing } from '../platforms/github/shared-pacing.js';
import type { Platform } from '../platforms/platform.js';
import type { RepositoryDirectory } from '../platforms/repository-directory.js';
import type { ExtendsVerdict } from '../core/config-extends.js';
import { createGithubAuth } from './github-auth.js';
import { connectGithubReceiver, privateKeyOf } from './github-receiver.js';
import type { GithubReceiverSide } from './github-receiver.js';

export type ExtendsLocation = Extract<ExtendsVerdict, { kind: 'read' }>;

/** The whole GitHub side (workers): the receiver's route and state, and acting on repositories as the App. */
export interface GithubSide extends GithubReceiverSide {
  /** The repository's Platform as the App installation that can act on it (looked up when the event did not say). */
  platformFor(repoPath: string, installationId: number | null): Promise<Platform>;
  /**
   * The organisation defaults for a repository's config, read from a location that
   * core/config-extends.ts `resolveExtends` vetted (the owner's `.github`, or a
   * repository the server config allows): never from a path a repository wrote.
   */
  orgDefaults(installationId: number | null, location: ExtendsLocation): Promise<string | null>;
  /** Asks GitHub to redeliver deliveries that failed since sinceMs (GitHub never retries by itself). */
  redeliverFailed(sinceMs: number): Promise<RedeliveryResult>;
  /** An installation's repositories with their last push, for the sweep. */
  directoryFor(installationId: number): Promise<RepositoryDirectory>;
}

function splitPath(path: string): { owner: string; repo: string } {
  const [owner, repo, ...rest] = path.split('/');
  if (owner === undefined || repo === undefined || owner === '' || repo === '' || rest.length > 0) {
    throw new AppError('config-invalid', `${JSON.stringify(path)} is not a GitHub owner/name`);
  }
  return { owner, repo };
}

/** The GitHub half of the service, or null when no GitHub App is configured. */
export async function connectGithub(config: Config, log: Logger): Promise<GithubSide | null> {
  const settings = config.github;
  if (settings === null) return null;
  const privateKey = await privateKeyOf(settings);
  const auth = createGithubAuth(settings, privateKey, log);
  const receiver = await connectGithubReceiver(config, log, { privateKey, auth });
  if (receiver === null) return null;
  // Comments and releases are spaced per installation across every worker process. Its own
  // fail-fast connection: with Redis away a write is not held up (the process still paces).
  const pacingRedis = openFailFast(redisTarget(config), 'pyrelease-github-pacing');
  const pacing = sharedPacing(pacingRedis, config.queuePrefix, log);
  const installation = async (id: number) => paceInstallation(await auth.installation(id), id, pacing);
  const installations = new Map<string, number>();

  const installationFor = async (path: string, known: number | null): Promise<number> => {
    if (known !== null) return known;
    const cached = installations.get(path);
    if (cached !== undefined) return cached;
    const app = await auth.app();
    const res = await translated('find the App installation of a repository', () => app.request('GET /repos/{owner}/{repo}/installation', splitPath(path)));
    const id = (res.data as { id?: unknown }).id;
    if (typeof id !== 'number') throw new AppError('forge-not-found', `the GitHub App is not installed on ${path}`);
    installations.set(path, id);
    return id;
  };

  // Not a spread of the receiver: its state and bot login are read live (it may read the
  // App only after the process started), and a spread would copy them once.
  return {
    get state() {
      return receiver.state;
    },
    get botLogin() {
      return receiver.botLogin;
    },
    route: (deps) => receiver.route(deps),
    close: () => {
      receiver.close();
      pacingRedis.disconnect();
    },
    platformFor: async (repoPath, installationId) => {
      const octokit = await installation(await installationFor(repoPath, installationId));
      return createGithubPlatform({ octokit, ...splitPath(repoPath), botLogin: receiver.botLogin, log });
    },
    orgDefaults: async (installationId, { repo: base, file }) => {
      try {
        const platform = createGithubPlatform({ octokit: await installation(await installationFor(base, installationId)), ...splitPath(base), botLogin: receiver.botLogin, log });
        return await platform.readFile(file, await platform.defaultBranch());
      } catch (error) {
        // No .github repository, or the App cannot see it: no organisation defaults.
        log.debug({ base, err: (error as Error).message }, 'no organisation defaults');
        return null;
      }
    },
    redeliverFailed: async (sinceMs) => redeliverFailedDeliveries(await auth.app(), { sinceMs, maxRedeliveries: 50, log }),
    directoryFor: async (installationId) => createGithubDirectory(await installation(installationId)),
  };
}
