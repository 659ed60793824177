import { readFile } from 'node:fs/promises';
import { ProbotOctokit } from 'probot';
import type { Config } from '../config.js';
import type { RepoEvent } from '../core/events.js';
import { AppError } from '../errors.js';
import type { Route } from '../http/server.js';
import type { Logger } from '../logger.js';
import { githubAppAuth, githubRecheckResolver } from '../platforms/github/app-auth.js';
import type { GithubAppAuth } from '../platforms/github/app-auth.js';
import { translated } from '../platforms/github/github-errors.js';
import { boundedThrottle } from '../platforms/github/github-octokit.js';
import { createGithubPlatform } from '../platforms/github/github-platform.js';
import { normalizePem } from '../platforms/github/github-settings.js';
import { githubWebhookHandler } from '../platforms/github/receiver.js';
import { redeliverFailedDeliveries } from '../platforms/github/redeliver.js';
import type { RedeliveryResult } from '../platforms/github/redeliver.js';
import type { Platform } from '../platforms/platform.js';

export interface GithubSide {
  readonly state: 'ok' | 'credentials-invalid';
  /** The repository's Platform as the App installation that can act on it (looked up when the event did not say). */
  platformFor(repoPath: string, installationId: number | null): Promise<Platform>;
  route(deps: { enqueue(event: RepoEvent): Promise<{ jobId: string; created: boolean }>; observe?: (outcome: string, event: string | undefined, latencyMs: number) => void }): Route;
  /**
   * The organisation defaults for a repository's config: `.github/pyrelease.yml` in the
   * owner's `.github` repository, or where the config's `_extends` points (`repo`,
   * `owner/repo`, optionally `:path`), as Probot's config convention has it.
   */
  orgDefaults(repoPath: string, installationId: number | null, extendsTarget: string | null): Promise<string | null>;
  /** Asks GitHub to redeliver deliveries that failed since sinceMs (GitHub never retries by itself). */
  redeliverFailed(sinceMs: number): Promise<RedeliveryResult>;
}

function splitPath(path: string): { owner: string; repo: string } {
  const [owner, repo, ...rest] = path.split('/');
  if (owner === undefined || repo === undefined || owner === '' || repo === '' || rest.length > 0) {
    throw new AppError('config-invalid', `${JSON.stringify(path)} is not a GitHub owner/name`);
  }
  return { owner, repo };
}

async function privateKeyOf(config: NonNullable<Config['github']>): Promise<string> {
  if (config.privateKey.kind === 'inline') return config.privateKey.pem;
  let text: string;
  try {
    text = await readFile(config.privateKey.path, 'utf8');
  } catch (error) {
    throw new AppError('config-invalid', `cannot read PRIVATE_KEY_PATH (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const pem = normalizePem(text);
  if (pem === null) throw new AppError('config-invalid', 'PRIVATE_KEY_PATH does not hold a PEM private key');
  return pem;
}

/** The App's slug (the bot is `<slug>[bot]`), from APP_SLUG or GET /app; reading it also proves the credentials. */
async function appSlug(auth: GithubAppAuth, configured: string | null, log: Logger): Promise<{ ok: boolean; slug: string | null }> {
  if (configured !== null) return { ok: true, slug: configured };
  try {
    const app = await auth.app();
    const res = await app.request('GET /app');
    return { ok: true, slug: typeof res.data?.slug === 'string' ? res.data.slug : null };
  } catch (error) {
    // Keep serving: deliveries are still verified and queued, and readiness reports this.
    log.error({ err: (error as Error).name }, 'cannot read the GitHub App (GET /app): check APP_ID and the private key');
    return { ok: false, slug: null };
  }
}

/** The GitHub half of the service, or null when no GitHub App is configured. */
export async function connectGithub(config: Config, log: Logger): Promise<GithubSide | null> {
  const settings = config.github;
  if (settings === null) return null;
  const auth = githubAppAuth({
    appId: settings.appId,
    privateKey: await privateKeyOf(settings),
    apiUrl: settings.apiUrl,
    log,
    // Rate limits: wait once for a short one, else let the job queue back off.
    Octokit: ProbotOctokit.defaults({ throttle: boundedThrottle() }),
  });
  const app = await appSlug(auth, settings.appSlug, log);
  const state = app.ok ? 'ok' : 'credentials-invalid';
  const botLogin = app.slug === null ? null : `${app.slug}[bot]`;
  if (botLogin !== null) log.info({ github: settings.apiUrl, bot: botLogin }, 'GitHub App bot');
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

  return {
    state,
    platformFor: async (repoPath, installationId) => {
      const octokit = await auth.installation(await installationFor(repoPath, installationId));
      return createGithubPlatform({ octokit, ...splitPath(repoPath), botLogin, log });
    },
    route: (deps) => ({
      method: 'POST',
      path: '/api/github/webhooks',
      handler: githubWebhookHandler({
        secrets: settings.webhookSecrets,
        maxBodyBytes: config.webhookMaxBodyBytes,
        botLogin,
        appId: settings.appId,
        enqueue: deps.enqueue,
        resolveRecheck: githubRecheckResolver(auth, 5000),
        log,
        ...(deps.observe === undefined ? {} : { observe: deps.observe }),
      }),
    }),
    orgDefaults: async (repoPath, installationId, target) => {
      const owner = splitPath(repoPath).owner;
      const [where, file] = (target ?? '.github').split(':');
      const base = where === undefined || where === '' ? '.github' : where.includes('/') ? where : `${owner}/${where}`;
      try {
        const platform = createGithubPlatform({ octokit: await auth.installation(await installationFor(base, installationId)), ...splitPath(base), botLogin, log });
        return await platform.readFile(file ?? '.github/pyrelease.yml', await platform.defaultBranch());
      } catch (error) {
        // No .github repository, or the App cannot see it: no organisation defaults.
        log.debug({ base, err: (error as Error).message }, 'no organisation defaults');
        return null;
      }
    },
    redeliverFailed: async (sinceMs) => redeliverFailedDeliveries(await auth.app(), { sinceMs, maxRedeliveries: 50, log }),
  };
}
