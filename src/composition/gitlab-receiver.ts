import type { Config } from '../config.js';
import type { RepoEvent } from '../core/events.js';
import { AppError } from '../errors.js';
import type { Route } from '../http/server.js';
import type { Logger } from '../logger.js';
import { readGitlabBotUser } from '../platforms/gitlab/bot-user.js';
import { gitlabWebhookHandler } from '../platforms/gitlab/receiver.js';
import type { GitlabReceiverDeps } from '../platforms/gitlab/receiver.js';

/** What the web process needs of GitLab: the webhook route and whether the token works. */
export interface GitlabReceiverSide {
  /** 'credentials-invalid' when the bot user could not be read at start. */
  readonly state: 'ok' | 'credentials-invalid';
  /** The token's user, to ignore its own comments; null when it could not be read. */
  readonly bot: { readonly id: number; readonly username: string } | null;
  route(deps: { enqueue(event: RepoEvent): Promise<{ jobId: string; created: boolean }> } & Pick<GitlabReceiverDeps, 'observe' | 'upstream'>): Route;
}

/** The receiving half of the GitLab side, or null when GITLAB_TOKEN is unset. No @gitbeaker: see bot-user.ts. */
export async function connectGitlabReceiver(config: Config, log: Logger): Promise<GitlabReceiverSide | null> {
  if (config.gitlabToken === undefined) return null;
  if (config.gitlabWebhookSecret.length === 0 && config.gitlabSigningSecret.length === 0) {
    throw new AppError('config-invalid', 'GITLAB_TOKEN is set but neither GITLAB_WEBHOOK_SECRET nor GITLAB_WEBHOOK_SIGNING_SECRET is: GitLab webhooks could not be authenticated');
  }
  let bot: { id: number; username: string } | null = null;
  try {
    bot = await readGitlabBotUser(config.gitlabUrl, config.gitlabToken);
    log.info({ gitlab: config.gitlabUrl, bot: bot.username }, 'GitLab bot user');
  } catch (error) {
    // Keep serving: events are still queued, and readiness reports the problem.
    log.error({ gitlab: config.gitlabUrl, err: (error as Error).name, code: (error as AppError).code }, 'cannot read the GitLab bot user: check GITLAB_URL and GITLAB_TOKEN');
  }
  return {
    state: bot === null ? 'credentials-invalid' : 'ok',
    bot,
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
