import { Probot } from 'probot';
import type { ProbotOctokit } from 'probot';
import type { Logger } from '../../logger.js';
import { AppError } from '../../errors.js';
import { resolveRecheck } from './recheck.js';
import type { RecheckResolution } from './recheck.js';
import type { GithubRecheck } from './to-event.js';

export type InstallationOctokit = InstanceType<typeof ProbotOctokit>;

export interface GithubAppAuth {
  /** An Octokit authenticated as the installation: Probot mints the token (JWT -> POST /app/installations/{id}/access_tokens) and caches it for 59 minutes. */
  installation(installationId: number): Promise<InstallationOctokit>;
  /** An Octokit authenticated as the App itself (a JWT): GET /app, hook deliveries. */
  app(): Promise<InstallationOctokit>;
}

/**
 * Probot used for what it does well, authentication, and for nothing in the webhook
 * path: its webhook middleware is never mounted (receiver.ts verifies and queues). The
 * `secret` Probot requires is not given, so its fallback "development" would only matter
 * to a Probot webhook handler, and there is none. `apiUrl` is GitHub's or
 * `${GHE_PROTOCOL}://${GHE_HOST}/api/v3` (github-settings.ts), as Probot builds it.
 */
export function githubAppAuth(options: {
  appId: number;
  privateKey: string;
  apiUrl: string;
  log: Logger;
  /** e.g. ProbotOctokit.defaults({ throttle: boundedThrottle() }) (github-octokit.ts); ProbotOctokit by default. */
  Octokit?: typeof ProbotOctokit;
}): GithubAppAuth {
  const probot = new Probot({
    appId: options.appId,
    privateKey: options.privateKey,
    baseUrl: options.apiUrl,
    log: options.log,
    ...(options.Octokit === undefined ? {} : { Octokit: options.Octokit }),
  });
  return {
    installation: (installationId) => probot.auth(installationId) as Promise<InstallationOctokit>,
    app: () => probot.auth() as Promise<InstallationOctokit>,
  };
}

/**
 * The receiver's `resolveRecheck`: the installation's Octokit, then the pull request,
 * within `timeoutMs` (GitHub gives a delivery 10 s). A delivery without an installation
 * (a plain repository webhook, not the App) cannot be authenticated and is ignored.
 */
export function githubRecheckResolver(auth: GithubAppAuth, timeoutMs: number): (request: GithubRecheck) => Promise<RecheckResolution> {
  return async (request) => {
    const installationId = request.meta.installationId;
    if (installationId === null) return { kind: 'ignored', reason: 'no installation in the delivery' };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AppError('network', `reading the pull request took longer than ${timeoutMs} ms`, { retryable: true })), timeoutMs);
    });
    try {
      return await Promise.race([auth.installation(installationId).then((octokit) => resolveRecheck(octokit, request)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
