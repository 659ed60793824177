import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSdistFilename, parseWheelFilename } from '../../src/core/dist-filenames.js';
import type { WheelFilenameError } from '../../src/core/dist-filenames.js';
import { formatVersion } from '../../src/core/pep440.js';
import { compareCodePoints } from '../../src/core/name-unicode.js';
import { formatWheelTag } from '../../src/core/wheel-tags.js';

interface WheelRow {
  input: string;
  validate_order: boolean;
  ok: boolean;
  name?: string;
  version?: string;
  build?: [string, string] | null;
  tags?: string[];
  error?: 'InvalidWheelFilename' | 'ValueError';
}
interface SdistRow {
  input: string;
  ok: boolean;
  name?: string;
  version?: string;
  error?: string;
}

const readJsonl = <T>(name: string): T[] =>
  readFileSync(new URL(`../fixtures/names/${name}`, import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);

const wheelRows = readJsonl<WheelRow>('wheels.jsonl');
const sdistRows = readJsonl<SdistRow>('sdists.jsonl');

describe('parseWheelFilename accepts', () => {
  it.each([
    [
      'numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      'numpy', '2.1.0', null,
      ['cp312-cp312-manylinux2014_x86_64', 'cp312-cp312-manylinux_2_17_x86_64'],
    ],
    ['foo-1.0-1-py3-none-any.whl', 'foo', '1.0', ['1', ''], ['py3-none-any']],
    ['foo-1.0-1a-py3-none-any.whl', 'foo', '1.0', ['1', 'a'], ['py3-none-any']],
    ['foo-1.0-007abc-py3-none-any.whl', 'foo', '1.0', ['7', 'abc'], ['py3-none-any']],
    ['foo-1.0-1\nx-py3-none-any.whl', 'foo', '1.0', ['1', ''], ['py3-none-any']], // `.` stops at \n
    ['foo-1.0-1\rx-py3-none-any.whl', 'foo', '1.0', ['1', '\rx'], ['py3-none-any']], // but not at \r
    ['Foo.Bar-1.0-py3-none-any.whl', 'foo-bar', '1.0', null, ['py3-none-any']],
    ['caf\u00e9-1.0-py3-none-any.whl', 'caf\u00e9', '1.0', null, ['py3-none-any']],
    ['foo\n-1.0-py3-none-any.whl', 'foo\n', '1.0', null, ['py3-none-any']], // Python `$` before a final \n
    ['torch-2.1.0+cu121-cp311-cp311-linux_x86_64.whl', 'torch', '2.1.0+cu121', null, ['cp311-cp311-linux_x86_64']],
    ['foo-1.0-py3.py2-none-any.whl', 'foo', '1.0', null, ['py2-none-any', 'py3-none-any']],
  ])('%j', (input, name, version, build, tags) => {
    const r = parseWheelFilename(input);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.name).toBe(name);
    expect(formatVersion(r.version)).toBe(version);
    expect(r.build === null ? null : [r.build.number, r.build.tag]).toEqual(build);
    expect(r.tags.map(formatWheelTag).sort()).toEqual(tags);
  });
});

describe('parseWheelFilename refuses', () => {
  it.each([
    ['foo-1.0-py3-none-any', 'extension'],
    ['foo-1.0-py3-none-any.WHL', 'extension'],
    ['foo-1.0-none-any.whl', 'parts'],
    ['foo-1.0-1-2-py3-none-any.whl', 'parts'],
    ['foo__bar-1.0-py3-none-any.whl', 'name'],
    ['foo bar-1.0-py3-none-any.whl', 'name'],
    ['foo\n\n-1.0-py3-none-any.whl', 'name'],
    ['foo-not.a.version-py3-none-any.whl', 'version'],
    ['foo-1.0-a1-py3-none-any.whl', 'build'],
    ['foo-1.0--py3-none-any.whl', 'build'],
    ['foo-1.0-\u0661-py3-none-any.whl', 'build'], // re.ASCII: only 0-9 are digits
    [`foo-1.0-${'1'.repeat(4301)}-py3-none-any.whl`, 'build-number-size'],
  ] as const)('%j: %s', (input, code: WheelFilenameError) => {
    const r = parseWheelFilename(input);
    expect(r.ok ? null : r.code).toBe(code);
    if (!r.ok) expect(r.reason).toMatch(/[Ii]nvalid|[Bb]uild/);
  });

  it('refuses unsorted compressed tags only with validateOrder', () => {
    expect(parseWheelFilename('foo-1.0-py3.py2-none-any.whl').ok).toBe(true);
    const r = parseWheelFilename('foo-1.0-py3.py2-none-any.whl', { validateOrder: true });
    expect(r.ok ? null : r.code).toBe('tag-order');
  });
});

describe('parseSdistFilename', () => {
  it.each([
    ['Foo.Bar-1.0.tar.gz', 'foo-bar', '1.0'],
    ['foo_bar-1.0.zip', 'foo-bar', '1.0'],
    ['foo-bar-1.0.tar.gz', 'foo-bar', '1.0'],
    ['-1.0.tar.gz', '', '1.0'], // packaging does not check the name at all
    ['foo- 1.0.tar.gz', 'foo', '1.0'],
    ['caf\u00e9-1.0.tar.gz', 'caf\u00e9', '1.0'],
    ['foo-1.0+Local.01.tar.gz', 'foo', '1.0+local.1'],
    ['foo-v1.0.tar.gz', 'foo', '1.0'], // PEP 440 allows a leading "v"
    ['foo-1.0-1.tar.gz', 'foo-1-0', '1'], // split on the last dash, whatever the name becomes
  ])('%j -> %j %j', (input, name, version) => {
    const r = parseSdistFilename(input);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.name).toBe(name);
      expect(formatVersion(r.version)).toBe(version);
    }
  });

  it.each([
    ['foo-1.0.tar.bz2', 'extension'],
    ['foo-1.0.tgz', 'extension'],
    ['foo-1.0', 'extension'],
    ['foo-1.0.TAR.GZ', 'extension'],
    ['foo1.0.tar.gz', 'parts'],
    ['foo-1..0.tar.gz', 'version'],
    ['foo-.tar.gz', 'version'],
  ] as const)('%j refused: %s', (input, code) => {
    const r = parseSdistFilename(input);
    expect(r.ok ? null : r.code).toBe(code);
  });
});

describe('differential against packaging.utils.parse_wheel_filename', () => {
  it('has the fixture', () => {
    expect(wheelRows.length).toBeGreaterThan(5000);
  });
  it.each(wheelRows.map((r) => [r.input.slice(0, 120), r.validate_order, r] as const))(
    '%j validate_order=%s',
    (_label, vo, row) => {
      const r = parseWheelFilename(row.input, { validateOrder: vo });
      if (!row.ok) {
        expect(r.ok ? 'accepted' : r.code === 'build-number-size' ? 'ValueError' : 'InvalidWheelFilename').toBe(row.error);
        return;
      }
      expect(r.ok ? null : r.reason).toBeNull();
      if (!r.ok) return;
      expect({
        name: r.name,
        version: formatVersion(r.version),
        build: r.build === null ? null : [r.build.number, r.build.tag],
        tags: r.tags.map(formatWheelTag).sort(compareCodePoints),
      }).toEqual({ name: row.name, version: row.version, build: row.build, tags: row.tags });
    },
  );
});

describe('differential against packaging.utils.parse_sdist_filename', () => {
  it('has the fixture', () => {
    expect(sdistRows.length).toBeGreaterThan(1500);
  });
  it.each(sdistRows.map((r) => [r.input, r] as const))('%j', (input, row) => {
    const r = parseSdistFilename(input);
    if (!row.ok) {
      expect(r.ok ? 'accepted' : 'InvalidSdistFilename').toBe(row.error);
      return;
    }
    expect(r.ok ? { name: r.name, version: formatVersion(r.version) } : r.reason).toEqual({
      name: row.name,
      version: row.version,
    });
  });
});
