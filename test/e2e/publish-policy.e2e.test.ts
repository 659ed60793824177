import examples from '@octokit/webhooks-examples' with { type: 'json' };
import { afterEach, describe, expect, it } from 'vitest';
import { addCommit, addPull } from '../fakes/fake-github-arrange.js';
import { addMergeRequest } from '../fakes/fake-gitlab-arrange.js';
import { redisBindings } from '../../src/jobs/publish-bindings.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { githubService, INSTALLATION_ID } from '../helpers/github-service.js';
import { eventually, gitlabService } from '../helpers/gitlab-service.js';
import type { GitlabService } from '../helpers/gitlab-service.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';
import { githubPullRequest, gitlabMergeRequest, gitlabTagPush } from '../helpers/webhook-payloads.js';

/**
 * Who may publish what, where, through the whole service: a maintainer with push rights
 * on one repository tries to use a target granted to another group, to publish a name
 * another repository holds, and (on GitHub) to make the bot quote another repository.
 */
const sha = (c: string) => c.repeat(40);
type Example = Record<string, unknown>;

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers) await close();
  closers = [];
});


async function gitlab(publishers?: string): Promise<GitlabService> {
  const s = await gitlabService({ env: { PYRELEASE_JOB_ATTEMPTS: '3' }, ...(publishers === undefined ? {} : { publishers }) });
  closers.push(() => s.close());
  return s;
}

describe('GitLab: a repository publishes only where and what the operator allows', () => {
  it('reports a target granted to another group on the merge request, and fails its release without building', { timeout: 90_000 }, async () => {
    // `fake` belongs to the data team; acme/sample is not in it.
    const s = await gitlab("    - gitlab: [data/**]\n      projects: ['*']\n");
    await s.commitFixture('main', sha('1'), 'base', 'setuptools-static', '1.4.0');
    s.project.branches.set('feature', [sha('1')]);
    await s.commitFixture('feature', sha('2'), 'bump', 'setuptools-static', '1.5.0');
    addMergeRequest(s.project, 5, [sha('2')]);

    await s.send('Merge Request Hook', gitlabMergeRequest(s.project, 5, sha('2')));
    const note = await eventually(() => s.project.notes.find((n) => n.noteable.type === 'MergeRequest'), 20_000, 'the MR note');
    expect(note.body).toContain('may not publish to');
    expect(note.body).toContain('publishers.fake');
    expect(note.body).toContain('gitlab: [acme/sample]');

    await s.commitFixture('main', sha('a'), 'Release 1.4.0', 'setuptools-static');
    s.project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: sha('a'), message: '', target: sha('a') });
    await s.send('Tag Push Hook', gitlabTagPush(s.project, 'v1.4.0', sha('a')));
    const failure = await eventually(() => s.project.notes.find((n) => n.noteable.type === 'Commit' && n.body.includes('publishers.fake')), 30_000, 'the release failure');
    expect(failure.body).toContain('may not publish to');
    expect(s.project.statuses.at(-1)?.status).toBe('failed');
    expect(s.logLines.some((l) => l.includes('"msg":"building"'))).toBe(false);
    expect(s.index.uploads).toEqual([]);
  });

  it('refuses, for good and after building, a name another repository published first, and says how to move it', { timeout: 120_000 }, async () => {
    const s = await gitlab();
    const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-policy-e2e');
    closers.push(async () => redis.disconnect());
    // data/sample-static published sample-static to `fake` before acme/sample existed.
    await redisBindings(redis, s.env['PYRELEASE_QUEUE_PREFIX'] ?? '').claim('fake', 'sample-static', { platform: 'gitlab', id: '999', path: 'data/sample-static' });

    await s.commitFixture('main', sha('a'), 'Release 1.4.0', 'setuptools-static');
    s.project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: sha('a'), message: '', target: sha('a') });
    await s.send('Tag Push Hook', gitlabTagPush(s.project, 'v1.4.0', sha('a')));
    const failure = await eventually(() => s.project.notes.find((n) => n.noteable.type === 'Commit' && n.body.includes('failed')), 90_000, 'the failure comment');
    // The report escapes Markdown; read it as the maintainer sees it.
    const shown = failure.body.replaceAll('\\', '');
    expect(shown).toContain('first published by another repository');
    expect(shown).toContain('pyrelease bindings move fake sample-static --to gitlab:acme/sample');
    expect(shown).not.toContain('data/sample-static');
    expect(s.index.uploads).toEqual([]);
    // Permanent: one build, no retry, though three attempts were allowed.
    expect(s.logLines.filter((l) => l.includes('"msg":"building"'))).toHaveLength(1);
  });
});

const byEvent = (name: string): Example[] => ((examples as unknown as Array<{ name: string; examples: Example[] }>).find((e) => e.name === name)?.examples ?? []);


describe('GitHub: a pull request cannot make the bot read another repository of the installation', () => {
  it.each([
    ['by name', 'payroll:secrets.yml'],
    ['by owner/name', 'acme/payroll:secrets.yml'],
  ])('does not follow _extends to another repository (%s), and says why', { timeout: 60_000 }, async (_how, target) => {
    const s = await githubService();
    closers.push(() => s.close());
    const payroll = s.github.addRepo('acme', 'payroll', 'main');
    addCommit(payroll, 'main', sha('8'), 'secrets', { 'secrets.yml': 'database-password: hunter2\nregistries: [fake]\n' });
    await s.commitFixture('main', sha('1'), 'base', 'setuptools-static', '1.4.0');
    s.repo.branches.set('feature', [sha('1')]);
    await s.commitFixture('feature', sha('2'), 'extend', 'setuptools-static', '1.5.0', `_extends = "${target}"\nregistries = ["fake"]`);
    addPull(s.repo, 9, [sha('2')]);

    await s.send('pull_request', githubPullRequest(s.repo, 9, sha('2')));
    const comment = await eventually(() => s.repo.issueComments.find((c) => c.on === 9), 30_000, 'the PR comment');
    expect(comment.body).toContain('_extends');
    expect(comment.body).toContain('`.github`');
    expect(comment.body).not.toMatch(/database-password|hunter2/);
    expect(s.github.log.filter((l) => l.url.includes('/payroll'))).toEqual([]);
  });

  it('follows _extends to a repository the server config allows', { timeout: 90_000 }, async () => {
    const s = await githubService({ serverYaml: 'extends: [acme/pyrelease-config]\n' });
    closers.push(() => s.close());
    const shared = s.github.addRepo('acme', 'pyrelease-config', 'main');
    addCommit(shared, 'main', sha('8'), 'defaults', { 'python.yml': 'registries: [fake]\n' });
    await s.commitFixture('main', sha('a'), 'Release 1.4.0', 'setuptools-static', undefined, '_extends = "pyrelease-config:python.yml"');
    s.repo.tags.set('v1.4.0', sha('a'));
    const base = byEvent('push')[0] ?? {};
    const pushRepo = { ...(base['repository'] as Example), id: s.repo.id, name: s.repo.name, full_name: 'acme/sample', default_branch: 'main', owner: { ...((base['repository'] as Example)['owner'] as Example), login: 'acme' } };
    await s.send('push', { ...base, ref: 'refs/tags/v1.4.0', before: '0'.repeat(40), after: sha('a'), created: true, deleted: false, base_ref: null, commits: [], head_commit: { ...(base['head_commit'] as Example), id: sha('a'), message: 'release' }, repository: pushRepo, installation: { id: INSTALLATION_ID, node_id: 'x' } });
    await eventually(() => (s.index.files().length === 2 ? true : undefined), 90_000, 'files published to the registry the allowed defaults name');
  });
});

