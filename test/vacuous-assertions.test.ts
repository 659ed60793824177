import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findVacuousAssertions } from './helpers/vacuous-assertions.js';

// House rule: a test must be able to fail. In vitest 4, toMatchObject({ message: /x/ })
// matches any message (a RegExp is compared as an object with no keys), and a floating
// `.rejects` is only auto-awaited, with a warning, until the next major.

const testDir = new URL('.', import.meta.url).pathname;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const kinds = (source: string): string[] => findVacuousAssertions(source).map((v) => `${v.line}:${v.kind}`);

describe('findVacuousAssertions (the scanner can fail)', () => {
  it('finds a bare RegExp inside the expected object of toMatchObject, also across lines and nested', () => {
    expect(kinds(`
      await expect(run()).rejects.toMatchObject({
        code: 'dist-invalid',
        message: /at most 10/,
      });
      expect(x).toMatchObject({ a: { b: [new RegExp('y')] } });
      expect(x).toMatchObject([/z/]);
    `)).toEqual(['4:regex-in-object', '6:regex-in-object', '7:regex-in-object']);
  });

  it('finds it in the equality matchers and asymmetric containers too', () => {
    expect(kinds(`
      expect(x).toEqual({ message: /a/ });
      expect(x).toStrictEqual([{ message: /a/ }]);
      expect(x).toHaveProperty('message', /a/);
      expect(x).toEqual(expect.objectContaining({ message: /a/ }));
      expect(f).toHaveBeenCalledWith({ url: /a/ } as never);
      expect(list).toContainEqual({ m: cond ? /a/ : 'b' });
    `)).toEqual(['2:regex-in-object', '3:regex-in-object', '4:regex-in-object', '5:regex-in-object', '6:regex-in-object', '7:regex-in-object']);
  });

  it('follows a name to the RegExp a table row or a const gives it', () => {
    expect(kinds(`
      it.each([
        ['a.whl', /2 METADATA files/],
        ['b.zip', 'unknown'],
      ])('%s', async (name, message) => {
        await expect(inspect(name)).rejects.toMatchObject({ code: 'dist-invalid', message });
      });
      it.for([{ file: 'a', want: /x/ }])('$file', ({ file, want: reason }) => {
        expect(run(file)).toMatchObject({ reason });
      });
      const pattern = /y/;
      for (const [input, why] of [['a', /z/]] as const) expect(check(input)).toEqual({ why, other: pattern });
      it.each([['a', 'b']])('%s', (input, message) => {
        expect(run(input)).toMatchObject({ message, text: expect.stringMatching(message) });
      });
    `)).toEqual(['6:regex-in-object', '9:regex-in-object', '12:regex-in-object', '12:regex-in-object']);
  });

  it('passes a RegExp given to a matcher that takes one, or wrapped in expect.stringMatching', () => {
    expect(kinds(`
      expect(text).toMatch(/a/);
      expect(() => f()).toThrow(/a/);
      await expect(p).rejects.toThrow(/a/);
      expect(x).toMatchObject({ message: expect.stringMatching(/a/), lines: [expect.stringMatching(/b/)] });
      expect(x).toEqual({ re: String(/a/) });
      expect(x).toHaveProperty(['a', 'b'], 'c');
    `)).toEqual([]);
  });

  it('finds {} in toMatchObject, which matches any value', () => {
    expect(kinds(`
      expect(res.json).toMatchObject({});
      expect(res).toMatchObject({ headers: {} });
      expect(res).toEqual({ headers: {} });
    `)).toEqual(['2:empty-object', '3:empty-object']);
  });

  it('finds floating .resolves / .rejects / expect.poll, and expect without a matcher call', () => {
    expect(kinds(`
      it('x', async () => {
        expect(p).rejects.toThrow('boom');
        void expect(p).resolves.toBe(1);
        expect.poll(() => n).toBe(1);
        items.forEach((p) => expect(p).resolves.toBe(1));
        expect(value);
        expect(value).toBeDefined;
        expect(value).not.toBeNull;
        await expect(p).rejects.toThrow('boom');
        await expect.poll(() => n).toBe(1);
        return expect(p).resolves.toBe(1);
      });
      it('y', () => expect(p).resolves.toBe(1));
    `)).toEqual(['3:floating', '4:floating', '5:floating', '6:floating', '7:no-matcher', '8:no-matcher', '9:no-matcher']);
  });

  it('reports the line and the text', () => {
    expect(findVacuousAssertions(`\n\nexpect(e).toMatchObject({ message: /zzz/ });\n`)).toEqual([
      { line: 3, kind: 'regex-in-object', text: 'toMatchObject(... /zzz/ ...)' },
    ]);
  });
});

describe('the test tree', () => {
  const files = tsFiles(testDir).map((path) => ({ rel: relative(testDir, path), path }));

  it('is scanned (the walk finds this file and the helpers)', () => {
    expect(files.map((f) => f.rel)).toEqual(expect.arrayContaining(['vacuous-assertions.test.ts', join('helpers', 'vacuous-assertions.ts'), join('publishing', 'inspect.test.ts')]));
  });

  it('has no assertion that cannot fail', () => {
    const found = files.flatMap(({ rel, path }) => findVacuousAssertions(readFileSync(path, 'utf8'), path).map((v) => `${rel}:${v.line}: ${v.kind}: ${v.text}`));
    expect(found).toEqual([]);
  });
});
