import { Gitlab } from '@gitbeaker/rest';
import type { Config } from '../config.js';
import type { RepoEvent } from '../core/events.js';
import { AppError } from '../errors.js';
import type { Route } from '../http/server.js';
import type { Logger } from '../logger.js';
import { createGitlabPlatform } from '../platforms/gitlab/gitlab-platform.js';
import type { GitlabApi } from '../platforms/gitlab/gitlab-platform.js';
import { gitlabWebhookHandler } from '../platforms/gitlab/receiver.js';
import type { GitlabReceiverDeps } from '../platforms/gitlab/receiver.js';
import type { Platform } from '../platforms/platform.js';

export interface GitlabSide {
  readonly api: GitlabApi;
  /** 'credentials-invalid' when the bot user could not be read at start. */
  readonly state: 'ok' | 'credentials-invalid';
  platformFor(projectId: number | string): Platform;
  route(deps: { enqueue(event: RepoEvent): Promise<{ jobId: string; created: boolean }> } & Pick<GitlabReceiverDeps, 'observe' | 'upstream'>): Route;
}

/** The GitLab half of the service, or null when GITLAB_TOKEN is unset. */
export async function connectGitlab(config: Config, log: Logger): Promise<GitlabSide | null> {
  if (config.gitlabToken === undefined) return null;
  if (config.gitlabWebhookSecret.length === 0 && config.gitlabSigningSecret.length === 0) {
    throw new AppError('config-invalid', 'GITLAB_TOKEN is set but neither GITLAB_WEBHOOK_SECRET nor GITLAB_WEBHOOK_SIGNING_SECRET is: GitLab webhooks could not be authenticated');
  }
  const api = new Gitlab({ host: config.gitlabUrl, token: config.gitlabToken });
  let bot: { id: number; username: string } | null = null;
  try {
    const me = (await api.Users.showCurrentUser()) as { id: number; username: string };
    bot = { id: me.id, username: me.username };
    log.info({ gitlab: config.gitlabUrl, bot: me.username }, 'GitLab bot user');
  } catch (error) {
    // Keep serving: events are still queued, and readiness reports the problem.
    log.error({ gitlab: config.gitlabUrl, err: (error as Error).name }, 'cannot read the GitLab bot user: check GITLAB_URL and GITLAB_TOKEN');
  }
  return {
    api,
    state: bot === null ? 'credentials-invalid' : 'ok',
    platformFor: (projectId) => createGitlabPlatform({ api, projectId, ...(bot === null ? {} : { botUserId: bot.id }), log }),
    route: (deps) => ({
      method: 'POST',
      path: '/webhooks/gitlab',
      handler: gitlabWebhookHandler({
        auth: { tokens: config.gitlabWebhookSecret, signingSecrets: config.gitlabSigningSecret, toleranceSeconds: 300 },
        maxBodyBytes: config.webhookMaxBodyBytes,
        botUserId: bot?.id ?? null,
        botUsername: bot?.username ?? null,
        log,
        ...deps,
      }),
    }),
  };
}
