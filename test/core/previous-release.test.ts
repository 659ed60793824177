import { describe, expect, it } from 'vitest';
import { previousReleaseTag } from '../../src/core/previous-release.js';
import { DEFAULT_TAG_POLICY } from '../../src/core/tags.js';
import type { TagPolicy } from '../../src/core/tags.js';

const t = (...names: string[]) => names.map((name, i) => ({ name, sha: String(i).repeat(40) }));
const lenient: TagPolicy = { prefixes: ['v', 'v-', ''], mode: 'lenient' };
const client: TagPolicy = { prefixes: ['client-v'], mode: 'strict' };

describe('previousReleaseTag: the highest release tag below the version, under the tag policy', () => {
  it.each<[string, string[], string, TagPolicy, string | null]>([
    ['the one below', ['v1.0.0', 'v1.1.0', 'v1.2.0'], '1.2.0', DEFAULT_TAG_POLICY, 'v1.1.0'],
    ['PEP 440 order, not text order', ['v1.9.0', 'v1.10.0', 'v1.11.0'], '1.11.0', DEFAULT_TAG_POLICY, 'v1.10.0'],
    ['a pre-release below the final', ['v1.1.0', 'v1.2.0rc1', 'v1.2.0'], '1.2.0', DEFAULT_TAG_POLICY, 'v1.2.0rc1'],
    ['a dev release is below its pre-release', ['v2.0.0.dev1', 'v1.9.0'], '2.0.0a1', DEFAULT_TAG_POLICY, 'v2.0.0.dev1'],
    ['a post-release is above its release', ['v1.0.0', 'v1.0.0.post1'], '1.0.1', DEFAULT_TAG_POLICY, 'v1.0.0.post1'],
    ['a newer tag above the version is not the previous one (a patch on a maintenance line)', ['v1.4.0', 'v2.0.0', 'v1.4.1'], '1.4.2', DEFAULT_TAG_POLICY, 'v1.4.1'],
    ['PEP 440 equality: 1.2 is the version itself, not below it', ['v1.1', 'v1.2'], '1.2.0', DEFAULT_TAG_POLICY, 'v1.1'],
    ['none below: the first release', ['v1.2.0', 'v2.0.0'], '1.2.0', DEFAULT_TAG_POLICY, null],
    ['no tags', [], '1.0.0', DEFAULT_TAG_POLICY, null],
    ['tags that are not releases are skipped', ['nightly', 'self-hosted-v18.4.0-ee', 'v1.0.0'], '1.1.0', DEFAULT_TAG_POLICY, 'v1.0.0'],
    ['a non-canonical spelling is rejected in strict mode', ['v1.0.0', 'v1.1.0-rc.1'], '1.1.0', DEFAULT_TAG_POLICY, 'v1.0.0'],
    ['and counted in lenient mode', ['v1.0.0', 'v1.1.0-rc.1'], '1.1.0', lenient, 'v1.1.0-rc.1'],
    ['bare versions under the default prefixes', ['1.0.0', '1.1.0'], '1.2.0', DEFAULT_TAG_POLICY, '1.1.0'],
    ['two spellings of one version: the policy\'s first prefix', ['1.1.0', 'v1.1.0', 'v-1.1.0'], '1.2.0', DEFAULT_TAG_POLICY, 'v1.1.0'],
    ["another package's prefix is another package", ['server-v1.5.0', 'client-v1.1.0', 'v1.3.0'], '1.2.0', client, 'client-v1.1.0'],
    ['an invalid version being released has no previous one', ['v1.0.0'], 'not-a-version', DEFAULT_TAG_POLICY, null],
  ])('%s', (_name, names, version, policy, expected) => {
    expect(previousReleaseTag(t(...names), version, policy)?.tag ?? null).toBe(expected);
  });

  it('answers the tag commit and the normalized version', () => {
    expect(previousReleaseTag([{ name: 'v1.0', sha: 'a'.repeat(40) }], '1.1', DEFAULT_TAG_POLICY)).toEqual({ tag: 'v1.0', sha: 'a'.repeat(40), normalized: '1.0' });
  });
});
