// Branch globs of `release-branches`: `*` within one path segment, `**` across them,
// matched without a RegExp so a hostile pattern cannot backtrack.
import { describe, expect, it } from 'vitest';
import { globMatch } from '../../src/core/branch-glob.js';

describe('globMatch', () => {
  it.each<[string, string, boolean]>([
    ['main', 'main', true],
    ['main', 'mainline', false],
    ['release/*', 'release/1.x', true],
    ['release/*', 'release/1.x/hotfix', false],
    ['release/**', 'release/1.x/hotfix', true],
    ['release/**', 'release/', true],
    ['**', 'any/thing/at/all', true],
    ['*', 'a/b', false],
    ['*', '', true],
    ['stable-*-ee', 'stable-17-2-ee', true],
    ['stable-*-ee', 'stable-17-2-ce', false],
    ['v*.*', 'v1.2', true],
    ['v*.*', 'v12', false],
    ['***', 'a/b', true],
    ['', '', true],
    ['', 'main', false],
    ['Main', 'main', false],
    ['*/*', 'a/b', true],
    ['*/*', 'ab', false],
  ])('%j matches %j: %s', (pattern, branch, expected) => {
    expect(globMatch(pattern, branch)).toBe(expected);
  });

  it('answers a pathological pattern at once (no backtracking)', () => {
    // A backtracking matcher spends exponential time here; the table is O(pattern x branch).
    expect(globMatch(`${'a*'.repeat(40)}b`, 'a'.repeat(200))).toBe(false);
  });
});
