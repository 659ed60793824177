import { afterEach, describe, expect, it } from 'vitest';
import { AppError, rateLimitDetails } from '../../src/errors.js';
import { releaseFromUpstreamHook } from '../../src/selfhosted/upstream-hook.js';
import { addBranch, addCommit, addTag } from '../fakes/fake-gitlab-arrange.js';
import { nextSha, releaseTagUpstream, section, selfHostedHarness } from './harness.js';
import type { Harness } from './harness.js';

let open: Harness[] = [];
afterEach(async () => {
  for (const h of open) await h.close();
  open = [];
});

async function harness(body: string, repos: readonly string[]): Promise<Harness> {
  const h = await selfHostedHarness({ sectionYaml: (url) => section(url, body), repos });
  open.push(h);
  return h;
}

const REPOS = `
  repos:
    - platform: gitlab
      project: acme/ai-gateway
    - platform: gitlab
      project: acme/duo-workflow
      model: stable-branch
    - platform: gitlab
      project: acme/versioned
      tag-template: self-hosted-{version}
`;

const tagsOf = (h: Harness, repo: string): string[] => [...(h.repos[repo]?.tags.keys() ?? [])].sort();
const headOf = (h: Harness, repo: string, branch = 'main'): string => {
  const shas = h.repos[repo]?.branches.get(branch) ?? [];
  return shas[shas.length - 1] ?? '';
};

function tagPush(project: string, tag: string): unknown {
  return { object_kind: 'tag_push', ref: `refs/tags/${tag}`, after: nextSha(), before: '0'.repeat(40), project: { id: 1, path_with_namespace: project } };
}

describe('self-hosted tagging against the fake GitLab', () => {
  it('first start with history: only releases at or above min-version are tagged, each model at its commit', async () => {
    const h = await harness(`  min-version: 18.4.0\n${REPOS}`, ['acme/ai-gateway', 'acme/duo-workflow', 'acme/versioned']);
    const mainHead = headOf(h, 'acme/duo-workflow');
    const summary = await h.poll();
    expect(summary.scheduled).toEqual(['v18.4.0-ee', 'v18.4.1-ee', 'v18.4.2-ee']);
    // Version order: the poll stops after the first page holding nothing >= 18.4.0.
    const listed = h.gitlab.log.filter((r) => r.route === 'GET /projects/:id/repository/tags');
    expect(listed.length).toBeLessThanOrEqual(2);
    h.start();
    await h.idle();
    expect(tagsOf(h, 'acme/ai-gateway')).toEqual(['self-hosted-v18.4.0-ee', 'self-hosted-v18.4.1-ee', 'self-hosted-v18.4.2-ee']);
    expect(tagsOf(h, 'acme/versioned')).toEqual(['self-hosted-18.4.0', 'self-hosted-18.4.1', 'self-hosted-18.4.2']);
    const duo = h.repos['acme/duo-workflow'];
    expect(duo?.branches.get('stable-18-4-ee')?.at(-1)).toBe(mainHead);
    expect([...(duo?.tags.values() ?? [])].map((t) => [t.name, t.commitId])).toEqual([
      ['self-hosted-v18.4.0-ee', mainHead],
      ['self-hosted-v18.4.1-ee', mainHead],
      ['self-hosted-v18.4.2-ee', mainHead],
    ]);
    const results = await h.results();
    expect(results).toHaveLength(9);
    expect(results.every((r) => r.state === 'completed' && r.result?.outcome === 'tagged')).toBe(true);
    expect(results.every((r) => !r.id.includes(':'))).toBe(true);

    // A second poll (a restart) schedules nothing: the remembered set.
    expect((await h.poll()).scheduled).toEqual([]);
  });

  it('stable-branch model: a patch is tagged at the stable head, not at the moved default branch', async () => {
    const h = await harness(`  min-version: 18.4.0\n${REPOS}`, ['acme/ai-gateway', 'acme/duo-workflow', 'acme/versioned']);
    await h.poll();
    h.start();
    await h.idle();
    const duo = h.repos['acme/duo-workflow'];
    if (duo === undefined) throw new Error('no repo');
    const fix = addCommit(duo, 'stable-18-4-ee', nextSha(), 'Backport a fix', { 'README.md': 'fixed' });
    const feature = addCommit(duo, 'main', nextSha(), 'New feature for 18.5', { 'README.md': 'new' });
    releaseTagUpstream(h.upstream, 'v18.4.3-ee');
    expect((await h.poll()).scheduled).toEqual(['v18.4.3-ee']);
    await h.idle();
    expect(duo.tags.get('self-hosted-v18.4.3-ee')?.commitId).toBe(fix);
    expect(h.repos['acme/ai-gateway']?.tags.get('self-hosted-v18.4.3-ee')?.commitId).toBe(headOf(h, 'acme/ai-gateway'));
    expect(fix).not.toBe(feature);
  });

  it('stable-branch model: a .0 whose branch already exists (a catch-up) is tagged where the branch was cut, its patch at the head', async () => {
    const h = await harness(`  min-version: 18.4.0\n${REPOS}`, ['acme/ai-gateway', 'acme/duo-workflow', 'acme/versioned']);
    await h.poll();
    h.start();
    await h.idle();
    const duo = h.repos['acme/duo-workflow'];
    if (duo === undefined) throw new Error('no repo');
    // While pyrelease was down: someone cut stable-18-5-ee, backported onto it, and main moved on.
    const cut = headOf(h, 'acme/duo-workflow');
    addBranch(duo, 'stable-18-5-ee', 'main');
    const backport = addCommit(duo, 'stable-18-5-ee', nextSha(), 'Backport a fix meant for 18.5.1', { 'README.md': 'fixed' });
    const feature = addCommit(duo, 'main', nextSha(), 'New feature for 18.6', { 'README.md': 'new' });
    releaseTagUpstream(h.upstream, 'v18.5.0-ee');
    releaseTagUpstream(h.upstream, 'v18.5.1-ee');
    expect((await h.poll()).scheduled).toEqual(['v18.5.0-ee', 'v18.5.1-ee']);
    await h.idle();
    expect(duo.tags.get('self-hosted-v18.5.0-ee')?.commitId).toBe(cut);
    expect(duo.tags.get('self-hosted-v18.5.1-ee')?.commitId).toBe(backport);
    // The branch is left where it is: it existed.
    expect(duo.branches.get('stable-18-5-ee')?.at(-1)).toBe(backport);
    expect(new Set([cut, backport, feature]).size).toBe(3);
  });

  it('a release seen by the hook and by the poll is tagged once', async () => {
    const h = await harness(`  min-version: 18.4.0\n${REPOS}`, ['acme/ai-gateway', 'acme/duo-workflow', 'acme/versioned']);
    await h.poll();
    h.start();
    await h.idle();
    releaseTagUpstream(h.upstream, 'v18.4.3-ee');
    const fromHook = releaseFromUpstreamHook('Tag Push Hook', tagPush('gitlab-org/gitlab', 'v18.4.3-ee'), { project: 'gitlab-org/gitlab' });
    expect(fromHook).toBe('v18.4.3-ee');
    const hooked = await h.schedule(fromHook ?? '');
    const again = await h.schedule(fromHook ?? '');
    const polled = await h.poll();
    await h.idle();
    expect(hooked.scheduled && hooked.jobs.every((j) => j.created)).toBe(true);
    expect(again.scheduled && again.jobs.every((j) => !j.created)).toBe(true);
    expect(polled.scheduled).toEqual([]);
    const creates = h.gitlab.log.filter((r) => r.method === 'POST' && r.route === 'POST /projects/:id/repository/tags' && r.status === 201);
    expect(creates).toHaveLength(12);
    expect((await h.results()).filter((r) => r.result?.release === 'v18.4.3-ee')).toHaveLength(3);
  });

  it.each([
    ['off by default', '', []],
    ['on with prereleases: true', '  prereleases: true\n', ['self-hosted-v18.5.0-rc1-ee', 'self-hosted-v18.5.0-rc42-ee']],
  ])('release candidates: %s', async (_name, extra, want) => {
    const h = await harness(`  min-version: 18.5.0-rc1\n${extra}  repos:\n    - platform: gitlab\n      project: acme/ai-gateway\n      model: stable-branch\n`, ['acme/ai-gateway']);
    await h.poll();
    h.start();
    await h.idle();
    expect(tagsOf(h, 'acme/ai-gateway')).toEqual(want);
    // An RC never cuts a stable branch: the .0 does.
    expect([...(h.repos['acme/ai-gateway']?.branches.keys() ?? [])]).toEqual(['main']);
    const hook = releaseFromUpstreamHook('Release Hook', { tag: 'v18.5.0-rc42-ee', object_attributes: { action: 'create' }, project: { id: 5, path_with_namespace: 'gitlab-org/gitlab' } }, { project: 'gitlab-org/gitlab' });
    const r = await h.schedule(hook ?? '');
    expect(r.scheduled).toBe(want.length > 0);
  });

  it('a conflict is reported, not moved and not retried', async () => {
    const h = await harness(`  min-version: 18.4.2\n  repos:\n    - platform: gitlab\n      project: acme/ai-gateway\n`, ['acme/ai-gateway']);
    const repo = h.repos['acme/ai-gateway'];
    if (repo === undefined) throw new Error('no repo');
    const old = headOf(h, 'acme/ai-gateway');
    addCommit(repo, 'main', nextSha(), 'later', { 'README.md': 'later' });
    addTag(repo, 'self-hosted-v18.4.2-ee', old);
    await h.poll();
    h.start();
    await h.idle();
    expect(repo.tags.get('self-hosted-v18.4.2-ee')?.commitId).toBe(old);
    const [row] = await h.results();
    expect(row?.state).toBe('completed');
    expect(row?.attempts).toBe(1);
    expect(row?.result).toMatchObject({ outcome: 'conflict', tag: 'self-hosted-v18.4.2-ee', reason: expect.stringContaining(`already points at ${old}`) });
  });

  it('an unreachable service repo is tagged on retry when it comes back', async () => {
    const h = await harness(`  min-version: 18.4.2\n  repos:\n    - platform: gitlab\n      project: acme/ai-gateway\n`, ['acme/ai-gateway']);
    await h.poll();
    h.gitlab.fault({ route: 'GET /projects/:id', status: 503, count: 3 });
    h.start();
    await h.idle();
    const [row] = await h.results();
    // attemptsMade counts the successful attempt too: three 503s, then the tag.
    expect(h.gitlab.log.filter((r) => r.faulted)).toHaveLength(3);
    expect(row).toMatchObject({ state: 'completed', attempts: 4, result: { outcome: 'tagged', tag: 'self-hosted-v18.4.2-ee' } });
    expect(tagsOf(h, 'acme/ai-gateway')).toEqual(['self-hosted-v18.4.2-ee']);
  });

  it('the allow list keeps everything else out, and the image is retagged from the tagged commit', async () => {
    const h = await harness(
      `  min-version: 17.0.0\n  allow: [v17.11.7-ee, v18.4.1-ee]\n  repos:\n    - platform: gitlab\n      project: acme/ai-gateway\n      image:\n        registry: https://registry.example.test\n        repository: acme/ai-gateway/model-gateway\n        credentials-env: ACME_REGISTRY\n`,
      ['acme/ai-gateway'],
    );
    expect((await h.poll()).scheduled).toEqual(['v17.11.7-ee', 'v18.4.1-ee']);
    h.start();
    await h.idle();
    const head = headOf(h, 'acme/ai-gateway');
    expect(h.retags).toEqual([
      { registry: 'https://registry.example.test', repository: 'acme/ai-gateway/model-gateway', sourceTag: head, targetTag: 'self-hosted-v17.11.7-ee', credentialsEnv: 'ACME_REGISTRY' },
      { registry: 'https://registry.example.test', repository: 'acme/ai-gateway/model-gateway', sourceTag: head, targetTag: 'self-hosted-v18.4.1-ee', credentialsEnv: 'ACME_REGISTRY' },
    ]);
    expect((await h.results()).map((r) => r.result?.image)).toEqual(['copied', 'copied']);
  });

  it('a registry that rate-limits the image copy is waited out without spending an attempt', async () => {
    let refusals = 0;
    const h = await selfHostedHarness({
      sectionYaml: (url) => section(url, `  min-version: 18.4.2\n  repos:\n    - platform: gitlab\n      project: acme/ai-gateway\n      image:\n        registry: https://registry.example.test\n        repository: acme/ai-gateway/model-gateway\n`),
      repos: ['acme/ai-gateway'],
      retag: () => {
        if (refusals++ < 2) throw new AppError('forge-unavailable', 'container registry registry.example.test: put manifest: HTTP 429 TOOMANYREQUESTS', { retryable: true, details: { status: 429, ...rateLimitDetails(1) } });
        return Promise.resolve('copied');
      },
    });
    open.push(h);
    await h.poll();
    const started = Date.now();
    h.start();
    await h.idle();
    const [row] = await h.results();
    // The tag was made before the first refusal; the run after the wait finds it.
    expect(row).toMatchObject({ state: 'completed', attempts: 1, result: { outcome: 'exists', tag: 'self-hosted-v18.4.2-ee', image: 'copied' } });
    expect(tagsOf(h, 'acme/ai-gateway')).toEqual(['self-hosted-v18.4.2-ee']);
    expect(h.retags).toHaveLength(3);
    // Two waits of the registry's Retry-After (1 s), not the harness's 50 ms backoff.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });

  it('a service repo added later is caught up; downtime is caught up by the remembered set', async () => {
    const first = await harness(`  min-version: 18.4.1\n  repos:\n    - platform: gitlab\n      project: acme/ai-gateway\n`, ['acme/ai-gateway']);
    await first.poll();
    first.start();
    await first.idle();
    // The service was down while two releases came out; the operator also added a repo.
    releaseTagUpstream(first.upstream, 'v18.4.3-ee');
    releaseTagUpstream(first.upstream, 'v18.5.0-ee');
    const second = await selfHostedHarness({
      gitlab: first.gitlab,
      sectionYaml: (url) => section(url, `  min-version: 18.4.1\n  repos:\n    - platform: gitlab\n      project: acme/ai-gateway\n    - platform: gitlab\n      project: acme/new-service\n`),
      repos: ['acme/ai-gateway', 'acme/new-service'],
    });
    open.push(second);
    // Same Redis keys as the first run: copy its remembered set into the second prefix.
    const members = await first.redis.smembers(`${first.prefix}:self-hosted:handled`);
    await second.redis.sadd(`${second.prefix}:self-hosted:handled`, ...members);
    expect((await second.poll()).scheduled).toEqual(['v18.4.1-ee', 'v18.4.2-ee', 'v18.4.3-ee', 'v18.5.0-ee']);
    second.start();
    await second.idle();
    expect(tagsOf(second, 'acme/new-service')).toEqual(['self-hosted-v18.4.1-ee', 'self-hosted-v18.4.2-ee', 'self-hosted-v18.4.3-ee', 'self-hosted-v18.5.0-ee']);
    expect(tagsOf(second, 'acme/ai-gateway')).toEqual(['self-hosted-v18.4.1-ee', 'self-hosted-v18.4.2-ee', 'self-hosted-v18.4.3-ee', 'self-hosted-v18.5.0-ee']);
    const gateway = (await second.results()).filter((r) => r.result?.repo === 'gitlab/acme/ai-gateway').map((r) => r.result?.release);
    expect(gateway.sort()).toEqual(['v18.4.3-ee', 'v18.5.0-ee']);
  });
});
