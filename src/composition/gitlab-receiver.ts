import type { Config } from '../config.js';
import type { RepoEvent } from '../core/events.js';
import { AppError } from '../errors.js';
import type { Route } from '../http/server.js';
import type { Logger } from '../logger.js';
import { watchForgeIdentity } from './forge-identity.js';
import type { IdentityState } from './forge-identity.js';
import { readGitlabBotUser } from '../platforms/gitlab/bot-user.js';
import { gitlabWebhookHandler } from '../platforms/gitlab/receiver.js';
import type { GitlabReceiverDeps } from '../platforms/gitlab/receiver.js';

/** What the web process needs of GitLab: the webhook route and whether the token works. */
export interface GitlabReceiverSide {
  /** Whether the bot user has been read; until then it is read again in the background. */
  readonly state: IdentityState;
  /** The token's user, to ignore its own comments; null until it could be read. */
  readonly bot: { readonly id: number; readonly username: string } | null;
  /** `budget`: the web process's one budget for webhook bodies, shared by every forge's route. */
  route(deps: { enqueue(event: RepoEvent): Promise<{ jobId: string; created: boolean }> } & Pick<GitlabReceiverDeps, 'observe' | 'upstream' | 'budget'>): Route;
  close(): void;
}

/** The receiving half of the GitLab side, or null when GITLAB_TOKEN is unset. No @gitbeaker: see bot-user.ts. */
export async function connectGitlabReceiver(config: Config, log: Logger): Promise<GitlabReceiverSide | null> {
  if (config.gitlabToken === undefined) return null;
  if (config.gitlabWebhookSecret.length === 0 && config.gitlabSigningSecret.length === 0) {
    throw new AppError('config-invalid', 'GITLAB_TOKEN is set but neither GITLAB_WEBHOOK_SECRET nor GITLAB_WEBHOOK_SIGNING_SECRET is: GitLab webhooks could not be authenticated');
  }
  const token = config.gitlabToken;
  const identity = await watchForgeIdentity({
    read: async () => {
      const bot = await readGitlabBotUser(config.gitlabUrl, token);
      log.info({ gitlab: config.gitlabUrl, bot: bot.username }, 'GitLab bot user');
      return bot;
    },
    log: log.child({ gitlab: config.gitlabUrl }),
    what: 'the GitLab bot user',
    hint: 'check GITLAB_URL and GITLAB_TOKEN',
  });
  return {
    get state() {
      return identity.state;
    },
    get bot() {
      return identity.value;
    },
    close: () => identity.close(),
    route: (deps) => ({
      method: 'POST',
      path: '/webhooks/gitlab',
      handler: gitlabWebhookHandler({
        auth: { tokens: config.gitlabWebhookSecret, signingSecrets: config.gitlabSigningSecret, toleranceSeconds: 300 },
        maxBodyBytes: config.webhookMaxBodyBytes,
        // Read per delivery: the bot user may be read only after the process started.
        get botUserId() {
          return identity.value?.id ?? null;
        },
        get botUsername() {
          return identity.value?.username ?? null;
        },
        log,
        ...deps,
      }),
    }),
  };
}
