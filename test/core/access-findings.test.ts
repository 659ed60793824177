import { describe, expect, it } from 'vitest';
import { checkChange, checkRelease } from '../../src/core/checks.js';
import type { ChangeFacts } from '../../src/core/checks.js';
import type { PublishPolicy } from '../../src/core/publish-policy.js';
import { readRepoConfig } from '../../src/core/repo-config.js';

const policy: PublishPolicy = {
  targets: {
    internal: { kind: 'grants', grants: [{ gitlab: ['data/**'], github: [], local: [], projects: ['data-*'], sharedProjects: [] }] },
    pypi: { kind: 'grants', grants: [] },
    gitlab: { kind: 'own-project' },
  },
  extendsAllowed: [],
};

function facts(registries: string, path: string, project: string | null): ChangeFacts {
  return {
    head: { version: { kind: 'static', version: '1.1.0' } },
    target: { version: { kind: 'static', version: '1.0.0' }, branch: 'main' },
    tags: [],
    tag: null,
    published: [],
    config: readRepoConfig({ pyreleaseYml: `registries: ${registries}\n` }),
    projectProblems: [],
    access: { policy, publisher: { platform: 'gitlab', id: '1', path }, project },
  };
}

const codes = (fs: readonly { code: string }[]) => fs.filter((f) => f.code === 'registry-not-allowed').length;

describe('the change and release checks report targets the server would refuse', () => {
  it.each([
    ['a granted repository and name', '[internal, gitlab]', 'data/etl', 'data-etl', 0],
    ['a target with no grant for anyone', '[pypi]', 'data/etl', 'data-etl', 1],
    ['a repository outside the grant', '[internal]', 'web/site', 'data-etl', 1],
    ['a name outside the grant', '[internal]', 'data/etl', 'web-site', 1],
    ['a target that does not exist', '[nope]', 'data/etl', 'data-etl', 1],
    ['no project name readable: the repository alone is checked', '[internal]', 'data/etl', null, 0],
  ])('%s', (_what, registries, path, project, expected) => {
    expect(codes(checkChange(facts(registries, path, project)))).toBe(expected);
    expect(codes(checkRelease({ ...facts(registries, path, project), target: null }))).toBe(expected);
  });

  it('is an error that says what the operator must allow', () => {
    const [found] = checkChange(facts('[pypi]', 'data/etl', 'data-etl')).filter((f) => f.code === 'registry-not-allowed');
    expect(found?.severity).toBe('error');
    expect(found?.fix).toContain('`publishers.pypi`');
    expect(found?.fix).toContain('`gitlab: [data/etl]`');
  });

  it('checks nothing without a policy (pyrelease check on a workstation)', () => {
    const { access: _none, ...rest } = facts('[pypi]', 'data/etl', 'data-etl');
    expect(codes(checkChange(rest))).toBe(0);
  });
});
