import { describe, expect, it } from 'vitest';
import {
  canonicalizeVersion,
  compareVersions,
  normalizeVersion,
  parseVersion,
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
