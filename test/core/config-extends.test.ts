import { describe, expect, it } from 'vitest';
import { resolveExtends } from '../../src/core/config-extends.js';
import { readRepoConfig } from '../../src/core/repo-config.js';

describe('resolveExtends: where a GitHub config may inherit from', () => {
  it.each<[string, string | null, readonly string[], { kind: 'read'; repo: string; file: string } | { kind: 'refused' }]>([
    ['no _extends: the owner\'s .github', null, [], { kind: 'read', repo: 'acme/.github', file: '.github/pyrelease.yml' }],
    ['.github by name', '.github', [], { kind: 'read', repo: 'acme/.github', file: '.github/pyrelease.yml' }],
    ['the owner\'s .github spelled in full, another YAML file', 'acme/.github:teams/data.yml', [], { kind: 'read', repo: 'acme/.github', file: 'teams/data.yml' }],
    ['another repository of the installation', 'secrets', [], { kind: 'refused' }],
    ['another repository by owner/name', 'acme/payroll:config.yml', [], { kind: 'refused' }],
    ['another owner\'s .github', 'other/.github', [], { kind: 'refused' }],
    ['a repository the operator allows', 'acme/shared-config:pyrelease.yml', ['acme/shared-config'], { kind: 'read', repo: 'acme/shared-config', file: 'pyrelease.yml' }],
    ['a glob the operator allows, in other casing', 'Acme/Config-Web', ['acme/config-*'], { kind: 'read', repo: 'Acme/Config-Web', file: '.github/pyrelease.yml' }],
    ['a file that is not YAML, even in .github', '.github:README.md', [], { kind: 'refused' }],
    ['a path that climbs out', '.github:../x.yml', [], { kind: 'refused' }],
  ])('%s', (_what, target, allowed, expected) => {
    expect(resolveExtends('acme/sample', target, allowed)).toMatchObject(expected);
  });

  it('makes the repository config invalid, naming the field, when _extends was refused', () => {
    const result = readRepoConfig({ pyreleaseYml: '_extends: secrets\nregistries: [pypi]\n', extendsRefused: 'not allowed' });
    expect(result).toMatchObject({ ok: false, problems: [{ file: '.pyrelease.yml', field: '_extends', message: 'not allowed' }] });
  });
});
