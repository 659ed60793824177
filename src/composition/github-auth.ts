import { ProbotOctokit } from 'probot';
import type { Logger } from '../logger.js';
import { githubAppAuth } from '../platforms/github/app-auth.js';
import type { GithubAppAuth } from '../platforms/github/app-auth.js';
import { boundedThrottle } from '../platforms/github/github-octokit.js';
import type { GithubSettings } from './github-receiver.js';

/** Probot's App and installation auth, with our rate-limit policy: wait once for a short limit, else let the job queue back off. */
export function createGithubAuth(settings: GithubSettings, privateKey: string, log: Logger): GithubAppAuth {
  return githubAppAuth({
    appId: settings.appId,
    privateKey,
    apiUrl: settings.apiUrl,
    log,
    Octokit: ProbotOctokit.defaults({ throttle: boundedThrottle() }),
  });
}
