import { describe, expect, it } from 'vitest';
import { parseCoreMetadata } from '../../src/publishing/core-metadata.js';
import type { DistInfo } from '../../src/publishing/inspect.js';
import { formKeywords, formProjectUrl, pythonStrip, safeName, uploadFields } from '../../src/publishing/upload-form.js';

function info(metadata: string, filetype: DistInfo['filetype'] = 'bdist_wheel'): DistInfo {
  const parsed = parseCoreMetadata(metadata);
  return {
    path: '/nowhere/x',
    filename: filetype === 'sdist' ? 'x-1.0.tar.gz' : 'x-1.0-py3-none-any.whl',
    filetype,
    pyversion: filetype === 'sdist' ? 'source' : 'py3',
    name: parsed.fields.get('name')?.[0] ?? '',
    version: parsed.fields.get('version')?.[0] ?? '',
    metadata: parsed,
    size: 1,
    sha256: 'a'.repeat(64),
    blake2_256: 'b'.repeat(64),
  };
}

describe('value transformations twine 6.2 applies', () => {
  it.each([
    ['Foo_Bar', 'Foo-Bar'],
    ['foo.bar', 'foo.bar'],
    ['a__-_b', 'a-b'],
    ['Zoë', 'Zo-'],
  ])('safeName(%j) = %j', (name, safe) => expect(safeName(name)).toBe(safe));

  it.each([
    ['sample,test', 'sample, test'],
    [' a , b c ,,d ', 'a, b c, , d'],
    ['', ''],
    ['one', 'one'],
  ])('formKeywords(%j) = %j', (value, form) => expect(formKeywords(value)).toBe(form));

  it.each([
    ['Homepage, https://x', 'Homepage, https://x'],
    ['Home ,  https://x  ', 'Home, https://x'],
    ['nocomma', 'nocomma, '],
    ['a, b, c', 'a, b, c'],
  ])('formProjectUrl(%j) = %j', (value, form) => expect(formProjectUrl(value)).toBe(form));

  it.each([
    ['\u00a0x\u3000', 'x'],
    ['\u001fx\u001c', 'x'],
    ['\ufeffx', '\ufeffx'],
  ])('pythonStrip(%j) strips what str.strip() strips', (value, out) => expect(pythonStrip(value)).toBe(out));
});

describe('uploadFields', () => {
  it('sends every field once per value in the fixed order, omits absent ones, ends with the action', () => {
    const fields = uploadFields(
      info(
        [
          'Metadata-Version: 2.4',
          'Name: My_Pkg',
          'Version: 1.0',
          'Classifier: B',
          'Requires-Dist: x',
          'Classifier: A',
          'Keywords: k1,k2',
          'Project-URL: Docs, https://d',
          'Project-URL: Src,https://s',
          'License-Expression: MIT',
          'License-File: LICENSE',
          'License-File: NOTICE',
          'Dynamic: Version',
          'Import-Name: my_pkg',
          '',
          'Long text\n',
        ].join('\n'),
      ),
    );
    expect(fields).toEqual([
      ['name', 'My-Pkg'],
      ['version', '1.0'],
      ['filetype', 'bdist_wheel'],
      ['pyversion', 'py3'],
      ['metadata_version', '2.4'],
      ['license_expression', 'MIT'],
      ['license_file', 'LICENSE'],
      ['license_file', 'NOTICE'],
      ['description', 'Long text\n'],
      ['keywords', 'k1, k2'],
      ['classifiers', 'B'],
      ['classifiers', 'A'],
      ['sha256_digest', 'a'.repeat(64)],
      ['project_urls', 'Docs, https://d'],
      ['project_urls', 'Src, https://s'],
      ['requires_dist', 'x'],
      ['dynamic', 'Version'],
      ['blake2_256_digest', 'b'.repeat(64)],
      [':action', 'file_upload'],
      ['protocol_version', '1'],
    ]);
  });

  it('never sends md5_digest or comment, and no import names (twine 6.2 has no form field for them)', () => {
    const names = uploadFields(info('Metadata-Version: 2.5\nName: a\nVersion: 1\nImport-Name: a\n')).map(([k]) => k);
    expect(names).not.toContain('md5_digest');
    expect(names).not.toContain('comment');
    expect(names).not.toContain('import_names');
  });

  it.each([
    ['2.1', []],
    ['2.3', []],
    ['2.4', ['LICENSE']],
    ['2.5', ['LICENSE']],
  ])('License-File with Metadata-Version %s sends %j (twine drops it below 2.4)', (mv, files) => {
    const fields = uploadFields(info(`Metadata-Version: ${mv}\nName: a\nVersion: 1\nLicense-File: LICENSE\n`));
    expect(fields.filter(([k]) => k === 'license_file').map(([, v]) => v)).toEqual(files);
  });

  it('sends an empty header value as an empty field, and sdists as pyversion source', () => {
    const fields = uploadFields(info('Metadata-Version: 2.1\nName: a\nVersion: 1\nSummary: \nKeywords: \n', 'sdist'));
    expect(fields).toContainEqual(['summary', '']);
    expect(fields).toContainEqual(['keywords', '']);
    expect(fields).toContainEqual(['pyversion', 'source']);
    expect(fields).toContainEqual(['filetype', 'sdist']);
  });

  it('uses the Description header of 1.x metadata as written', () => {
    const fields = uploadFields(info('Metadata-Version: 1.2\nName: a\nVersion: 1\nDescription: one\n        |two\n'));
    expect(fields).toContainEqual(['description', 'one\n        |two']);
  });
});
