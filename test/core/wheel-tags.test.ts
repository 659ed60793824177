import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatWheelTag, parseWheelTag } from '../../src/core/wheel-tags.js';
import { compareCodePoints } from '../../src/core/name-unicode.js';

interface TagRow {
  input: string;
  validate_order: boolean;
  ok: boolean;
  tags?: string[];
  error?: 'UnsortedTagsError' | 'ValueError';
}

const rows = readFileSync(new URL('../fixtures/names/tags.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as TagRow);

// Python's sorted(): code point order.
const pySorted = (xs: readonly string[]): string[] => [...xs].sort(compareCodePoints);

describe('parseWheelTag', () => {
  it.each([
    ['py3-none-any', ['py3-none-any']],
    ['py2.py3-none-any', ['py2-none-any', 'py3-none-any']],
    ['PY3-None-ANY', ['py3-none-any']],
    ['py3-none-', ['py3-none-']],
    ['py3.py3-none-any', ['py3-none-any']],
    ['cp39-abi3.none-a.b', ['cp39-abi3-a', 'cp39-abi3-b', 'cp39-none-a', 'cp39-none-b']],
    ['py3-none-\u0130', ['py3-none-i\u0307']],
  ])('%j', (input, want) => {
    const r = parseWheelTag(input);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.tags.map(formatWheelTag).sort()).toEqual(want);
  });

  it.each([
    ['py3.py2-none-any', 'order'],
    ['py3-none-b.a', 'order'],
    ['py3-none-\u{1d400}.\uff21', 'order'], // code point order, not UTF-16 order
    ['py3-none', 'parts'],
    ['a-b-c-d', 'parts'],
  ] as const)('%j with validateOrder fails: %s', (input, code) => {
    const r = parseWheelTag(input, { validateOrder: true });
    expect(r.ok ? null : r.code).toBe(code);
    if (!r.ok) expect(r.reason.length).toBeGreaterThan(10);
  });

  it('accepts unsorted components when validateOrder is off', () => {
    expect(parseWheelTag('py3.py2-none-any').ok).toBe(true);
    expect(parseWheelTag('py3-none-\uff21.\u{1d400}', { validateOrder: true }).ok).toBe(true);
  });
});

describe('differential against packaging.tags.parse_tag', () => {
  it('has the fixture', () => {
    expect(rows.length).toBeGreaterThan(2000);
  });
  it.each(rows.map((r) => [r.input, r.validate_order, r] as const))('%j validate_order=%s', (input, vo, row) => {
    const r = parseWheelTag(input, { validateOrder: vo });
    if (row.ok) {
      expect(r.ok).toBe(true);
      if (r.ok) {
        const got = r.tags.map(formatWheelTag);
        expect(new Set(got).size).toBe(got.length);
        expect(pySorted(got)).toEqual(row.tags);
      }
    } else {
      expect(r.ok ? null : r.code).toBe(row.error === 'UnsortedTagsError' ? 'order' : 'parts');
    }
  });
});
