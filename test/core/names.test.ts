import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  canonicalizeName,
  canonicalizeValidName,
  distFilenameName,
  isNormalizedName,
  isValidProjectName,
} from '../../src/core/names.js';

interface NameRow {
  input: string;
  canonical: string;
  valid: boolean;
  normalized: boolean;
}

const rows = readFileSync(new URL('../fixtures/names/names.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as NameRow);

describe('canonicalizeName', () => {
  it.each([
    ['Django', 'django'],
    ['oslo.concurrency', 'oslo-concurrency'],
    ['A__b', 'a-b'],
    ['a-_-b', 'a-b'],
    ['_a_', '-a-'],
    ['..', '-'],
    ['', ''],
    ['123', '123'],
    ['Foo.Bar', 'foo-bar'],
    ['\u00c9t\u00e9', '\u00e9t\u00e9'],
    ['Stra\u00dfe', 'stra\u00dfe'],
    ['\u0130', 'i\u0307'], // full lowercasing: one code point becomes two
    ['\u212a', 'k'], // KELVIN SIGN lowercases to ASCII k
    ['\u039f\u03a3', '\u03bf\u03c2'], // final sigma
    ['\u039f\u03a3.\u039f', '\u03bf\u03c3-\u03bf'], // "." is case-ignorable: not final
    ['\u039f\u03a3_\u039f', '\u03bf\u03c2-\u03bf'], // "_" is not case-ignorable: final
    ['a b', 'a b'],
  ])('%j -> %j', (input, want) => {
    expect(canonicalizeName(input)).toBe(want);
  });
});

describe('isValidProjectName / canonicalizeValidName', () => {
  it.each([
    ['Django', true],
    ['a', true],
    ['9', true],
    ['a.b-c_d', true],
    ['A__b', true],
    ['', false],
    ['-a', false],
    ['a-', false],
    ['a b', false],
    ['caf\u00e9', false],
    ['\u212a', false], // would match [a-z] under Unicode case folding; packaging uses re.ASCII
    ['\u017f', false],
    ['a\n', false], // fullmatch: no trailing-newline leniency
  ])('%j -> %s', (input, want) => {
    expect(isValidProjectName(input)).toBe(want);
    const r = canonicalizeValidName(input);
    expect(r.ok).toBe(want);
    if (r.ok) expect(r.name).toBe(canonicalizeName(input));
    else expect(r.reason).toContain('name is invalid');
  });
});

describe('isNormalizedName', () => {
  it.each([
    ['requests', true],
    ['django', true],
    ['a-b', true],
    ['a', true],
    ['a--b', true], // packaging 26.2 quirk, fixed upstream in pypa/packaging#1230
    ['1--1', true],
    ['ab--c', false],
    ['a---b', false],
    ['Django', false],
    ['a_b', false],
    ['a.b', false],
    ['-a', false],
    ['a-', false],
    ['', false],
  ])('%j -> %s', (input, want) => {
    expect(isNormalizedName(input)).toBe(want);
  });
});

describe('distFilenameName', () => {
  it.each([
    ['oslo.concurrency', 'oslo_concurrency'],
    ['Typing-Extensions', 'typing_extensions'],
    ['zope.interface', 'zope_interface'],
    ['a-_-b', 'a_b'],
  ])('%j -> %j', (input, want) => {
    expect(distFilenameName(input)).toBe(want);
  });
});

describe('differential against packaging.utils', () => {
  it('has the fixture', () => {
    expect(rows.length).toBeGreaterThan(2000);
  });
  it.each(rows.map((r) => [r.input, r] as const))('%j', (input, row) => {
    expect({
      canonical: canonicalizeName(input),
      valid: isValidProjectName(input),
      normalized: isNormalizedName(input),
    }).toEqual({ canonical: row.canonical, valid: row.valid, normalized: row.normalized });
  });
});
