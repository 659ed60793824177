import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCoreMetadata } from '../../src/publishing/core-metadata.js';
import { checkDistribution, distributionProblems, inspectDistribution, wheelPyversion } from '../../src/publishing/inspect.js';
import type { DistInfo } from '../../src/publishing/inspect.js';
import { SYSTEM_PYTHON, sampleDists } from '../helpers/sample-dists.js';
import type { SampleDists } from '../helpers/sample-dists.js';

const run = promisify(execFile);
let dists: SampleDists;
let work: string;

/** Writes archives with Python's zipfile/tarfile: argv[1] is a JSON list of [kind, path, entries]. */
const WRITER = `
import io, json, sys, tarfile, zipfile
for kind, path, entries in json.loads(sys.argv[1]):
    if kind == "zip":
        with zipfile.ZipFile(path, "w") as z:
            for name, text in entries: z.writestr(name, text)
    else:
        with tarfile.open(path, "w:gz") as t:
            for name, text in entries:
                data = text.encode(); info = tarfile.TarInfo(name); info.size = len(data)
                t.addfile(info, io.BytesIO(data))
`;
async function writeArchives(specs: Array<[string, string, Array<[string, string]>]>): Promise<void> {
  await run(SYSTEM_PYTHON, ['-c', WRITER, JSON.stringify(specs)]);
}
const META = 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\nHello\n';
const WHEEL = 'Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n';

beforeAll(async () => {
  dists = await sampleDists('1.2.3', 'sample-pkg');
  work = await mkdtemp(join(tmpdir(), 'pyrelease-inspect-'));
  await writeArchives([
    ['zip', join(work, 'demo-1.0-py3-none-any.whl'), [['demo-1.0.dist-info/METADATA', META], ['demo-1.0.dist-info/WHEEL', WHEEL], ['demo/__init__.py', '']]],
    ['zip', join(work, 'two-1.0-py3-none-any.whl'), [['two-1.0.dist-info/METADATA', META], ['two-1.0.dist-info/WHEEL', WHEEL], ['other-1.0.dist-info/METADATA', META]]],
    ['zip', join(work, 'none-1.0-py3-none-any.whl'), [['none/METADATA', META], ['none-1.0.dist-info/WHEEL', WHEEL]]],
    ['zip', join(work, 'big-1.0-py3-none-any.whl'), [['big-1.0.dist-info/METADATA', META + 'x'.repeat(5000)], ['big-1.0.dist-info/WHEEL', WHEEL]]],
    ['tar', join(work, 'demo-1.0.tar.gz'), [['demo-1.0/PKG-INFO', META], ['demo-1.0/setup.py', '']]],
    ['tar', join(work, 'tops-1.0.tar.gz'), [['tops-1.0/PKG-INFO', META], ['elsewhere/x', '']]],
    ['tar', join(work, 'nopkg-1.0.tar.gz'), [['nopkg-1.0/setup.py', '']]],
    ['tar', join(work, 'deep-1.0.tar.gz'), [['deep-1.0/sub/PKG-INFO', META]]],
  ]);
}, 60_000);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('inspectDistribution on real builds', () => {
  it.each(['sdist', 'wheel'] as const)('%s: type, names, digests', async (kind) => {
    const path = dists[kind];
    const info = await inspectDistribution(path);
    const bytes = await readFile(path);
    expect(info.filetype).toBe(kind === 'sdist' ? 'sdist' : 'bdist_wheel');
    expect(info.pyversion).toBe(kind === 'sdist' ? 'source' : 'py3');
    expect([info.name, info.version]).toEqual(['sample-pkg', '1.2.3']);
    expect(info.size).toBe(bytes.length);
    expect(info.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(info.blake2_256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.metadata.description).toBe('# Sample\n\nHello from a test.\n');
    expect(checkDistribution(info, { name: 'Sample_Pkg', version: '1.2.3.0' })).toEqual([]);
  });

  it('blake2b-256 equals Python hashlib.blake2b(digest_size=32)', async () => {
    const info = await inspectDistribution(dists.wheel);
    const { stdout } = await run(SYSTEM_PYTHON, ['-c', 'import hashlib,sys;print(hashlib.blake2b(open(sys.argv[1],"rb").read(),digest_size=32).hexdigest())', dists.wheel]);
    expect(info.blake2_256).toBe(stdout.trim());
  });

  it('a renamed file no longer matches its metadata', async () => {
    // An sdist: a renamed wheel is refused before this (its .dist-info no longer matches).
    const renamed = join(work, 'other_name-1.2.4.tar.gz');
    await copyFile(dists.sdist, renamed);
    const info = await inspectDistribution(renamed);
    const problems = distributionProblems(info);
    expect(problems.map((p) => p.kind)).toEqual(['dist-mismatch', 'dist-mismatch']);
    expect(problems.map((p) => p.message).join('\n')).toContain('"other-name"');
    expect(problems.map((p) => p.message).join('\n')).toContain('1.2.4');
  });

  it('the release must agree with the file', async () => {
    const info = await inspectDistribution(dists.sdist);
    expect(checkDistribution(info, { name: 'sample-pkg', version: '1.2.4' })).toEqual([
      'the release is version 1.2.4 but sample-pkg-1.2.3.tar.gz is "1.2.3"',
    ]);
    expect(checkDistribution(info, { name: 'other', version: '1.2.3' })).toHaveLength(1);
  });
});

describe('inspectDistribution refuses malformed archives', () => {
  it.each([
    ['two-1.0-py3-none-any.whl', /more than one \.dist-info directory/],
    ['none-1.0-py3-none-any.whl', /no none-1\.0\.dist-info\/METADATA/],
    ['tops-1.0.tar.gz', /more than one top-level entry/],
    ['nopkg-1.0.tar.gz', /no nopkg-1\.0\/PKG-INFO/],
    ['deep-1.0.tar.gz', /no deep-1\.0\/PKG-INFO/],
    ['demo-1.0.zip', /unknown distribution type/],
  ])('%s', async (name, message) => {
    if (name.endsWith('.zip')) await writeFile(join(work, name), 'PK');
    // expect.stringMatching: a bare RegExp inside toMatchObject matches any string in vitest 4.
    await expect(inspectDistribution(join(work, name))).rejects.toMatchObject({ code: 'dist-invalid', message: expect.stringMatching(message) });
  });

  it('a truncated wheel and a truncated sdist', async () => {
    for (const [source, name] of [[dists.wheel, 'cut-1.0-py3-none-any.whl'], [dists.sdist, 'cut-1.0.tar.gz']] as const) {
      const bytes = await readFile(source);
      await writeFile(join(work, name), bytes.subarray(0, Math.floor(bytes.length / 2)));
      await expect(inspectDistribution(join(work, name))).rejects.toMatchObject({ code: 'dist-invalid' });
    }
  });

  it('caps the metadata size and the entry count', async () => {
    await expect(inspectDistribution(join(work, 'big-1.0-py3-none-any.whl'), { maxMetadataBytes: 1000 })).rejects.toMatchObject({ message: expect.stringMatching(/at most 1000/) });
    await expect(inspectDistribution(join(work, 'demo-1.0-py3-none-any.whl'), { maxEntries: 1 })).rejects.toMatchObject({ message: expect.stringMatching(/3 zip entries/) });
    await expect(inspectDistribution(join(work, 'demo-1.0-py3-none-any.whl'), { maxEntryBytes: 10 })).rejects.toMatchObject({ message: expect.stringMatching(/at most 10\)/) });
    await expect(inspectDistribution(join(work, 'demo-1.0.tar.gz'), { maxEntries: 1 })).rejects.toMatchObject({ message: expect.stringMatching(/more than 1 tar entries/) });
    await expect(inspectDistribution(join(work, 'demo-1.0.tar.gz'), { maxMetadataBytes: 10 })).rejects.toMatchObject({ message: expect.stringMatching(/at most 10\)/) });
  });

  it('reads small synthetic archives', async () => {
    const [whl, sdist] = await Promise.all([inspectDistribution(join(work, 'demo-1.0-py3-none-any.whl')), inspectDistribution(join(work, 'demo-1.0.tar.gz'))]);
    expect([whl.name, whl.version, sdist.name, sdist.version]).toEqual(['demo', '1.0', 'demo', '1.0']);
    expect(checkDistribution(whl)).toEqual([]);
  });
});

function fakeInfo(metadata: string, filename = 'demo-1.0-py3-none-any.whl'): DistInfo {
  const parsed = parseCoreMetadata(metadata);
  return {
    path: `/nowhere/${filename}`,
    filename,
    filetype: filename.endsWith('.whl') ? 'bdist_wheel' : 'sdist',
    pyversion: 'py3',
    name: parsed.fields.get('name')?.[0] ?? '',
    version: parsed.fields.get('version')?.[0] ?? '',
    metadata: parsed,
    size: 0,
    sha256: '',
    blake2_256: '',
  };
}

describe('checkDistribution rules', () => {
  it.each([
    ['Name: demo\nVersion: 1.0\n', ['Metadata-Version is missing']],
    ['Metadata-Version: 2.1\nVersion: 1.0\n', ['Name is missing from the metadata']],
    ['Metadata-Version: 2.1\nName: demo\n', ['Version is missing from the metadata']],
    ['Metadata-Version: 9.9\nName: demo\nVersion: 1.0\n', ['Metadata-Version "9.9" is not a known core metadata version']],
    ['Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nSummary: a\nSummary: b\n', ['summary appears 2 times in the metadata']],
    ['Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nX-Thing: 1\n', ['unrecognized metadata field "x-thing"']],
    ['Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nDescription: a\n\nbody\n', ['the description is given twice: in a Description header and in the message body']],
    ['Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nDescription-Content-Type: text/html\n', ['Description-Content-Type "text/html" is not text/plain, text/x-rst or text/markdown']],
    ['Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nDescription-Content-Type: text/markdown; variant=GFM\n', []],
    ['Metadata-Version: 2.1\nName: demo\nVersion: 1.0.0\n', []],
    ['Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nProject-URL: Home, https://a\nProject-URL: Home ,https://b\n', ['Project-URL label "Home" appears more than once']],
    ['Metadata-Version: 2.1\nName: Demo_\nVersion: 1.0\n', ['Name "Demo_" is not a valid project name', 'the file name says project "demo", the metadata says "Demo_"']],
    ['Metadata-Version: 2.1\nName: demo\nVersion: one\n', ['Version "one" is not a valid PEP 440 version']],
  ])('%j', (metadata, problems) => {
    expect(checkDistribution(fakeInfo(metadata))).toEqual(problems);
  });

  it('an invalid wheel file name is reported with its reason', () => {
    expect(checkDistribution(fakeInfo('Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n', 'demo-1.0.whl'))[0]).toMatch(/wrong number of parts/);
  });

  it.each([
    ['sample_pkg-1.2.3-py3-none-any.whl', 'py3'],
    ['pkg-1.0-1-py2.py3-none-any.whl', 'py2.py3'],
    ['cryptography-41.0.0-cp37-abi3-manylinux_2_28_x86_64.whl', 'cp37'],
    ['garbage.whl', 'any'],
  ])('wheelPyversion(%s) = %s (twine wheel_file_re)', (filename, pyver) => {
    expect(wheelPyversion(filename)).toBe(pyver);
  });
});
