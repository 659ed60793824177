import { describe, expect, it } from 'vitest';

// bench/ is plain JS without type declarations: load it by URL and state the shape we use.
interface TagToUpload {
  summarize(values: readonly number[]): { median: number; min: number; max: number };
}
const bench = (await import(new URL('../../bench/tag-to-upload.js', import.meta.url).href)) as TagToUpload;

describe('summarize', () => {
  it.each([
    { values: [5], expected: { median: 5, min: 5, max: 5 } },
    { values: [90, 30, 60, 40, 70], expected: { median: 60, min: 30, max: 90 } },
    { values: [4, 1, 3, 2], expected: { median: 2.5, min: 1, max: 4 } },
  ])('$values', ({ values, expected }) => {
    expect(bench.summarize(values)).toEqual(expected);
  });
});
