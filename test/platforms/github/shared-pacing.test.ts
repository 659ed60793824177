// The pacing of an installation's notifying writes (comments, releases) shared by every
// worker process through Redis: a second process's comment waits for the first one's slot.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import type { GithubAppAuth } from '../../../src/platforms/github/app-auth.js';
import { notifiesPeople, paceInstallation, sharedPacing } from '../../../src/platforms/github/shared-pacing.js';
import type { FakeGithub } from '../../fakes/fake-github.js';
import { fakeGithubApp } from '../../helpers/github-app.js';
import { TEST_REDIS_URL } from '../../helpers/publish-harness.js';
import { freePort } from '../../helpers/redis-server.js';

const log = createLogger('silent');
const prefix = `{pyrelease-pacing-${randomBytes(5).toString('hex')}}`;
const connections: Redis[] = [];
const connect = (url = TEST_REDIS_URL): Redis => {
  const c = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 500 });
  c.on('error', () => undefined);
  connections.push(c);
  return c;
};
const timed = async (work: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

let gh: FakeGithub;
let auth: GithubAppAuth;
beforeAll(async () => {
  ({ gh, auth } = await fakeGithubApp({ appId: 4343, appSlug: 'pyrelease-pacing', installations: [11, 12], repos: ['one', 'two'] }));
  // Connected before the timing starts.
  await Promise.all([connect(), connect()].map((c) => new Promise((ready) => c.once('ready', ready))));
});

afterAll(async () => {
  const keys = await connections[0]?.keys(`${prefix}*`);
  if (keys !== undefined && keys.length > 0) await connections[0]?.del(...keys);
  for (const c of connections) c.disconnect();
  await gh.close();
});

describe('notifiesPeople', () => {
  it.each([
    ['POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', true],
    ['POST', '/repos/acme/one/issues/1/comments', true],
    ['POST', 'https://ghe.example/api/v3/repos/acme/one/issues/1/comments', true],
    ['POST', '/repos/{owner}/{repo}/commits/{commit_sha}/comments', true],
    ['POST', '/repos/{owner}/{repo}/releases', true],
    ['PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', false],
    ['GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', false],
    ['POST', '/repos/{owner}/{repo}/check-runs', false],
    ['POST', '/repos/{owner}/{repo}/git/refs', false],
  ])('%s %s: %s', (method, url, expected) => {
    expect(notifiesPeople(method, url)).toBe(expected);
  });
});

describe('sharedPacing', () => {
  it('gives two processes on one installation slots a gap apart, and keeps installations apart', async () => {
    const [a, b] = [sharedPacing(connections[0] as Redis, prefix, log, 400), sharedPacing(connections[1] as Redis, prefix, log, 400)];
    expect(await timed(() => a.wait(1))).toBeLessThan(200);
    // The other process, right after: it waits for the next slot.
    expect(await timed(() => b.wait(1))).toBeGreaterThanOrEqual(300);
    // Another installation has its own schedule.
    expect(await timed(() => b.wait(2))).toBeLessThan(200);
    // The schedule is kept no longer than it matters.
    const ttl = await (connections[0] as Redis).pttl(`${prefix}:github-pacing:1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(800);
  });

  it('logs and counts a wait for a slot more than a second away', { timeout: 10_000 }, async () => {
    const lines: Array<Record<string, unknown>> = [];
    const waitLog = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const pacing = sharedPacing(connections[0] as Redis, prefix, waitLog, 1300);
    await pacing.wait(77);
    expect(lines).toEqual([]);
    await pacing.wait(77);
    expect(lines).toEqual([expect.objectContaining({ wait: 'github-shared-pacing', installationId: 77, msg: expect.stringMatching(/^waiting 1\.\d s: /) })]);
  });

  it('does not hold a write up when Redis is away', async () => {
    const away = sharedPacing(connect(`redis://127.0.0.1:${await freePort()}`), prefix, log, 5000);
    expect(await timed(() => away.wait(1))).toBeLessThan(1500);
  });
});

describe('paceInstallation, through Probot and Octokit against the fake GitHub', () => {
  it("makes a comment wait for the slot another process took, and nothing else", { timeout: 20_000 }, async () => {
    const pacing = sharedPacing(connections[0] as Redis, `${prefix}-octokit`, log, 1500);
    const otherProcess = sharedPacing(connections[1] as Redis, `${prefix}-octokit`, log, 1500);
    // Paced twice, as a caller may: still one slot per write.
    const [one, two] = [paceInstallation(paceInstallation(await auth.installation(11), 11, pacing), 11, pacing), paceInstallation(await auth.installation(12), 12, pacing)];
    const comment = (octokit: typeof one, repo: string) => octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: 'acme', repo, issue_number: 1, body: 'paced' });
    // Another worker process just commented on installation 11.
    await otherProcess.wait(11);
    // A read is never paced; installation 12 has nothing to wait for.
    expect(await timed(() => one.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { owner: 'acme', repo: 'one', pull_number: 1 }))).toBeLessThan(1000);
    expect(await timed(() => comment(two, 'two'))).toBeLessThan(1000);
    // This process's comment on installation 11 waits for the next slot.
    const waited = await timed(() => comment(one, 'one'));
    expect(waited).toBeGreaterThanOrEqual(1000);
    // One slot (1.5 s after the other process's), not two (3 s).
    expect(waited).toBeLessThan(2300);
    expect(gh.log.filter((l) => l.route === 'POST /repos/:owner/:repo/issues/:issue_number/comments').map((l) => l.status)).toEqual([201, 201]);
  });
});
