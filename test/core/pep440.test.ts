import { describe, expect, it } from 'vitest';
import {
  MAX_INT_DIGITS,
  baseVersion,
  canonicalizeVersion,
  compareDigitStrings,
  compareVersions,
  formatVersion,
  hasLocal,
  isDevrelease,
  isPostrelease,
  isPrerelease,
  isPythonSpace,
  isValidVersion,
  normalizeVersion,
  parseVersion,
  publicVersion,
} from '../../src/core/pep440.js';
import type { Version } from '../../src/core/pep440.js';

const parsed = (s: string): Version => {
  const v = parseVersion(s);
  if (v === null) throw new Error(`fixture ${JSON.stringify(s)} should be valid`);
  return v;
};

describe('normalizeVersion (hand-checked against packaging 26.2)', () => {
  it.each([
    ['1.0', '1.0'],
    [' v1.0-5 ', '1.0.post5'],
    ['1!2.0RC1-r.dev+AbC_01', '1!2.0rc1.post0.dev0+abc.1'],
    ['0.4.1.dev202204251650943961', '0.4.1.dev202204251650943961'],
    ['1.0.dev-1', '1.0.dev1'],
    ['00!01.02', '1.2'],
    ['1.0\u001c', '1.0'],
    ['1..0', null],
    ['1.0+', null],
    ['\ufeff1.0', null],
  ])('%j -> %j', (input, expected) => {
    expect(normalizeVersion(input)).toBe(expected);
  });
});

describe('canonicalizeVersion', () => {
  it.each([
    ['1.0.0', true, '1'],
    ['1.0.0', false, '1.0.0'],
    ['0.0', true, '0'],
    ['foo bar', true, 'foo bar'],
  ])('%j strip=%j -> %j', (input, strip, expected) => {
    expect(canonicalizeVersion(input, strip)).toBe(expected);
  });
});

describe('compareVersions', () => {
  it.each([
    ['1.0', '1.0.0', 0],
    ['1.0.dev1', '1.0a1', -1],
    ['1.0+a', '1.0+1', -1],
    ['1.0', '1.0+0', -1],
    ['1.0.post1.dev1', '1.0.post1', -1],
  ])('%s vs %s -> %i', (a, b, expected) => {
    expect(compareVersions(parsed(a), parsed(b))).toBe(expected);
    expect(compareVersions(parsed(b), parsed(a))).toBe(-expected || 0);
  });
});

describe('compareDigitStrings', () => {
  it.each([
    ['0', '0', 0],
    ['9', '10', -1],
    ['202204251650943961', '202204251650943962', -1],
    ['9007199254740993', '9007199254740992', 1],
    ['007', '7', 0], // tolerated although parsed versions never hold leading zeros
    ['010', '9', 1],
    ['000', '0', 0],
  ])('%s vs %s -> %i', (a, b, expected) => {
    expect(compareDigitStrings(a, b)).toBe(expected);
    expect(compareDigitStrings(b, a)).toBe(-expected || 0);
  });
});

describe('parsed shape', () => {
  it('keeps digit strings exact and canonical', () => {
    expect(parseVersion(' V01!002.0030rc004.post05.dev006+Ab.007-c_0x ')).toEqual({
      epoch: '1',
      release: ['2', '30'],
      pre: { label: 'rc', number: '4' },
      post: '5',
      dev: '6',
      local: ['ab', '7', 'c', '0x'],
    });
  });

  it.each(['1.0', '1!2.3a4.post5.dev6+x.7', '0.4.1.dev202204251650943961'])(
    'formatVersion(parseVersion(%j)) round-trips', (s) => {
      expect(formatVersion(parsed(s))).toBe(s);
      expect(canonicalizeVersion(parsed(s), false)).toBe(s);
    },
  );

  it.each([
    ['1.0.0a1+x', '1.0.0a1', '1.0.0', true, false, false, true],
    ['2!1.0.post1.dev0', '2!1.0.post1.dev0', '2!1.0', true, true, true, false],
    ['1.0', '1.0', '1.0', false, false, false, false],
  ])('%s: public %s, base %s, pre %s, post %s, dev %s, local %s', (s, pub, base, pre, post, dev, local) => {
    const v = parsed(s);
    expect([publicVersion(v), baseVersion(v)]).toEqual([pub, base]);
    expect([isPrerelease(v), isPostrelease(v), isDevrelease(v), hasLocal(v)]).toEqual([pre, post, dev, local]);
    expect(isValidVersion(s)).toBe(true);
  });
});

describe('MAX_INT_DIGITS mirrors CPython int() limit', () => {
  it.each([
    ['1'.repeat(MAX_INT_DIGITS), true],
    ['1'.repeat(MAX_INT_DIGITS + 1), false],
    [`1.0+a${'1'.repeat(MAX_INT_DIGITS + 1)}`, true], // a string local part is not an int
  ])('%#', (s, valid) => {
    expect(isValidVersion(s)).toBe(valid);
  });
});

describe('isPythonSpace differs from JS \\s exactly where Python does', () => {
  it.each([
    [0x1c, true], [0x1f, true], [0x85, true], [0x2028, true], [0x3000, true], [0x20, true],
    [0xfeff, false], [0x180e, false], [0x200b, false], [0x00, false], [0x1b, false],
  ])('code point %i -> %s', (c, expected) => {
    expect(isPythonSpace(c)).toBe(expected);
  });
});
