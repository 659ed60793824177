// Differential check against pypa/packaging: fixtures written by scripts/fixtures/pep440.py.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  baseVersion,
  canonicalizeVersion,
  compareVersions,
  formatVersion,
  isDevrelease,
  isPostrelease,
  isPrerelease,
  normalizeVersion,
  parseVersion,
  publicVersion,
  versionsEqual,
} from '../../src/core/pep440.js';
import type { Version } from '../../src/core/pep440.js';

type Expected =
  | 'InvalidVersion'
  | 'ValueError'
  | [string, string, string, string, string, number, string, string[], [string, string] | null,
     string | null, string | null, string[] | null];
type Row = [string, Expected, string?];

const dir = new URL('../fixtures/pep440/', import.meta.url);
const readJsonl = (name: string): unknown[] =>
  readFileSync(new URL(name, dir), 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l) as unknown);

const table = readJsonl('table.jsonl') as Row[];
const fuzz = ['fuzz-1.jsonl', 'fuzz-2.jsonl', 'fuzz-3.jsonl'].flatMap((f) => readJsonl(f) as Row[]);

// What we compute, in the fixture's shape; invalid and ValueError both map to null.
function actual(input: string): Expected | null {
  const v = parseVersion(input);
  if (v === null) return null;
  const flags = (isPrerelease(v) ? 1 : 0) + (isPostrelease(v) ? 2 : 0) + (isDevrelease(v) ? 4 : 0);
  return [
    formatVersion(v), publicVersion(v), baseVersion(v), canonicalizeVersion(input),
    canonicalizeVersion(input, false), flags, v.epoch, [...v.release],
    v.pre === null ? null : [v.pre.label, v.pre.number], v.post, v.dev,
    v.local === null ? null : [...v.local],
  ];
}

const want = (e: Expected): Expected | null => (typeof e === 'string' ? null : e);

describe('hand-picked table (PEP 440 rules and edge cases)', () => {
  // Titles spell out invisible and non-ASCII characters, so that failures are readable.
  const esc = (s: string): string =>
    JSON.stringify(s).replace(/[^\x21-\x7e ]/gu, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
  const show = (s: string): string => (s.length > 60 ? `${esc(s.slice(0, 24))}... (${s.length} chars)` : esc(s));
  it.each(table.map(([input, e, note]) => [note ?? '', show(input), input, e] as const))(
    '%s: %s',
    (_note, _shown, input, e) => {
      expect(actual(input)).toEqual(want(e));
      expect(normalizeVersion(input)).toBe(typeof e === 'string' ? null : e[0]);
      if (typeof e === 'string') {
        expect(normalizeVersion(input)).toBeNull();
        expect(canonicalizeVersion(input)).toBe(input); // invalid input comes back unaltered
      }
    },
  );
});

describe('fuzzed inputs', () => {
  it(`has a meaningful mix (${fuzz.length} inputs)`, () => {
    const valid = fuzz.filter(([, e]) => typeof e !== 'string').length;
    expect(fuzz.length).toBeGreaterThanOrEqual(30000);
    expect(valid).toBeGreaterThan(fuzz.length / 2);
    expect(valid).toBeLessThan(fuzz.length);
  });

  it('agrees with packaging on every input and property', () => {
    const wrong = fuzz.filter(
      ([input, e]) =>
        JSON.stringify(actual(input)) !== JSON.stringify(want(e)) ||
        normalizeVersion(input) !== (typeof e === 'string' ? null : e[0]),
    );
    expect(wrong.slice(0, 10).map(([input, e]) => ({ input, e, got: actual(input) }))).toEqual([]);
  });

  it('normalization is idempotent and round-trips through parse', () => {
    const bad = fuzz.flatMap(([input]) => {
      const n = normalizeVersion(input);
      if (n === null) return [];
      const again = parseVersion(n);
      const ok = again !== null && formatVersion(again) === n && versionsEqual(again, parseVersion(input) as Version);
      return ok ? [] : [input];
    });
    expect(bad).toEqual([]);
  });
});

describe('ordering', () => {
  const sort = JSON.parse(readFileSync(new URL('sort.json', dir), 'utf8')) as { sorted: [string, number][] };
  const items = sort.sorted.map(([s, rank]) => ({ s, rank, v: parseVersion(s) as Version }));

  it('every pair of the sort fixture compares as packaging orders them', () => {
    // All n^2 pairs: checks antisymmetry, and transitivity follows from agreeing with a total order.
    expect(items.length).toBeGreaterThan(2000);
    const bad: string[] = [];
    for (const a of items) {
      for (const b of items) {
        const c = compareVersions(a.v, b.v);
        if (c !== Math.sign(a.rank - b.rank) && bad.length < 10) bad.push(`${a.s} ? ${b.s} = ${c}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('sorting with compareVersions reproduces packaging order', () => {
    const shuffled = [...items].reverse();
    const ranks = shuffled.sort((a, b) => compareVersions(a.v, b.v)).map((x) => x.rank);
    expect(ranks).toEqual(items.map((x) => x.rank));
  });

  const pairs = readJsonl('pairs.jsonl') as [string, string, -1 | 0 | 1][];
  it.each(pairs.slice(0, 40))('%s vs %s -> %i', (a, b, c) => {
    const va = parseVersion(a) as Version;
    const vb = parseVersion(b) as Version;
    expect(compareVersions(va, vb)).toBe(c);
    expect(compareVersions(vb, va)).toBe(-c || 0);
    expect(versionsEqual(va, vb)).toBe(c === 0);
  });

  it(`agrees on all ${pairs.length} pairs`, () => {
    const bad = pairs.filter(([a, b, c]) => compareVersions(parseVersion(a) as Version, parseVersion(b) as Version) !== c);
    expect(bad.slice(0, 10)).toEqual([]);
  });
});
