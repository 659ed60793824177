// setup.cfg as setuptools reads it (configparser): metadata name and version, the
// `attr:`/`file:` directives, and `[options] package_dir`, which the layout reader follows.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIni, readSetupCfg } from '../../src/core/setup-cfg.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/pyproject/${name}`, import.meta.url), 'utf8');

describe('setup.cfg reading (configparser semantics)', () => {
  it.each<[string, string, string | null, string | null, number]>([
    ['spaces around =', '[metadata]\nname = a\nversion = 1.0\n', 'a', '1.0', 0],
    ['no spaces', '[metadata]\nname=a\nversion=1.0', 'a', '1.0', 0],
    ['colon delimiter', '[metadata]\nname: a\nversion: 1.0', 'a', '1.0', 0],
    ['keys are case-insensitive', '[metadata]\nNAME = a\nVersion = 1.0', 'a', '1.0', 0],
    ['CRLF and BOM', '\uFEFF[metadata]\r\nname = a\r\nversion = 1.0\r\n', 'a', '1.0', 0],
    ['comments are skipped', '# top\n[metadata]\n; note\nname = a\n  # indented comment\nversion = 1.0', 'a', '1.0', 0],
    ['inline # is part of the value', '[metadata]\nname = a\nversion = 1.0 # not a comment', 'a', '1.0 # not a comment', 0],
    ['last duplicate wins', '[metadata]\nversion = 1.0\nversion = 2.0', null, '2.0', 0],
    ['section names are case-sensitive', '[Metadata]\nname = a', null, null, 0],
    ['option before any section', 'name = a\n[metadata]\nversion = 1', null, '1', 1],
    ['garbage line', '[metadata]\n!!!\nversion = 1', null, '1', 1],
    ['empty value is absent', '[metadata]\nversion =', null, null, 0],
    ['indented option lines are options', '[metadata]\n  name = a\n  version = 1.0', 'a', '1.0', 0],
    ['deeper indent continues the value', '[metadata]\n  name = a\n    version = 1.0', 'a\nversion = 1.0', null, 0],
  ])('%s', (_label, text, name, version, problemCount) => {
    const facts = readSetupCfg(text);
    expect(facts.name).toBe(name);
    expect(facts.version).toEqual(version === null ? { kind: 'missing' } : { kind: 'static', version });
    expect(facts.problems).toHaveLength(problemCount);
  });

  it.each<[string, string, 'attr' | 'file', string]>([
    ['attr', 'version = attr: pkg.__version__', 'attr', 'pkg.__version__'],
    ['attr without space', 'version = attr:pkg.VERSION', 'attr', 'pkg.VERSION'],
    ['file', 'version = file: VERSION.txt', 'file', 'VERSION.txt'],
  ])('version directive %s', (_label, line, provider, detail) => {
    expect(readSetupCfg(`[metadata]\n${line}`).version).toEqual({ kind: 'dynamic', provider, detail });
  });

  it('joins continuation lines, across blank lines, as configparser does', () => {
    const { sections } = parseIni(fixture('setup-static.cfg'));
    expect(sections.get('options')?.get('install_requires')).toBe('requests>=2.0\nsix');
    expect(sections.get('metadata')?.get('classifiers')).toBe(
      'Programming Language :: Python :: 3\nLicense :: OSI Approved :: MIT License',
    );
  });

  it('reports the line of a bad line', () => {
    expect(parseIni('[a]\nx = 1\n???').problems).toEqual([
      { line: 3, message: 'line 3 is neither a [section], an option nor a comment' },
    ]);
  });
});

describe('setup.cfg package_dir', () => {
  it.each<[string, string, Array<[string, string]>]>([
    ['the src layout, on its own line', '[options]\npackage_dir =\n    =src\n', [['', 'src']]],
    ['on one line', '[options]\npackage_dir = =lib', [['', 'lib']]],
    ['per package', '[options]\npackage_dir =\n    pkg = lib/pkg\n    other = src/other\n', [['pkg', 'lib/pkg'], ['other', 'src/other']]],
    ['absent', '[options]\npackages = find:', []],
  ])('%s', (_label, text, expected) => {
    expect([...readSetupCfg(text).packageDir]).toEqual(expected);
  });
});
