import { generateKeyPairSync } from 'node:crypto';
import { createLogger } from '../../src/logger.js';
import { githubAppAuth } from '../../src/platforms/github/app-auth.js';
import type { GithubAppAuth } from '../../src/platforms/github/app-auth.js';
import { addPull } from '../fakes/fake-github-arrange.js';
import { startFakeGithub } from '../fakes/fake-github.js';
import type { FakeGithub } from '../fakes/fake-github.js';

/**
 * A GitHub App on the fake GitHub, authenticated through the real Probot stack: the given
 * installations, and a repository `acme/<name>` with open pull request #1 per name.
 */
export async function fakeGithubApp(options: { appId: number; appSlug: string; installations: number[]; repos: string[] }): Promise<{ gh: FakeGithub; auth: GithubAppAuth }> {
  const gh = await startFakeGithub({ appId: options.appId, appSlug: options.appSlug });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  gh.setAppKey(publicKey);
  for (const id of options.installations) gh.addInstallation(id);
  for (const name of options.repos) addPull(gh.addRepo('acme', name, 'main'), 1, ['a'.repeat(40)]);
  const auth = githubAppAuth({ appId: options.appId, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), apiUrl: gh.url, log: createLogger('silent') });
  return { gh, auth };
}
