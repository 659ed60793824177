import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkPep625SdistFilename,
  checkWheelFilenameForRelease,
  isPep625SdistFilename,
  sdistFilename,
  wheelFilenamePrefix,
} from '../../src/core/dist-filename-rules.js';
import { parseVersion } from '../../src/core/pep440.js';

interface Pep625Row {
  name: string;
  version: string;
  prefix: string | null;
}

const rows = readFileSync(new URL('../fixtures/names/pep625.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Pep625Row);

describe('builders', () => {
  it.each([
    // Names as published on pypi.org by current setuptools / hatchling / poetry-core.
    ['zope.interface', '7.2', 'zope_interface-7.2.tar.gz', 'zope_interface-7.2'],
    ['Django', '5.1', 'django-5.1.tar.gz', 'django-5.1'],
    ['oslo.concurrency', '6.1.0', 'oslo_concurrency-6.1.0.tar.gz', 'oslo_concurrency-6.1.0'],
    ['typing-extensions', '4.12.2', 'typing_extensions-4.12.2.tar.gz', 'typing_extensions-4.12.2'],
    ['PyYAML', '6.0.2', 'pyyaml-6.0.2.tar.gz', 'pyyaml-6.0.2'],
    ['foo', '1.0.0', 'foo-1.0.0.tar.gz', 'foo-1.0.0'], // trailing zeros kept: str(Version)
    ['foo', 'v1.0-1', 'foo-1.0.post1.tar.gz', 'foo-1.0.post1'], // normalized, so no "-" is left
    ['foo', '1.0+Ubuntu-1', 'foo-1.0+ubuntu.1.tar.gz', 'foo-1.0+ubuntu.1'], // "+" kept
    ['a-_-b', '1.0RC1', 'a_b-1.0rc1.tar.gz', 'a_b-1.0rc1'],
  ])('%j %j', (name, version, sdist, prefix) => {
    expect(sdistFilename(name, version)).toBe(sdist);
    expect(wheelFilenamePrefix(name, version)).toBe(prefix);
    const v = parseVersion(version);
    expect(v).not.toBeNull();
    if (v !== null) expect(sdistFilename(name, v)).toBe(sdist);
  });

  it.each([
    ['-foo', '1.0'],
    ['caf\u00e9', '1.0'],
    ['', '1.0'],
    ['foo', 'not a version'],
  ])('%j %j -> null', (name, version) => {
    expect(sdistFilename(name, version)).toBeNull();
    expect(wheelFilenamePrefix(name, version)).toBeNull();
  });
});

describe('checkPep625SdistFilename', () => {
  it.each([
    ['zope_interface-7.2.tar.gz', true],
    ['django-5.1.tar.gz', true],
    ['foo-1.0.0.tar.gz', true],
    ['foo-1.0+local.1.tar.gz', true],
    ['zope.interface-7.2.tar.gz', false],
    ['Django-5.1.tar.gz', false],
    ['typing-extensions-4.12.2.tar.gz', false],
    ['foo-1.0.zip', false],
    ['foo-1.0.tar.bz2', false],
    ['foo-1.0-1.tar.gz', false],
    ['foo-v1.0.tar.gz', false],
    ['foo-1.0.POST1.tar.gz', false],
    ['foo-01.0.tar.gz', false],
    ['a__b-1.0.tar.gz', false],
    ['caf\u00e9-1.0.tar.gz', false],
    ['-1.0.tar.gz', false],
    ['foo1.0.tar.gz', false],
  ])('%j -> %s', (filename, ok) => {
    const r = checkPep625SdistFilename(filename);
    expect(r.ok).toBe(ok);
    expect(isPep625SdistFilename(filename)).toBe(ok);
    if (!r.ok) expect(r.reason).toContain(JSON.stringify(filename));
  });

  it.each([
    ['zope_interface-7.2.tar.gz', 'zope.interface', '7.2', true],
    ['zope_interface-7.2.tar.gz', 'Zope.Interface', '7.2', true], // the project's own spelling does not matter
    ['zope_interface-7.2.tar.gz', 'zope.interface', '7.2.0', false], // exact file name: str(Version) keeps zeros
    ['zope_interface-7.2.tar.gz', 'zope.interface', '7.3', false],
    ['zope_interface-7.2.tar.gz', 'other', '7.2', false],
  ])('%j for %j %j -> %s', (filename, name, version, ok) => {
    expect(checkPep625SdistFilename(filename, { name, version }).ok).toBe(ok);
  });
});

describe('checkWheelFilenameForRelease', () => {
  it.each([
    ['zope_interface-7.2-cp312-cp312-win_amd64.whl', 'zope.interface', '7.2', true],
    ['zope_interface-7.2.0-cp312-cp312-win_amd64.whl', 'zope.interface', '7.2', true], // Version equality
    ['zope.interface-7.2-cp312-cp312-win_amd64.whl', 'zope.interface', '7.2', false],
    ['Zope_Interface-7.2-py3-none-any.whl', 'zope.interface', '7.2', false],
    ['zope_interface-7.3-py3-none-any.whl', 'zope.interface', '7.2', false],
    ['other-7.2-py3-none-any.whl', 'zope.interface', '7.2', false],
    ['zope_interface-7.2-py3-none-any', 'zope.interface', '7.2', false],
  ])('%j for %j %j -> %s', (filename, name, version, ok) => {
    const r = checkWheelFilenameForRelease(filename, { name, version });
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.reason.length).toBeGreaterThan(10);
  });
});

describe("differential: warehouse's expected name-version prefix, computed by packaging", () => {
  it('has the fixture', () => {
    expect(rows.filter((r) => r.prefix !== null).length).toBeGreaterThan(300);
  });
  it.each(rows.map((r) => [r.name, r.version, r] as const))('%j %j', (name, version, row) => {
    expect(wheelFilenamePrefix(name, version)).toBe(row.prefix);
    expect(sdistFilename(name, version)).toBe(row.prefix === null ? null : `${row.prefix}.tar.gz`);
    if (row.prefix !== null) expect(isPep625SdistFilename(`${row.prefix}.tar.gz`)).toBe(true);
  });
});
