import { readFile } from 'node:fs/promises';
import type { Config } from '../config.js';
import type { RepoEvent } from '../core/events.js';
import { AppError } from '../errors.js';
import type { BodyBudget } from '../http/body-budget.js';
import type { Route } from '../http/server.js';
import type { DeliveryNames } from '../jobs/event-inbox.js';
import type { Logger } from '../logger.js';
import type { GithubAppAuth } from '../platforms/github/app-auth.js';
import { readAppSlug } from '../platforms/github/app-identity.js';
import { normalizePem } from '../platforms/github/github-settings.js';
import { githubWebhookHandler } from '../platforms/github/receiver.js';
import type { RecheckResolution } from '../platforms/github/recheck.js';
import type { GithubRecheck } from '../platforms/github/to-event.js';
import { watchForgeIdentity } from './forge-identity.js';
import type { IdentityState } from './forge-identity.js';

export type GithubSettings = NonNullable<Config['github']>;

/** What the web process needs of GitHub: the webhook route and whether the credentials work. */
export interface GithubReceiverSide {
  /** Whether the App could be read (always ok with APP_SLUG); until then it is read again in the background. */
  readonly state: IdentityState;
  /** `<slug>[bot]`, to ignore the App's own comments; null until it could be read. */
  readonly botLogin: string | null;
  route(deps: {
    enqueue(event: RepoEvent, names?: DeliveryNames): Promise<{ jobId: string; created: boolean }>;
    observe?: (outcome: string, event: string | undefined, latencyMs: number) => void;
    /** The web process's one budget for webhook bodies, shared by every forge's route. */
    budget?: BodyBudget;
  }): Route;
  close(): void;
}

export async function privateKeyOf(settings: GithubSettings): Promise<string> {
  if (settings.privateKey.kind === 'inline') return settings.privateKey.pem;
  let text: string;
  try {
    text = await readFile(settings.privateKey.path, 'utf8');
  } catch (error) {
    throw new AppError('config-invalid', `cannot read PRIVATE_KEY_PATH (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const pem = normalizePem(text);
  if (pem === null) throw new AppError('config-invalid', 'PRIVATE_KEY_PATH does not hold a PEM private key');
  return pem;
}

/**
 * The receiving half of the GitHub side. Probot is not loaded for it: the App's slug is
 * read with a JWT of our own (app-identity.ts), and Probot's auth is imported only when
 * a `/pyrelease check` comment needs the pull request read. The whole side passes the
 * key it read and its auth, so neither is made twice.
 */
export async function connectGithubReceiver(config: Config, log: Logger, made?: { privateKey: string; auth: GithubAppAuth }): Promise<GithubReceiverSide | null> {
  const settings = config.github;
  if (settings === null) return null;
  const pem = made?.privateKey ?? (await privateKeyOf(settings));
  const configuredSlug = settings.appSlug;
  const identity = await watchForgeIdentity({
    read: async () => {
      const slug = configuredSlug ?? (await readAppSlug(settings.apiUrl, settings.appId, pem));
      const login = slug === null ? null : `${slug}[bot]`;
      if (login !== null) log.info({ github: settings.apiUrl, bot: login }, 'GitHub App bot');
      return login;
    },
    log: log.child({ github: settings.apiUrl }),
    what: 'the GitHub App (GET /app)',
    hint: 'check APP_ID and the private key',
  });

  let resolver: Promise<(request: GithubRecheck) => Promise<RecheckResolution>> | undefined;
  const resolveRecheck = async (request: GithubRecheck): Promise<RecheckResolution> => {
    resolver ??= Promise.all([import('../platforms/github/app-auth.js'), made?.auth ?? import('./github-auth.js').then((m) => m.createGithubAuth(settings, pem, log))]).then(([m, auth]) =>
      m.githubRecheckResolver(auth, 5000),
    );
    return (await resolver)(request);
  };

  return {
    get state() {
      return identity.state;
    },
    get botLogin() {
      return identity.value;
    },
    close: () => identity.close(),
    route: (deps) => ({
      method: 'POST',
      path: '/api/github/webhooks',
      handler: githubWebhookHandler({
        secrets: settings.webhookSecrets,
        maxBodyBytes: config.webhookMaxBodyBytes,
        ...(deps.budget === undefined ? {} : { budget: deps.budget }),
        // Read per delivery: the App may be read only after the process started.
        get botLogin() {
          return identity.value;
        },
        appId: settings.appId,
        enqueue: deps.enqueue,
        resolveRecheck,
        log,
        ...(deps.observe === undefined ? {} : { observe: deps.observe }),
      }),
    }),
  };
}
