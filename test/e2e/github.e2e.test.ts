import examples from '@octokit/webhooks-examples' with { type: 'json' };
import { afterEach, describe, expect, it } from 'vitest';
import { addDelivery } from '../fakes/fake-github-app-routes.js';
import { addCommit, addPull } from '../fakes/fake-github-arrange.js';
import { githubService, INSTALLATION_ID } from '../helpers/github-service.js';
import type { GithubService } from '../helpers/github-service.js';
import { eventually } from '../helpers/gitlab-service.js';

const sha = (c: string) => c.repeat(40);
type Example = Record<string, unknown>;
const byEvent = (name: string): Example[] => ((examples as unknown as Array<{ name: string; examples: Example[] }>).find((e) => e.name === name)?.examples ?? []);

let svc: GithubService | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

function repository(s: GithubService): Example {
  const base = (byEvent('push')[0]?.['repository'] ?? {}) as Example;
  return { ...base, id: s.repo.id, name: s.repo.name, full_name: `${s.repo.owner}/${s.repo.name}`, default_branch: 'main', owner: { ...(base['owner'] as Example), login: s.repo.owner } };
}

function tagPush(s: GithubService, tag: string, at: string): Example {
  const base = byEvent('push')[0] ?? {};
  return {
    ...base,
    ref: `refs/tags/${tag}`,
    before: '0'.repeat(40),
    after: at,
    created: true,
    deleted: false,
    base_ref: null,
    commits: [],
    head_commit: { ...(base['head_commit'] as Example), id: at, message: 'release' },
    repository: repository(s),
    installation: { id: INSTALLATION_ID, node_id: 'x' },
  };
}

function pullRequest(s: GithubService, number: number, action: 'opened' | 'synchronize', head: string): Example {
  const base = byEvent('pull_request').find((e) => e['action'] === 'opened') ?? {};
  const pr = base['pull_request'] as Example;
  const repo = repository(s);
  return {
    ...base,
    action,
    number,
    pull_request: { ...pr, number, head: { ...(pr['head'] as Example), ref: 'feature', sha: head, repo }, base: { ...(pr['base'] as Example), ref: 'main', repo } },
    repository: repo,
    installation: { id: INSTALLATION_ID, node_id: 'x' },
  };
}

/** v1.4.0 released on main (sha 1), and pull request #9 from a feature branch (sha 2) that lowers the version to 1.3.0. */
async function arrangeLoweringPull(s: GithubService): Promise<void> {
  await s.commitFixture('main', sha('1'), 'base', 'setuptools-static', '1.4.0');
  s.repo.tags.set('v1.4.0', sha('1'));
  s.repo.branches.set('feature', [sha('1')]);
  await s.commitFixture('feature', sha('2'), 'lower', 'setuptools-static', '1.3.0');
  addPull(s.repo, 9, [sha('2')]);
}

describe('GitHub end to end: signed webhook -> server -> queue -> worker -> index and GitHub', () => {
  it('without a changelog, lists the pull requests merged since the previous release tag above the file links', { timeout: 120_000 }, async () => {
    svc = await githubService();
    const s = svc;
    await s.commitFixture('main', sha('1'), 'Release 1.3.0', 'setuptools-static', '1.3.0');
    s.repo.tags.set('v1.3.0', sha('1'));
    await s.commitFixture('main', sha('2'), 'Faster load', 'setuptools-static', '1.3.0');
    await s.commitFixture('main', sha('a'), 'Release 1.4.0', 'setuptools-static');
    s.repo.tags.set('v1.4.0', sha('a'));
    addPull(s.repo, 11, [sha('1')], 'closed', true, { title: 'Before 1.3.0', author: 'old' });
    addPull(s.repo, 12, [sha('2')], 'closed', true, { title: 'Faster `load` @team', author: 'alice' });
    addPull(s.repo, 13, [sha('a')], 'closed', false, { title: 'Closed unmerged', author: 'carol' });
    expect((await s.send('push', tagPush(s, 'v1.4.0', sha('a')))).body).toEqual(expect.objectContaining({ status: 'queued' }));

    const release = await eventually(() => s.repo.releases.find((r) => r.tagName === 'v1.4.0'), 90_000, 'the GitHub release');
    expect(release.body?.startsWith(
      'No changelog entry was found for 1\\.4\\.0, so these are the pull requests merged since `v1.3.0`:\n\n- Faster \\`load\\` \\@&#8203;team (#12, @alice)\n\n---\n\nReleased 1\\.4\\.0 with pyrelease.\n',
    )).toBe(true);
    expect(release.body).not.toContain('#11');
    expect(release.body).not.toContain('#13');
  });

  it('publishes a pushed release tag once and completes a successful check run', { timeout: 120_000 }, async () => {
    svc = await githubService();
    const s = svc;
    await s.commitFixture('main', sha('a'), 'Release 1.4.0', 'setuptools-static');
    s.repo.tags.set('v1.4.0', sha('a'));

    const delivery = 'f0e1d2c3-0000-4000-8000-000000000001';
    expect(await s.send('push', tagPush(s, 'v1.4.0', sha('a')), { 'x-github-delivery': delivery })).toEqual({ status: 200, body: expect.objectContaining({ status: 'queued' }) });
    // A replayed delivery (same id) is a duplicate; a second delivery of the same tag queues no second publish.
    expect((await s.send('push', tagPush(s, 'v1.4.0', sha('a')), { 'x-github-delivery': delivery })).body).toEqual({ status: 'duplicate' });
    await s.send('push', tagPush(s, 'v1.4.0', sha('a')));

    await eventually(() => s.repo.releases.find((r) => r.tagName === 'v1.4.0'), 90_000, 'the GitHub release');
    const run = await eventually(() => s.repo.checkRuns.filter((r) => r.headSha === sha('a')).at(-1)?.conclusion === 'success' ? true : undefined, 30_000, 'a successful check run');
    expect(run).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    const counts = new Map<string, number>();
    for (const u of s.index.uploads) if (u.filename !== null && u.status < 300) counts.set(u.filename, (counts.get(u.filename) ?? 0) + 1);
    expect([...counts.values()]).toEqual([1, 1]);
    const logs = s.logLines.join('\n');
    expect(logs).not.toContain(s.secret);
    expect(logs).not.toContain('BEGIN PRIVATE KEY');
  });

  it('applies organisation defaults from the .github repository (Probot convention)', { timeout: 120_000 }, async () => {
    svc = await githubService();
    const s = svc;
    const org = s.github.addRepo('acme', '.github', 'main');
    addCommit(org, 'main', sha('9'), 'org defaults', { '.github/pyrelease.yml': 'registries: [fake]\n' });
    await s.commitFixture('main', sha('a'), 'Release 1.4.0', 'setuptools-static', undefined, null);
    s.repo.tags.set('v1.4.0', sha('a'));
    await s.send('push', tagPush(s, 'v1.4.0', sha('a')));
    await eventually(() => (s.index.files().length === 2 ? true : undefined), 90_000, 'files published to the registry the organisation names');
  });

  it('comments once on a pull request that lowers the version, and edits the comment when fixed', { timeout: 60_000 }, async () => {
    svc = await githubService();
    const s = svc;
    await arrangeLoweringPull(s);

    await s.send('pull_request', pullRequest(s, 9, 'opened', sha('2')));
    const comment = await eventually(() => s.repo.issueComments.find((c) => c.on === 9), 30_000, 'the PR comment');
    expect(comment.body).toContain('lower than');
    await eventually(() => (s.repo.checkRuns.some((r) => r.headSha === sha('2') && r.conclusion === 'failure') ? true : undefined), 10_000, 'a failed check run');

    await s.commitFixture('feature', sha('3'), 'bump', 'setuptools-static', '1.5.0');
    await s.send('pull_request', pullRequest(s, 9, 'synchronize', sha('3')));
    await eventually(() => (comment.body.includes('All version problems are fixed') ? true : undefined), 30_000, 'the edited comment');
    expect(s.repo.issueComments.filter((c) => c.on === 9)).toHaveLength(1);
  });

  it('waits out a secondary rate limit on the comment without spending the only attempt', { timeout: 60_000 }, async () => {
    // One attempt per job: before rate limits were waited out, this refusal failed the job for good.
    svc = await githubService({ env: { PYRELEASE_JOB_ATTEMPTS: '1' } });
    const s = svc;
    await arrangeLoweringPull(s);
    // 11 s: past the 10 s Octokit's throttling plugin may wait inside the request.
    s.github.fault({ route: 'POST /repos/:owner/:repo/issues/:issue_number/comments', status: 403, limit: 'secondary', retryAfter: 11 });

    const started = Date.now();
    await s.send('pull_request', pullRequest(s, 9, 'opened', sha('2')));
    const comment = await eventually(() => s.repo.issueComments.find((c) => c.on === 9), 40_000, 'the PR comment after the wait');
    expect(comment.body).toContain('lower than');
    expect(Date.now() - started).toBeGreaterThanOrEqual(11_000);
    expect(s.github.log.filter((l) => l.faulted)).toHaveLength(1);
    expect(s.repo.issueComments.filter((c) => c.on === 9)).toHaveLength(1);
    const waited = s.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => String(l['msg']).startsWith('rate-limited, waiting'));
    expect(waited).toMatchObject({ code: 'forge-unavailable', attemptSpent: false });
  });

  it('asks GitHub to redeliver a delivery that failed (GitHub never retries by itself)', { timeout: 60_000 }, async () => {
    svc = await githubService({ env: { PYRELEASE_SWEEP_INTERVAL_MS: '500' } });
    const s = svc;
    const failed = addDelivery(s.github.state, { guid: 'a1', event: 'push', action: null, statusCode: 503, redelivery: false, installationId: INSTALLATION_ID, repositoryId: s.repo.id, deliveredAt: new Date().toISOString() });
    addDelivery(s.github.state, { guid: 'b2', event: 'push', action: null, statusCode: 200, redelivery: false, installationId: INSTALLATION_ID, repositoryId: s.repo.id, deliveredAt: new Date().toISOString() });
    await eventually(() => (s.github.state.redeliveries.length > 0 ? true : undefined), 30_000, 'a redelivery');
    await new Promise((r) => setTimeout(r, 1500));
    // Once redelivered (and answered 2xx), the guid is not asked for again.
    expect(s.github.state.redeliveries).toEqual([failed.id]);
  });

  it.each([
    ['no signature', {}],
    ['a wrong signature', { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }],
    ['a malformed signature', { 'x-hub-signature-256': 'sha256=zz' }],
  ])('answers 401 to %s and does nothing', async (_name, headers) => {
    svc = await githubService();
    const s = svc;
    const res = await fetch(`${s.service.url}/api/github/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...headers }, body: JSON.stringify(tagPush(s, 'v1.0.0', sha('a'))) });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(s.github.log.filter((l) => l.method !== 'GET' && !l.url.includes('access_tokens'))).toEqual([]);
  });
});
