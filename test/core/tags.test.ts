import { describe, expect, it } from 'vitest';
import { formatVersion } from '../../src/core/pep440.js';
import type { TagPolicy, TagVerdict } from '../../src/core/tags.js';
import {
  DEFAULT_TAG_POLICY,
  MAX_TAG_BYTES,
  classifyTag,
  tagForVersion,
  unsafeTagReason,
  versionFromCommitMessage,
} from '../../src/core/tags.js';

// A verdict in one comparable line: release:<prefix>:<normalized>, rejected[:<fix>], not-a-release.
function short(v: TagVerdict): string {
  if (v.kind === 'release') return `release:${v.prefix}:${v.normalized}`;
  if (v.kind === 'rejected') return v.fix === undefined ? 'rejected' : `rejected:${v.fix}`;
  return 'not-a-release';
}

describe('classifyTag: hostile and git-invalid names are rejected before any version logic', () => {
  it.each<[string, string, RegExp]>([
    ['shell command after ;', 'v1.0;rm -rf /', /metacharacter ';'/],
    ['command substitution', '$(id)', /metacharacter '\$'/],
    ['backticks', 'v1.0`id`', /metacharacter '`'/],
    ['pipe', 'v1.0|sh', /metacharacter '\|'/],
    ['ampersand', 'v1.0&', /metacharacter '&'/],
    ['redirect out', 'v1.0>x', /metacharacter '>'/],
    ['redirect in', 'v1.0<x', /metacharacter '<'/],
    ['single quote', "v1.0'", /metacharacter '''/],
    ['double quote', 'v1.0"', /metacharacter '"'/],
    ['braces', 'v{1,2}', /metacharacter '\{'/],
    ['parenthesis', 'v1.0)', /metacharacter '\)'/],
    ['epoch bang', 'v1!2.0', /'!'.*epoch/],
    ['bare epoch', '1!2.0', /'!'.*epoch/],
    ['leading dash (option injection)', '-v1.0', /starts with '-'/],
    ['trailing newline', 'v1.0\n', /control character U\+000A/],
    ['embedded newline', 'v1.0\nv2.0', /control character U\+000A/],
    ['carriage return', 'v1.0\r', /control character U\+000D/],
    ['tab', 'v1.0\t', /control character U\+0009/],
    ['NUL', 'v1.0\u0000', /control character U\+0000/],
    ['DEL', 'v1.0\u007f', /control character U\+007F/],
    ['space', 'v1.0 final', /git refuses .*' '/],
    ['leading space', ' v1.0', /git refuses .*' '/],
    ['path traversal', '../v1.0', /'\.\.'/],
    ['double dot inside', 'v1..2', /'\.\.'/],
    ['tilde', 'v1.0~1', /git refuses .*'~'/],
    ['caret', 'v1.0^', /git refuses .*'\^'/],
    ['colon', 'v1:0', /git refuses .*':'/],
    ['question mark', 'v1.0?', /git refuses .*'\?'/],
    ['asterisk', 'v1.*', /git refuses .*'\*'/],
    ['bracket', 'v1.0[1]', /git refuses .*'\['/],
    ['backslash', 'v1.0\\x', /git refuses .*'\\'/],
    ['reflog syntax', 'v1.0@{1', /metacharacter '\{'/],
    ['lone at sign', '@', /'@' alone/],
    ['trailing dot', 'v1.0.', /ending with '\.'/],
    ['trailing .lock', 'v1.0.lock', /ends with '\.lock'/],
    ['component ending .lock', 'rel.lock/v1.0', /ends with '\.lock'/],
    ['trailing slash', 'v1.0/', /ending with '\/'/],
    ['leading slash', '/v1.0', /starting with '\/'/],
    ['double slash', 'release//v1.0', /'\/\/'/],
    ['hidden component', 'release/.v1.0', /starts with '\.'/],
    ['leading dot', '.v1.0', /starts with '\.'/],
    ['empty', '', /empty/],
    ['fullwidth v', '\uFF561.0', /non-ASCII character U\+FF56/],
    ['fullwidth digit', 'v\uFF11.0', /non-ASCII character U\+FF11/],
    ['Arabic-Indic digit', 'v\u0661.0', /non-ASCII character U\+0661/],
    ['one dot leader', 'v1\u20240', /non-ASCII character U\+2024/],
    ['Cyrillic izhitsa for v', '\u04751.0', /non-ASCII character U\+0475/],
    ['zero-width space', 'v1.0\u200B', /non-ASCII character U\+200B/],
    ['no-break space', 'v1.0\u00A0', /non-ASCII character U\+00A0/],
    ['right-to-left override', 'v1.0\u202Egpj', /non-ASCII character U\+202E/],
    ['300 characters', `v1.${'0'.repeat(297)}`, /300 bytes long; the limit is 255/],
    ['256 characters', `v1.${'1'.repeat(253)}`, /256 bytes long/],
    ['86 three-byte characters = 258 bytes', '\u3042'.repeat(86), /258 bytes long/],
  ])('%s: %j', (_label, tag, reason) => {
    const verdict = classifyTag(tag);
    expect(verdict.kind).toBe('rejected');
    if (verdict.kind !== 'rejected') return;
    expect(verdict.reason).toMatch(reason);
    expect(verdict.fix).toBeUndefined();
    expect(verdict.tag).toBe(tag);
    // Unsafe in every mode and under every prefix list.
    expect(classifyTag(tag, { prefixes: ['v'], mode: 'lenient' }).kind).toBe('rejected');
    expect(unsafeTagReason(tag)).toBe(verdict.reason);
  });

  it('accepts a release tag of exactly the byte limit', () => {
    const tag = `v1.${'1'.repeat(MAX_TAG_BYTES - 3)}`;
    expect(tag).toHaveLength(255);
    expect(short(classifyTag(tag))).toBe(`release:v:${tag.slice(1)}`);
  });

  it.each(['v1.0', 'release/v1.0', 'v1.0+ubuntu.1', 'pkg-v2.0.post1', 'a.b/c-d_e'])('%j is safe', (tag) => {
    expect(unsafeTagReason(tag)).toBeNull();
  });
});

describe('classifyTag under the default policy (prefixes v, v-, ""; strict)', () => {
  it.each<[string, string]>([
    ['v1.0', 'release:v:1.0'],
    ['v-1.0', 'release:v-:1.0'],
    ['1.0', 'release::1.0'],
    ['v1.0.0', 'release:v:1.0.0'],
    ['v2024', 'release:v:2024'],
    ['v1.0rc1', 'release:v:1.0rc1'],
    ['v1.0a1.post2.dev3', 'release:v:1.0a1.post2.dev3'],
    ['v1.0.post1', 'release:v:1.0.post1'],
    ['v1.0.dev0', 'release:v:1.0.dev0'],
    ['v1.0+local.1', 'release:v:1.0+local.1'],
    ['v-2.0.0b3', 'release:v-:2.0.0b3'],
    ['v1.0-rc1', 'rejected:v1.0rc1'],
    ['v-1.0-rc1', 'rejected:v-1.0rc1'],
    ['1.0-rc1', 'rejected:1.0rc1'],
    ['v1.0+Local', 'rejected:v1.0+local'],
    ['v01.0', 'rejected:v1.0'],
    ['v1.0-1', 'rejected:v1.0.post1'],
    ['v1.2.3-1', 'rejected:v1.2.3.post1'],
    ['v1.0alpha1', 'rejected:v1.0a1'],
    ['v1.0RC1', 'rejected:v1.0rc1'],
    ['v1.0c1', 'rejected:v1.0rc1'],
    ['v1.0_rc1', 'rejected:v1.0rc1'],
    ['v1.0.0-rc.1', 'rejected:v1.0.0rc1'],
    ['1.0.0-beta.1', 'rejected:1.0.0b1'],
    ['v1.0-dev', 'rejected:v1.0.dev0'],
    // Capital V: not a policy prefix, but PEP 440 itself allows a leading v/V, so the
    // '' prefix sees a valid, non-canonical spelling and suggests the `v` tag.
    ['V1.0', 'rejected:v1.0'],
    ['vv1.0', 'rejected:v1.0'],
    ['v-v1.0', 'rejected:v1.0'],
    ['v1.2.3.x', 'rejected'],
    ['v1.0-foo', 'rejected'],
    ['v2024-docs', 'rejected'],
    ['1.0+', 'rejected'],
    ['v1.0+-x', 'rejected'],
    ['latest', 'not-a-release'],
    ['docs', 'not-a-release'],
    ['docs-2024', 'not-a-release'],
    ['release-notes', 'not-a-release'],
    ['v', 'not-a-release'],
    ['v-', 'not-a-release'],
    ['vnext', 'not-a-release'],
    ['v-beta', 'not-a-release'],
    ['nightly', 'not-a-release'],
    ['release/1.0', 'not-a-release'],
    ['HEAD', 'not-a-release'],
  ])('%j -> %s', (tag, expected) => {
    expect(short(classifyTag(tag))).toBe(expected);
    expect(short(classifyTag(tag, DEFAULT_TAG_POLICY))).toBe(expected);
  });

  it('explains a non-canonical spelling and how to fix it', () => {
    expect(classifyTag('v1.0-rc1')).toEqual({
      kind: 'rejected',
      tag: 'v1.0-rc1',
      reason: '`1.0-rc1` is not canonical: the canonical spelling is `1.0rc1`',
      fix: 'v1.0rc1',
    });
  });

  it('returns the parsed version with the release', () => {
    const verdict = classifyTag('v-1.2.3rc4.post5.dev6+abc.7');
    expect(verdict.kind).toBe('release');
    if (verdict.kind !== 'release') return;
    expect(verdict.version).toEqual({
      epoch: '0', release: ['1', '2', '3'], pre: { label: 'rc', number: '4' }, post: '5', dev: '6', local: ['abc', '7'],
    });
    expect(formatVersion(verdict.version)).toBe(verdict.normalized);
  });
});

// Every prefix list under both modes: [tag, strict verdict, lenient verdict].
const policyTables: Array<[string, readonly string[], Array<[string, string, string]>]> = [
  ['default prefixes', ['v', 'v-', ''], [
    ['v1.0', 'release:v:1.0', 'release:v:1.0'],
    ['v-1.0', 'release:v-:1.0', 'release:v-:1.0'],
    ['1.0', 'release::1.0', 'release::1.0'],
    ['v1.0-rc1', 'rejected:v1.0rc1', 'release:v:1.0rc1'],
    ['v-1.0.0-beta.1', 'rejected:v-1.0.0b1', 'release:v-:1.0.0b1'],
    ['01.00', 'rejected:1.0', 'release::1.0'],
    ['V1.0', 'rejected:v1.0', 'release::1.0'],
    ['vv1.0', 'rejected:v1.0', 'release:v:1.0'],
    ['v1.0+Ubuntu-1', 'rejected:v1.0+ubuntu.1', 'release:v:1.0+ubuntu.1'],
    ['v1.2.3.x', 'rejected', 'rejected'],
    ['latest', 'not-a-release', 'not-a-release'],
  ]],
  ['prefix order does not matter', ['', 'v-', 'v'], [
    ['v-1.0', 'release:v-:1.0', 'release:v-:1.0'],
    ['v1.0', 'release:v:1.0', 'release:v:1.0'],
    ['1.0', 'release::1.0', 'release::1.0'],
  ]],
  ['only v', ['v'], [
    ['v1.0', 'release:v:1.0', 'release:v:1.0'],
    ['v1.0.0-rc.1', 'rejected:v1.0.0rc1', 'release:v:1.0.0rc1'],
    // A bare version when a prefix is required: a release attempt with the wrong name.
    ['1.0', 'rejected:v1.0', 'rejected:v1.0'],
    ['1.0-rc1', 'rejected:v1.0rc1', 'rejected:v1.0rc1'],
    ['V1.0', 'rejected:v1.0', 'rejected:v1.0'],
    ['v-1.0', 'not-a-release', 'not-a-release'],
    ['latest', 'not-a-release', 'not-a-release'],
    ['2024-docs', 'not-a-release', 'not-a-release'],
  ]],
  ['only the empty prefix', [''], [
    ['1.0', 'release::1.0', 'release::1.0'],
    ['v1.0', 'rejected:1.0', 'release::1.0'],
    ['1.0-post1', 'rejected:1.0.post1', 'release::1.0.post1'],
    ['docs', 'not-a-release', 'not-a-release'],
  ]],
  ['monorepo prefix', ['pkg-v'], [
    ['pkg-v1.0', 'release:pkg-v:1.0', 'release:pkg-v:1.0'],
    ['pkg-v1.0-a1', 'rejected:pkg-v1.0a1', 'release:pkg-v:1.0a1'],
    ['other-v1.0', 'not-a-release', 'not-a-release'],
    ['v1.0', 'rejected:pkg-v1.0', 'rejected:pkg-v1.0'],
    ['pkg-vnext', 'not-a-release', 'not-a-release'],
  ]],
  ['prefix with a slash', ['release/'], [
    ['release/1.0', 'release:release/:1.0', 'release:release/:1.0'],
    ['release/1.0.0-1', 'rejected:release/1.0.0.post1', 'release:release/:1.0.0.post1'],
    ['release/notes', 'not-a-release', 'not-a-release'],
  ]],
  ['no prefixes at all', [], [
    ['1.0', 'not-a-release', 'not-a-release'],
    ['v1.0', 'not-a-release', 'not-a-release'],
  ]],
];

describe.each(policyTables)('classifyTag with %s', (_label, prefixes, rows) => {
  it.each(rows)('%j: strict %s, lenient %s', (tag, strict, lenient) => {
    const strictPolicy: TagPolicy = { prefixes, mode: 'strict' };
    const lenientPolicy: TagPolicy = { prefixes, mode: 'lenient' };
    expect(short(classifyTag(tag, strictPolicy))).toBe(strict);
    expect(short(classifyTag(tag, lenientPolicy))).toBe(lenient);
  });
});

describe('tagForVersion', () => {
  it.each<[string, string | undefined, string]>([
    ['1.0', undefined, 'v1.0'],
    ['1.0', 'v', 'v1.0'],
    ['1.0', 'v-', 'v-1.0'],
    ['1.0', '', '1.0'],
    ['2.0.0rc1+local.7', 'pkg-v', 'pkg-v2.0.0rc1+local.7'],
  ])('(%j, %j) -> %j', (version, prefix, tag) => {
    expect(prefix === undefined ? tagForVersion(version) : tagForVersion(version, prefix)).toBe(tag);
  });

  it.each(['1.0', '0.0.1', '2024.1.15', '1.0a1', '1.0.post2.dev3', '3.2.1rc4+gabc1234.dirty', '10.20.30b0'])(
    'round-trips %j through classifyTag under every default prefix',
    (version) => {
      for (const prefix of DEFAULT_TAG_POLICY.prefixes) {
        expect(short(classifyTag(tagForVersion(version, prefix)))).toBe(`release:${prefix}:${version}`);
      }
    },
  );
});

describe('versionFromCommitMessage', () => {
  it.each<[string, string, string | null, string | null]>([
    ['version with text', '1.2.3rc1 Release candidate', '1.2.3rc1', '1.2.3rc1'],
    ['v and colon', 'v2.0.0: big', '2.0.0', 'v2.0.0'],
    ['alone', '1.2.3', '1.2.3', '1.2.3'],
    ['two components', '1.2 is out', '1.2', '1.2'],
    ['calendar version', '2024.01.15 snapshot', '2024.1.15', '2024.01.15'],
    ['non-canonical spelling', '1.0-rc1 tidy up', '1.0rc1', '1.0-rc1'],
    ['semver style pre-release', '1.0.0-beta.2 (#45)', '1.0.0b2', '1.0.0-beta.2'],
    ['post release', '1.2.3-1 rebuild', '1.2.3.post1', '1.2.3-1'],
    ['local version', '1.0+deb.1 packaging', '1.0+deb.1', '1.0+deb.1'],
    ['epoch', '1!2.0 new scheme', '1!2.0', '1!2.0'],
    ['capital V', 'V3.1 big', '3.1', 'V3.1'],
    ['comma', '1.2.3, finally', '1.2.3', '1.2.3'],
    ['semicolon', '1.2.3; see notes', '1.2.3', '1.2.3'],
    ['closing paren', '1.2.3) oops', '1.2.3', '1.2.3'],
    ['tab separator', '1.2.3\tnotes', '1.2.3', '1.2.3'],
    ['surrounding whitespace', '   1.4.0   ', '1.4.0', '1.4.0'],
    ['body ignored', '1.5.0\n\nBump version to 9.9.9', '1.5.0', '1.5.0'],
    ['CRLF', '1.6.0\r\nbody', '1.6.0', '1.6.0'],
    ['leading blank lines skipped', '\n\n1.7.0 late', '1.7.0', '1.7.0'],
    ['bump message', 'Bump version to 1.2', null, null],
    ['merge', "Merge branch 'release/1.2.3'", null, null],
    ['release word first', 'Release 1.2.3', null, null],
    ['wildcard docs', '1.2.x docs', null, null],
    ['bare year', '2024 recap', null, null],
    ['bare small integer', '3 fixes for the parser', null, null],
    ['bare integer post', '2024-01 report', null, null],
    ['trailing period', '1.2.3. Done', null, null],
    ['percent', '100% coverage', null, null],
    ['version only in body', 'Update docs\n\n1.2.3', null, null],
    ['v alone', 'v docs', null, null],
    ['fullwidth digit', '\uFF11.2.3 release', null, null],
    ['version glued to a word', '1.2.3release', null, null],
    ['empty', '', null, null],
    ['blank', '   \n  ', null, null],
  ])('%s: %j', (_label, message, normalized, spelled) => {
    const result = versionFromCommitMessage(message);
    if (normalized === null) {
      expect(result).toBeNull();
      return;
    }
    expect(result).not.toBeNull();
    expect(result?.normalized).toBe(normalized);
    expect(result?.spelled).toBe(spelled);
    if (result !== null) expect(formatVersion(result.version)).toBe(normalized);
  });
});
