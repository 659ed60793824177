// The hint an invalid-version finding offers: one obvious repair, normalised, or none.
import { describe, expect, it } from 'vitest';
import { normalizeVersion } from '../../src/core/pep440.js';
import { nearestValidVersion } from '../../src/core/version-hint.js';

describe('nearestValidVersion', () => {
  it.each<[string, string | null]>([
    ['1.0.0-SNAPSHOT', '1.0.0.dev0'],
    ['1.2.0.snapshot', '1.2.0.dev0'],
    ["'1.2.0'", '1.2.0'],
    ['release-1.2.0', '1.2.0'],
    ['version 1.2', '1.2'],
    ['mypkg-1.0', '1.0'],
    ['1,2,3', '1.2.3'],
    ['1.2.', '1.2'],
    ['1..2', '1.2'],
    ['1.0 rc1', '1.0rc1'],
    // SemVer-looking but valid PEP 440 (packaging reads 1.0.0b2): nothing to hint.
    ['1.0.0-beta.2', null],
    ['1.0.0-dev-3', null],
    // SemVer's dotted identifiers that PEP 440 refuses, and nothing obvious to make of them.
    ['1.0.0-rc.1.2', null],
    ['1.0.0+build/7', '1.0.0+build.7'],
    // Valid already: nothing to hint.
    ['1.0', null],
    // Nothing obvious: no guess.
    ['${version}', null],
    ['one', null],
    ['1.0-SNAPSHOT-extra-words', null],
    // Too long to be a mistyped version.
    [`1.${'0'.repeat(200)}-SNAPSHOT`, null],
  ])('%j -> %j', (input, hint) => {
    expect(nearestValidVersion(input)).toBe(hint);
  });

  it('every hint it gives is valid and already normalised', () => {
    for (const input of ['1.0.0-SNAPSHOT', 'release-1.2.0', '1,2,3', '1.0 rc1', '1.0.0+build/7']) {
      const hint = nearestValidVersion(input);
      expect(hint).not.toBeNull();
      expect(normalizeVersion(hint ?? '')).toBe(hint);
    }
  });
});
