import { describe, expect, it } from 'vitest';
import { allowedTargets, bindingHolds, mayPublish, mayUseTarget } from '../../src/core/publish-policy.js';
import type { Binding, Grant, Publisher, PublishPolicy } from '../../src/core/publish-policy.js';

function grant(partial: Partial<Grant> & Pick<Grant, 'projects'>): Grant {
  return { gitlab: [], github: [], local: [], sharedProjects: [], ...partial };
}

// Two teams on one server: data may publish data-* to `internal` from its GitLab group;
// web may publish web-* to `internal` and anything to `webindex` from its GitHub org.
const policy: PublishPolicy = {
  targets: {
    internal: {
      kind: 'grants',
      grants: [
        grant({ gitlab: ['data/**'], projects: ['data-*'], sharedProjects: ['common-utils'] }),
        grant({ github: ['web/*'], projects: ['web-*', 'common-utils'] }),
      ],
    },
    webindex: { kind: 'grants', grants: [grant({ github: ['web/*'], projects: ['*'] })] },
    pypi: { kind: 'grants', grants: [] },
    gitlab: { kind: 'own-project' },
  },
  extendsAllowed: [],
};

const dataRepo: Publisher = { platform: 'gitlab', id: '10', path: 'data/pipelines/loader' };
const webRepo: Publisher = { platform: 'github', id: '20', path: 'web/frontend' };
const bind = (p: Publisher): Binding => ({ platform: p.platform, id: p.id, path: p.path });

describe('mayUseTarget: which repositories may use a target at all', () => {
  it.each([
    ['a repository its grant names (group glob)', 'internal', dataRepo, true],
    ['a GitHub repository of the granted org', 'internal', webRepo, true],
    ['a target meant for another group', 'webindex', dataRepo, false],
    ['a target with no grants (the default): nobody', 'pypi', webRepo, false],
    ['an undefined target', 'nope', webRepo, false],
    ['a GitLab project on its own registry', 'gitlab', dataRepo, true],
    ['a GitHub repository on the GitLab own-project registry', 'gitlab', webRepo, false],
    ['the same path on the other forge', 'internal', { platform: 'github', id: '30', path: 'data/pipelines/loader' } as Publisher, false],
    ['a path in a lookalike group (data-evil is not data/**)', 'internal', { platform: 'gitlab', id: '31', path: 'data-evil/loader' } as Publisher, false],
    ['a deeper path than web/* allows', 'webindex', { platform: 'github', id: '32', path: 'web/a/b' } as Publisher, false],
    ['a path in other casing (forges are case-insensitive)', 'internal', { platform: 'gitlab', id: '10', path: 'Data/Pipelines/Loader' } as Publisher, true],
  ])('%s', (_what, target, publisher, allowed) => {
    const verdict = mayUseTarget(policy, target, publisher);
    expect(verdict.allowed).toBe(allowed);
  });

  it('says what the operator must allow', () => {
    const verdict = mayUseTarget(policy, 'pypi', webRepo);
    expect(verdict).toMatchObject({ allowed: false, code: 'repo-not-allowed' });
    if (!verdict.allowed) expect(verdict.fix).toContain('`github: [web/frontend]`');
    if (!verdict.allowed) expect(verdict.fix).toContain('`publishers.pypi`');
  });

  it('does not take Object.prototype keys for targets', () => {
    expect(mayUseTarget(policy, 'constructor', webRepo)).toMatchObject({ allowed: false, code: 'target-unknown' });
  });
});

describe('mayPublish: which names, and the first publisher binding', () => {
  it.each<[string, string, Publisher, string, Binding | null, { allowed: boolean; code?: string; bind?: boolean }]>([
    ['a new name its grant covers: allowed, and bound', 'internal', dataRepo, 'data-loader', null, { allowed: true, bind: true }],
    ['the same name again from the holder: allowed, no new binding', 'internal', dataRepo, 'data-loader', bind(dataRepo), { allowed: true, bind: false }],
    ['another team publishing a name outside its grant', 'internal', webRepo, 'data-loader', null, { allowed: false, code: 'project-not-allowed' }],
    ['another spelling of a name outside the grant (PEP 503)', 'internal', webRepo, 'Data_Loader', null, { allowed: false, code: 'project-not-allowed' }],
    ['a name in the grant, but bound to another repository', 'webindex', webRepo, 'tool', { platform: 'github', id: '99', path: 'web/other' }, { allowed: false, code: 'project-bound' }],
    ['a renamed repository keeps its binding (same id)', 'webindex', webRepo, 'tool', { platform: 'github', id: '20', path: 'web/old-name' }, { allowed: true, bind: false }],
    ['a new repository at a deleted one\'s path does not (other id)', 'webindex', webRepo, 'tool', { platform: 'github', id: '21', path: 'web/frontend' }, { allowed: false, code: 'project-bound' }],
    ['an operator-moved binding matches by path', 'webindex', webRepo, 'tool', { platform: 'github', id: null, path: 'web/frontend' }, { allowed: true, bind: false }],
    ['a moved binding for one forge does not match the other', 'internal', dataRepo, 'data-x', { platform: 'github', id: null, path: 'data/pipelines/loader' }, { allowed: false, code: 'project-bound' }],
    ['a shared name the grant lists may be published whoever holds it', 'internal', dataRepo, 'common-utils', bind(webRepo), { allowed: true, bind: false }],
    ['a shared name is shared only with the grant that says so', 'internal', webRepo, 'common-utils', bind(dataRepo), { allowed: false, code: 'project-bound' }],
    ['a repository without a grant, whatever the name', 'pypi', webRepo, 'web-app', null, { allowed: false, code: 'repo-not-allowed' }],
    ['the GitLab own-project registry binds nothing', 'gitlab', dataRepo, 'anything', null, { allowed: true, bind: false }],
  ])('%s', (_what, target, publisher, project, holder, expected) => {
    expect(mayPublish(policy, target, publisher, project, holder)).toMatchObject(expected);
  });

  it('does not name the holder in the refusal the repository sees', () => {
    const verdict = mayPublish(policy, 'webindex', webRepo, 'tool', { platform: 'github', id: '99', path: 'web/secret-project' });
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(`${verdict.reason} ${verdict.fix}`).not.toContain('secret-project');
    if (!verdict.allowed) expect(verdict.fix).toContain('pyrelease bindings move webindex tool --to github:web/frontend');
  });

  it('matches bindings by forge id, or by path when an operator set it', () => {
    expect(bindingHolds({ platform: 'gitlab', id: '10', path: 'x/y' }, dataRepo)).toBe(true);
    expect(bindingHolds({ platform: 'gitlab', id: null, path: 'DATA/pipelines/loader' }, dataRepo)).toBe(true);
    expect(bindingHolds({ platform: 'local', id: '10', path: 'data/pipelines/loader' }, dataRepo)).toBe(false);
  });
});

describe('allowedTargets', () => {
  it('keeps the targets the repository may publish the name to', () => {
    expect(allowedTargets(policy, webRepo, ['internal', 'webindex', 'pypi', 'gitlab'], 'web-app')).toEqual(['internal', 'webindex']);
    expect(allowedTargets(policy, dataRepo, ['internal', 'webindex', 'gitlab'], null)).toEqual(['internal', 'gitlab']);
  });
});
