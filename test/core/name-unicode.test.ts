// Every code point against CPython's str.lower() and re `\w`
// (test/fixtures/names/unicode.json, written by scripts/fixtures/names.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PY_WORD_CLASS, compareCodePoints, pythonLower } from '../../src/core/name-unicode.js';

interface UnicodeTable {
  python: string;
  unidata_version: string;
  lower: Record<string, string>;
  word: [number, number][];
  unassigned: [number, number][];
}

const table = JSON.parse(
  readFileSync(new URL('../fixtures/names/unicode.json', import.meta.url), 'utf8'),
) as UnicodeTable;

function inRanges(ranges: readonly [number, number][]): (cp: number) => boolean {
  const set = new Set<number>();
  for (const [a, b] of ranges) for (let cp = a; cp <= b; cp++) set.add(cp);
  return (cp) => set.has(cp);
}

const unassigned = inRanges(table.unassigned);
const pyWord = inRanges(table.word);
const word = new RegExp(`^[${PY_WORD_CLASS}]$`, 'u');

// Code points unassigned in Python's Unicode database (but perhaps known to V8's newer
// ICU) are the only ones allowed to differ.
describe(`every code point against CPython ${table.python} (Unicode ${table.unidata_version})`, () => {
  it('lowercases like str.lower() wherever Python knows the character', () => {
    const diffs: string[] = [];
    let newer = 0;
    for (let cp = 0; cp < 0x110000; cp++) {
      const c = String.fromCodePoint(cp);
      const want = table.lower[String(cp)] ?? c;
      if (pythonLower(c) === want) continue;
      if (unassigned(cp)) newer++;
      else diffs.push(cp.toString(16));
    }
    expect(diffs).toEqual([]);
    // Recorded so that a Node upgrade that changes the picture shows up here.
    expect(newer).toBeLessThan(200);
  });

  it('matches re `\\w` wherever Python knows the character', () => {
    const diffs: string[] = [];
    for (let cp = 0; cp < 0x110000; cp++) {
      if (unassigned(cp)) continue;
      if (word.test(String.fromCodePoint(cp)) !== pyWord(cp)) diffs.push(cp.toString(16));
    }
    expect(diffs).toEqual([]);
  });
});

describe('compareCodePoints', () => {
  it.each([
    ['a', 'b', -1],
    ['b', 'a', 1],
    ['a', 'a', 0],
    ['a', 'ab', -1],
    ['', 'a', -1],
    // U+FF21 sorts before U+1D400 by code point, after its lead surrogate by UTF-16 unit.
    ['\uff21', '\u{1d400}', -1],
    ['\u{1d400}', '\uff21', 1],
    // A lone surrogate is the code point itself, as in Python.
    ['\ud800', '\ue000', -1],
    ['\ud800', '\u{10000}', -1],
    ['\u{10000}', '\u{10001}', -1],
  ] as const)('%j vs %j -> %i', (a, b, want) => {
    expect(compareCodePoints(a, b)).toBe(want);
  });
});
