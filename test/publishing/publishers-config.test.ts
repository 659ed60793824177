import { describe, expect, it } from 'vitest';
import { mayPublish, mayUseTarget } from '../../src/core/publish-policy.js';
import { parseServerConfig } from '../../src/server-config.js';

const internal = 'registries:\n  internal:\n    upload-url: https://pypi.internal.invalid/legacy/\n    simple-url: https://pypi.internal.invalid/simple/\n';
const web = { platform: 'github', id: '7', path: 'web/site' } as const;

describe('server config: publishers and extends', () => {
  it('grants nothing by default: no repository may use any target that holds server credentials', () => {
    const result = parseServerConfig(internal);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    for (const target of ['internal', 'pypi', 'testpypi']) expect(mayUseTarget(result.config.policy, target, web).allowed).toBe(false);
    expect(result.config.policy.targets['gitlab']).toEqual({ kind: 'own-project' });
    expect(result.config.policy.extendsAllowed).toEqual([]);
  });

  it('reads grants, normalising project name patterns', () => {
    const result = parseServerConfig(`${internal}publishers:\n  internal:\n    - github: [web/*]\n      projects: [Web_*]\n      shared-projects: [Common.Utils]\n  pypi:\n    - gitlab: [data/**]\n      projects: ['*']\nextends: [web/config]\n`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { policy } = result.config;
    expect(policy.targets['internal']).toEqual({ kind: 'grants', grants: [{ gitlab: [], github: ['web/*'], local: [], projects: ['web-*'], sharedProjects: ['common-utils'] }] });
    expect(mayPublish(policy, 'internal', web, 'web.site', null)).toEqual({ allowed: true, bind: true });
    expect(policy.extendsAllowed).toEqual(['web/config']);
  });

  it.each([
    ['a grant for an undefined target', 'publishers:\n  nope:\n    - github: [a/b]\n      projects: [x]\n', 'publishers.nope'],
    ['a grant for the own-project gitlab target', 'publishers:\n  gitlab:\n    - gitlab: [a/b]\n      projects: [x]\n', 'publishers.gitlab'],
    ['a grant without projects', `${internal}publishers:\n  internal:\n    - github: [a/b]\n`, 'publishers.internal.0.projects'],
    ['a grant that names no repository', `${internal}publishers:\n  internal:\n    - projects: [x]\n`, 'name at least one repository'],
    ['an unknown key in a grant (a typo must not widen or narrow silently)', `${internal}publishers:\n  internal:\n    - github: [a/b]\n      project: [x]\n`, 'publishers.internal.0'],
    ['a repository pattern with spaces', `${internal}publishers:\n  internal:\n    - github: ['a b']\n      projects: [x]\n`, 'publishers.internal.0.github.0'],
  ])('refuses %s', (_what, text, where) => {
    const result = parseServerConfig(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join('\n')).toContain(where);
  });
});
