import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { inboxKey } from '../../src/jobs/event-inbox.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { addCommit, addPull } from '../fakes/fake-github-arrange.js';
import { githubService, INSTALLATION_ID } from '../helpers/github-service.js';
import type { GithubService } from '../helpers/github-service.js';
import { gitlabService } from '../helpers/gitlab-service.js';
import type { GitlabService } from '../helpers/gitlab-service.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

/**
 * A web process alone (`pyrelease serve --no-worker`) loads only the receiving halves of
 * the forges (src/composition/*-receiver.ts): the bot is read without @gitbeaker or
 * Probot, and Probot's auth is loaded only when a `/pyrelease check` comment needs a
 * pull request read. These drive that process against the fakes.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{ name: string; examples: Json[] }>;
const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-web-only');
const open: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

async function inbox(prefix: string): Promise<Json[]> {
  const entries = await redis.xrange(inboxKey(prefix), '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('data') + 1] ?? 'null') as Json);
}

function recheckComment(s: GithubService, number: number): Json {
  const p = structuredClone(examples.find((e) => e.name === 'issue_comment')?.examples.find((x) => x['action'] === 'created') as Json);
  p['issue'] = { ...p['issue'], number, pull_request: { url: `${s.github.url}/repos/acme/sample/pulls/${number}` } };
  p['comment'] = { ...p['comment'], body: '/pyrelease check', user: { ...p['comment'].user, login: 'octocat', type: 'User' } };
  p['repository'] = { ...p['repository'], id: s.repo.id, name: 'sample', full_name: 'acme/sample', owner: { ...p['repository'].owner, login: 'acme' }, default_branch: 'main' };
  p['installation'] = { id: INSTALLATION_ID, node_id: 'x' };
  return p;
}

describe('a GitHub web process without workers', () => {
  it('reads its bot with its own App JWT, and queues a /pyrelease check comment after reading the pull request as the installation', { timeout: 30_000 }, async () => {
    const s = await githubService({ runWorkers: false });
    open.push(s);
    expect(await (await fetch(`${s.service.url}/readyz`)).json()).toEqual({ status: 'ready', redis: 'ok', gitlab: 'unconfigured', github: 'ok' });
    expect(s.logLines.some((l) => l.includes('"bot":"pyrelease-test[bot]"'))).toBe(true);
    expect(s.github.log.map((r) => r.route)).toEqual(['GET /app']);

    const head = 'c'.repeat(40);
    addCommit(s.repo, 'main', 'b'.repeat(40), 'Start', {});
    addCommit(s.repo, 'feature', head, 'Change', {});
    addPull(s.repo, 5, [head]);
    const answer = await s.send('issue_comment', recheckComment(s, 5));
    expect(answer).toEqual({ status: 200, body: { status: 'queued', job: expect.stringMatching(/^event-github-/) } });
    const [entry] = await inbox(s.env['PYRELEASE_QUEUE_PREFIX'] ?? '');
    expect(entry?.['event']).toMatchObject({ kind: 'change-request', action: 'recheck', number: 5, headSha: head, repo: { path: 'acme/sample' } });
    const calls = s.github.log.map((r) => r.route);
    expect(calls).toContain('POST /app/installations/:installation_id/access_tokens');
    expect(calls).toContain('GET /repos/:owner/:repo/pulls/:pull_number');
  });

  it('reports its credentials invalid on /readyz when GitHub refuses its JWT, and still verifies and queues deliveries', { timeout: 30_000 }, async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const s = await githubService({ runWorkers: false, appKey: stranger });
    open.push(s);
    const ready = await fetch(`${s.service.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not-ready', github: 'credentials-invalid' });
    expect(s.logLines.some((l) => l.includes('cannot read the GitHub App') && l.includes('"code":"forge-auth"'))).toBe(true);
    expect(s.logLines.join('\n')).not.toContain(stranger.split('\n')[1]);
    const push = examples.find((e) => e.name === 'push')?.examples.find((p) => p['deleted'] === false) as Json;
    expect((await s.send('push', push)).body).toMatchObject({ status: 'queued' });
  });
});

describe('a GitLab web process without workers', () => {
  let s: GitlabService;

  it('reads its bot user with the token and is ready', async () => {
    s = await gitlabService({ split: true });
    open.push(s);
    expect(await (await fetch(`${s.service.url}/readyz`)).json()).toEqual({ status: 'ready', redis: 'ok', gitlab: 'ok', github: 'unconfigured' });
    expect(s.logLines.some((l) => l.includes('GitLab bot user') && l.includes('"bot":"pyrelease-bot"'))).toBe(true);
  });

  it('starts while GitLab is away, says unverified (not invalid), and becomes ready once GitLab answers', { timeout: 30_000 }, async () => {
    // GET /user answers 503 at start only; the web process reads it again 5 s later.
    s = await gitlabService({ split: true, beforeStart: (gitlab) => gitlab.fault({ route: 'GET /user', status: 503 }) });
    open.push(s);
    const first = await fetch(`${s.service.url}/readyz`);
    expect(first.status).toBe(503);
    expect(await first.json()).toMatchObject({ status: 'not-ready', redis: 'ok', gitlab: 'unverified' });
    expect(s.logLines.some((l) => l.includes('cannot read the GitLab bot user') && l.includes('"code":"forge-unavailable"') && l.includes('"retryInMs":5000'))).toBe(true);
    // Deliveries are verified and queued meanwhile.
    const tagPush = JSON.parse(readFileSync(new URL('../fixtures/gitlab/tag-push.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const at = 'a'.repeat(40);
    const project = { ...(tagPush['project'] as object), id: s.project.id, path_with_namespace: s.project.pathWithNamespace, default_branch: 'main' };
    expect((await s.send('Tag Push Hook', { ...tagPush, ref: 'refs/tags/v1.0.0', after: at, checkout_sha: at, project_id: s.project.id, project })).body).toMatchObject({ status: 'queued' });
    const deadline = Date.now() + 15_000;
    let ready = first;
    while (Date.now() < deadline) {
      ready = await fetch(`${s.service.url}/readyz`);
      if (ready.status === 200) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await ready.json()).toEqual({ status: 'ready', redis: 'ok', gitlab: 'ok', github: 'unconfigured' });
  });

  it('reports its credentials invalid when GitLab refuses the token, without logging it', async () => {
    const wrong = 'glpat-not-a-known-token';
    s = await gitlabService({ split: true, env: { GITLAB_TOKEN: wrong } });
    open.push(s);
    const ready = await fetch(`${s.service.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ gitlab: 'credentials-invalid' });
    expect(s.logLines.some((l) => l.includes('cannot read the GitLab bot user') && l.includes('"code":"forge-auth"'))).toBe(true);
    expect(s.logLines.join('\n')).not.toContain(wrong);
  });
});

afterAll(() => redis.disconnect());
