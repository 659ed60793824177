import { Gitlab } from '@gitbeaker/rest';
import { describe, expect, it } from 'vitest';
import { redisConnection } from '../../src/jobs/queues.js';
import { createGitlabPlatform } from '../../src/platforms/gitlab/gitlab-platform.js';
import type { GitlabApi } from '../../src/platforms/gitlab/gitlab-platform.js';
import { parseServerConfig } from '../../src/server-config.js';
import { selfHostedQueue } from '../../src/selfhosted/self-hosted-queue.js';
import { ensurePollScheduler } from '../../src/selfhosted/upstream-poll.js';
import { releaseFromUpstreamHook } from '../../src/selfhosted/upstream-hook.js';
import { addCommit } from '../fakes/fake-gitlab-arrange.js';
import { startFakeGitlab } from '../fakes/fake-gitlab.js';
import { TEST_REDIS_URL, TOKEN } from './harness.js';

const up = { id: 278964, path_with_namespace: 'gitlab-org/gitlab' };

describe('releaseFromUpstreamHook', () => {
  it.each([
    ['release, top-level action', 'Release Hook', { tag: 'v18.4.0-ee', action: 'create', project: up }, 'gitlab-org/gitlab', 'v18.4.0-ee'],
    ['release, object_attributes.action', 'Release Hook', { tag: 'v18.4.0-ee', object_attributes: { action: 'create' }, project: up }, 'gitlab-org/gitlab', 'v18.4.0-ee'],
    ['release update', 'Release Hook', { tag: 'v18.4.0-ee', action: 'update', project: up }, 'gitlab-org/gitlab', null],
    ['release of another project', 'Release Hook', { tag: 'v18.4.0-ee', action: 'create', project: { id: 2, path_with_namespace: 'acme/app' } }, 'gitlab-org/gitlab', null],
    ['release, project by id', 'Release Hook', { tag: 'v18.4.0-ee', action: 'create', project: up }, '278964', 'v18.4.0-ee'],
    ['tag push', 'Tag Push Hook', { ref: 'refs/tags/v18.4.1-ee', after: 'a'.repeat(40), project: up }, 'GitLab-org/GitLab', 'v18.4.1-ee'],
    ['tag deletion', 'Tag Push Hook', { ref: 'refs/tags/v18.4.1-ee', after: '0'.repeat(40), project: up }, 'gitlab-org/gitlab', null],
    ['branch push', 'Push Hook', { ref: 'refs/heads/master', after: 'a'.repeat(40), project: up }, 'gitlab-org/gitlab', null],
    ['malformed', 'Release Hook', { tag: 'v18.4.0-ee', project: up }, 'gitlab-org/gitlab', null],
  ])('%s', (_name, header, payload, project, want) => {
    expect(releaseFromUpstreamHook(header, payload, { project })).toBe(want);
  });
});

describe('self-hosted config', () => {
  const base = 'self-hosted:\n  min-version: 18.4.0\n  repos:\n    - platform: gitlab\n      project: acme/ai-gateway\n';
  it('fills the defaults', () => {
    const r = parseServerConfig(base);
    expect(r.ok && r.config.selfHosted).toEqual({
      upstream: { url: 'https://gitlab.com', project: 'gitlab-org/gitlab', source: 'tags', pollIntervalMs: 900_000, tokenEnv: null },
      minVersion: '18.4.0',
      allow: null,
      prereleases: false,
      repos: [{ platform: 'gitlab', project: 'acme/ai-gateway', tagTemplate: 'self-hosted-{tag}', model: 'default-branch', stableBranchTemplate: 'stable-{major}-{minor}-ee', image: null }],
    });
    const none = parseServerConfig('registries: {}\n');
    expect(none.ok && none.config.selfHosted).toBeNull();
  });
  it.each([
    [base.replace('18.4.0', 'latest'), 'self-hosted.min-version'],
    [`${base}      tag-template: "self hosted {tag}"\n`, 'self-hosted.repos.0.tag-template'],
    [`${base}      tag-template: "x-{sha}"\n`, 'unknown placeholder'],
    [`${base}      model: stable-branch\n      stable-branch-template: "a..{minor}"\n`, 'self-hosted.repos.0.stable-branch-template'],
    [`${base}      image:\n        registry: https://r.example.test\n        repository: Acme/X\n`, 'self-hosted.repos.0.image.repository'],
    [`${base}      image:\n        registry: https://r.example.test\n        repository: acme/x\n        target-tag: "sh/{tag}"\n`, 'not a valid OCI tag'],
    [base.replace('self-hosted:\n', 'self-hosted:\n  upstream:\n    poll-interval: 5\n'), 'self-hosted.upstream.poll-interval'],
    [base.replace('self-hosted:\n', 'self-hosted:\n  upstream:\n    token-env: my-token\n'), 'self-hosted.upstream.token-env'],
  ])('refuses %#', (yaml, want) => {
    const r = parseServerConfig(yaml);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toContain(want);
  });
});

describe('GitLab branches on the fake', () => {
  it('creates, finds an existing branch, reads heads and refuses an unknown ref', async () => {
    const gitlab = await startFakeGitlab();
    try {
      gitlab.addUser('bot', TOKEN);
      const project = gitlab.addProject('acme/ai-gateway');
      const sha = addCommit(project, 'main', 'c'.repeat(40), 'one', {});
      const platform = createGitlabPlatform({ api: new Gitlab({ host: gitlab.url, token: TOKEN }) as GitlabApi, projectId: 'acme/ai-gateway' });
      expect(await platform.branchHead?.('stable-18-4-ee')).toBeNull();
      expect(await platform.ensureBranch?.('stable-18-4-ee', sha)).toBe('created');
      expect(await platform.ensureBranch?.('stable-18-4-ee', 'd'.repeat(40))).toBe('exists');
      expect(await platform.branchHead?.('stable-18-4-ee')).toBe(sha);
      // A created branch whose response was lost: gitbeaker's retry is a 400, re-read says created.
      gitlab.fault({ route: 'POST /projects/:id/repository/branches', status: 502, afterWrite: true });
      expect(await platform.ensureBranch?.('stable-18-5-ee', sha)).toBe('exists');
      await expect(platform.ensureBranch?.('stable-18-6-ee', 'e'.repeat(40))).rejects.toMatchObject({ code: 'forge-refused' });
    } finally {
      await gitlab.close();
    }
  });
});

describe('poll scheduler', () => {
  it('is upserted: calling it at every start keeps one scheduler with the latest interval', async () => {
    const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-scheduler');
    const queue = selfHostedQueue(redis, { prefix: `{pyrelease-test-sched-${process.pid}-${Date.now()}}`, attempts: 1, backoffMs: 10 });
    try {
      const parsed = parseServerConfig('self-hosted:\n  upstream:\n    poll-interval: 15m\n  min-version: 18.4.0\n  repos:\n    - platform: gitlab\n      project: a/b\n');
      if (!parsed.ok || parsed.config.selfHosted === null) throw new Error('config');
      await ensurePollScheduler(queue, parsed.config.selfHosted);
      await ensurePollScheduler(queue, { ...parsed.config.selfHosted, upstream: { ...parsed.config.selfHosted.upstream, pollIntervalMs: 60_000 } });
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.every])).toEqual([['upstream-poll', 60_000]]);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
    }
  });
});
