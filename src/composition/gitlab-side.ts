import { createGitlabClient } from '../platforms/gitlab/gitlab-client.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createGitlabDirectory } from '../platforms/gitlab/gitlab-directory.js';
import { createGitlabPlatform } from '../platforms/gitlab/gitlab-platform.js';
import { createGitlabRest } from '../platforms/gitlab/gitlab-rest.js';
import type { Platform } from '../platforms/platform.js';
import type { RepositoryDirectory } from '../platforms/repository-directory.js';
import { connectGitlabReceiver } from './gitlab-receiver.js';
import type { GitlabReceiverSide } from './gitlab-receiver.js';

/** The whole GitLab side (workers): the receiver's route and state, and acting on projects through @gitbeaker/rest. */
export interface GitlabSide extends GitlabReceiverSide {
  platformFor(projectId: number | string): Platform;
  /** The token user's projects with recent activity, for the sweep. */
  directory(): RepositoryDirectory;
}

/** The GitLab half of the service, or null when GITLAB_TOKEN is unset. */
export async function connectGitlab(config: Config, log: Logger): Promise<GitlabSide | null> {
  const receiver = await connectGitlabReceiver(config, log);
  if (receiver === null || config.gitlabToken === undefined) return null;
  const api = createGitlabClient({ host: config.gitlabUrl, token: config.gitlabToken, rateLimits: config.gitlabClientRateLimits, log });
  // Plain GETs for what gitbeaker cannot do: conditional requests and rate-limit headers.
  const rest = createGitlabRest(config.gitlabUrl, config.gitlabToken);
  // Not a spread of the receiver: its state and bot are read live (it may read the bot user
  // only after the process started), and a spread would copy them once.
  return {
    get state() {
      return receiver.state;
    },
    get bot() {
      return receiver.bot;
    },
    route: (deps) => receiver.route(deps),
    close: () => receiver.close(),
    platformFor: (projectId) => {
      // Unknown yet: the platform reads the bot user itself when it needs it.
      const botUserId = receiver.bot?.id;
      return createGitlabPlatform({ api, rest, projectId, ...(botUserId === undefined ? {} : { botUserId }), log });
    },
    directory: () => createGitlabDirectory(rest),
  };
}
