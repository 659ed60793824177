// Wheels that two readers could see differently, or whose metadata is not where its
// file name (and pypi.org) says: each is written by Python's zipfile, then tampered with.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { inspectDistribution } from '../../src/publishing/inspect.js';
import { SYSTEM_PYTHON } from '../helpers/sample-dists.js';
import { flagDataDescriptor, hideFromCentralDirectory, renameInLocalHeader } from './hostile-archives.js';

const run = promisify(execFile);
const META = 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\nHello\n';
const WHEEL = 'Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n';
const GOOD: Array<[string, string]> = [
  ['demo/__init__.py', 'x = 1\n'],
  ['demo-1.0.dist-info/METADATA', META],
  ['demo-1.0.dist-info/WHEEL', WHEEL],
  ['demo-1.0.dist-info/RECORD', ''],
];
// zipfile keeps a ZipInfo's name as given, and writes a second member of a name with a warning.
const WRITER = `
import json, sys, warnings, zipfile
warnings.simplefilter("ignore")
path, entries = json.loads(sys.argv[1])
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in entries:
        z.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), text)
`;

let work: string;
const NAME = 'demo-1.0-py3-none-any.whl';
async function wheel(entries: Array<[string, string]>, dir: string): Promise<string> {
  const path = join(dir, NAME);
  await run(SYSTEM_PYTHON, ['-c', WRITER, JSON.stringify([path, entries])]);
  return path;
}
async function tampered(change: (zip: Buffer) => Buffer, dir: string): Promise<string> {
  const path = await wheel(GOOD, dir);
  await writeFile(path, change(await readFile(path)));
  return path;
}
async function refusal(path: string): Promise<string> {
  const error = await inspectDistribution(path).then(() => null, (e: unknown) => e);
  if (!(error instanceof AppError) || error.code !== 'dist-invalid') throw new Error(`expected dist-invalid, got ${String(error)}`);
  return error.message;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pyrelease-wheel-'));
});
afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('a wheel is read only as every reader would read it', () => {
  let n = 0;
  const dir = async (): Promise<string> => {
    n += 1;
    const d = join(work, String(n));
    await mkdir(d);
    return d;
  };

  it('accepts the plain wheel these cases start from', async () => {
    const info = await inspectDistribution(await wheel(GOOD, await dir()));
    expect([info.name, info.version]).toEqual(['demo', '1.0']);
  });

  it.each<[string, Array<[string, string]>, RegExp]>([
    ['a .dist-info that is not the file name\'s', [['demo/__init__.py', ''], ['other-2.0.dist-info/METADATA', META.replace('demo', 'other')], ['other-2.0.dist-info/WHEEL', WHEEL]], /metadata is in "other-2\.0\.dist-info", but its file name says "demo-1\.0\.dist-info"/],
    ['a second .dist-info beside the right one', [...GOOD, ['evil-6.6.6.dist-info/METADATA', META]], /more than one \.dist-info directory/],
    ['no WHEEL file', GOOD.filter(([name]) => !name.endsWith('/WHEEL')), /no demo-1\.0\.dist-info\/WHEEL/],
    ['the same member twice', [...GOOD, ['demo/__init__.py', 'import os\n']], /"demo\/__init__\.py" appears twice/],
    ['METADATA twice, as ./ and plain', [...GOOD, ['./demo-1.0.dist-info/METADATA', META.replace('demo', 'evil')]], /not normalised/],
    ['an empty path component', [...GOOD, ['demo//x.py', '']], /not normalised/],
    ['a .. path', [...GOOD, ['demo/../../x.py', '']], /not a readable zip archive \(invalid relative path/],
  ])('refuses %s', async (_name, entries, message) => {
    expect(await refusal(await wheel(entries, await dir()))).toMatch(message);
  });

  it.each<[string, (zip: Buffer) => Buffer, RegExp]>([
    ['a member hidden from the central directory', (z) => hideFromCentralDirectory(z, 'demo/__init__.py'), /bytes that no member accounts for/],
    ['a local header naming another file', (z) => renameInLocalHeader(z, 'demo/__init__.py', 'demo/__evil__.py'), /local header of "demo\/__init__\.py" names another file/],
    ['a data descriptor', (z) => flagDataDescriptor(z, 'demo/__init__.py'), /uses a data descriptor/],
    ['another zip prepended', (z) => Buffer.concat([z, z]), /disagree|not a readable zip/],
  ])('refuses %s', async (_name, change, message) => {
    expect(await refusal(await tampered(change, await dir()))).toMatch(message);
  });

  it('gives up after maxMillis', async () => {
    const many = Array.from({ length: 3000 }, (_, i): [string, string] => [`demo/m${i}.py`, '']);
    const path = await wheel([...GOOD, ...many], await dir());
    const error = await inspectDistribution(path, { maxMillis: 1 }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(/longer than 0.001 s/);
  });
});
