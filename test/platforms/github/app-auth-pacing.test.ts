// The pacing of the App's installations through the real Probot / Octokit stack against
// the fake GitHub: @octokit/plugin-throttling spaces an installation's comment creations
// 3 s apart (GitHub's guidance for requests that notify people), and one installation's
// pacing must not hold back another's. The plugin keeps its limiters in module state under
// the throttle `id`; Probot gives each installation's Octokit its installation id as that
// id (get-authenticated-octokit.js), which is what keeps installations apart. This guards
// that behaviour across Probot and plugin upgrades: with one id for the process, the four
// comments below would go out 3 s apart, alternating installations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GithubAppAuth } from '../../../src/platforms/github/app-auth.js';
import type { FakeGithub } from '../../fakes/fake-github.js';
import { fakeGithubApp } from '../../helpers/github-app.js';

let gh: FakeGithub;
let auth: GithubAppAuth;

beforeAll(async () => {
  ({ gh, auth } = await fakeGithubApp({ appId: 4242, appSlug: 'pyrelease-test', installations: [1, 2], repos: ['one', 'two'] }));
});

afterAll(async () => {
  await gh.close();
});

describe('GitHub App installations', () => {
  it('pace their own comments 3 s apart, and one installation never waits for another', { timeout: 20_000 }, async () => {
    const [first, second] = await Promise.all([auth.installation(1), auth.installation(2)]);
    const started = performance.now();
    const comment = async (octokit: typeof first, repo: string, label: string): Promise<[string, number]> => {
      await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: 'acme', repo, issue_number: 1, body: label });
      return [label, performance.now() - started];
    };
    // Two comments per installation, all asked for at once.
    const done = Object.fromEntries(await Promise.all([comment(first, 'one', 'first-a'), comment(first, 'one', 'first-b'), comment(second, 'two', 'second-a'), comment(second, 'two', 'second-b')]));
    const at = (label: string): number => done[label] ?? Number.NaN;
    const [firstEarly, firstLate] = [Math.min(at('first-a'), at('first-b')), Math.max(at('first-a'), at('first-b'))];
    const [secondEarly, secondLate] = [Math.min(at('second-a'), at('second-b')), Math.max(at('second-a'), at('second-b'))];
    // Within an installation, the second comment waits for GitHub's 3 s spacing...
    expect(firstLate - firstEarly).toBeGreaterThanOrEqual(2500);
    expect(secondLate - secondEarly).toBeGreaterThanOrEqual(2500);
    // ...but each installation's first comment goes out at once, not 3 s behind the other's
    // (with one limiter for the process the order was first, second, first, second, 3 s apart).
    expect(Math.max(firstEarly, secondEarly)).toBeLessThan(2000);
    expect(gh.log.filter((l) => l.route === 'POST /repos/:owner/:repo/issues/:issue_number/comments').map((l) => l.status)).toEqual([201, 201, 201, 201]);
  });
});
