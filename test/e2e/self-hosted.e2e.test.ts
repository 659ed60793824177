import { afterEach, describe, expect, it } from 'vitest';
import { addCommit, addTag } from '../fakes/fake-gitlab-arrange.js';
import { eventually, gitlabService } from '../helpers/gitlab-service.js';
import type { GitlabService } from '../helpers/gitlab-service.js';

const sha = (c: string) => c.repeat(40);
let svc: GitlabService | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

/**
 * The operator's view: list the upstream, the service repos, the template and the
 * commit model in the config file, start the service, and watch self-hosted tags appear.
 */
describe('self-hosted tags through the running service', () => {
  it('tags the service repo for upstream releases at or above the minimum, from the poll and from a hook, once', { timeout: 90_000 }, async () => {
    svc = await gitlabService({
      serverYaml: (gitlab) => `self-hosted:
  upstream:
    url: ${gitlab.url}
    project: gitlab-org/gitlab
    poll-interval: 1s
    token-env: GITLAB_TOKEN
  min-version: 18.4.0
  repos:
    - platform: gitlab
      project: acme/ai-gateway
      tag-template: self-hosted-{tag}
      model: default-branch
`,
    });
    const s = svc;
    const upstream = s.gitlab.addProject('gitlab-org/gitlab', 'master');
    addCommit(upstream, 'master', sha('1'), 'upstream', { 'VERSION': '18.4.0' });
    for (const tag of ['v18.3.0-ee', 'v18.3.1-ee', 'v18.4.0-ee', 'v18.5.0-rc42-ee']) addTag(upstream, tag, sha('1'));
    const gateway = s.gitlab.addProject('acme/ai-gateway', 'main');
    addCommit(gateway, 'main', sha('2'), 'gateway head', { 'README.md': 'gateway' });

    await eventually(() => gateway.tags.get('self-hosted-v18.4.0-ee'), 30_000, 'the polled release tagged');
    expect(gateway.tags.get('self-hosted-v18.4.0-ee')?.commitId).toBe(sha('2'));

    // A new upstream release announced by its Tag Push hook (an operator who administers upstream).
    addCommit(gateway, 'main', sha('3'), 'gateway moves on', { 'README.md': 'gateway 2' });
    addTag(upstream, 'v18.4.1-ee', sha('1'));
    const hook = {
      object_kind: 'tag_push',
      ref: 'refs/tags/v18.4.1-ee',
      before: '0'.repeat(40),
      after: sha('1'),
      checkout_sha: sha('1'),
      project_id: upstream.id,
      project: { id: upstream.id, path_with_namespace: 'gitlab-org/gitlab', default_branch: 'master' },
    };
    expect((await s.send('Tag Push Hook', hook)).status).toBe(200);
    await eventually(() => gateway.tags.get('self-hosted-v18.4.1-ee'), 30_000, 'the hooked release tagged');
    expect(gateway.tags.get('self-hosted-v18.4.1-ee')?.commitId).toBe(sha('3'));
    await new Promise((r) => setTimeout(r, 2500));

    // Below the minimum and release candidates: never tagged. The upstream's own tags: never taken for Python releases.
    expect([...gateway.tags.keys()].sort()).toEqual(['self-hosted-v18.4.0-ee', 'self-hosted-v18.4.1-ee']);
    expect(upstream.statuses).toEqual([]);
    expect(upstream.notes).toEqual([]);
  });
});
