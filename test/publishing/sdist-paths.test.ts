// Member paths are normalised before they are matched: two spellings of one path are one
// path, and a path given twice is refused (another project's PKG-INFO, a second setup.py).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { inspectDistribution } from '../../src/publishing/inspect.js';
import { extractSourceArchive } from '../../src/publishing/source-archive.js';
import { rawTar } from '../helpers/archive-fixtures.js';
import type { RawEntry } from '../helpers/archive-fixtures.js';

const OURS = 'Metadata-Version: 2.1\nName: name\nVersion: 1.0\n\nOurs\n';
const THEIRS = 'Metadata-Version: 2.1\nName: victim-pkg\nVersion: 6.6.6\n\nTheirs\n';

let work: string;
let count = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pyrelease-sdist-paths-'));
});
afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

async function sdist(entries: readonly RawEntry[]): Promise<string> {
  count += 1;
  const dir = join(work, String(count));
  await mkdir(dir);
  const path = join(dir, 'name-1.0.tar.gz');
  await writeFile(path, gzipSync(rawTar(entries)));
  return path;
}

async function outcome(work: Promise<{ name: string }>): Promise<string> {
  return work.then(
    (info) => `ok ${info.name}`,
    (error: unknown) => (error instanceof AppError ? `${error.code}: ${error.message}` : `thrown: ${String(error)}`),
  );
}

describe('sdist inspection', () => {
  it.each<[string, RawEntry[], RegExp]>([
    ['PKG-INFO, then ./PKG-INFO', [{ path: 'name-1.0/PKG-INFO', body: OURS }, { path: 'name-1.0/./PKG-INFO', body: THEIRS }], /^dist-invalid: .*"name-1\.0\/PKG-INFO" appears twice/],
    ['./PKG-INFO, then PKG-INFO', [{ path: 'name-1.0/./PKG-INFO', body: THEIRS }, { path: 'name-1.0/PKG-INFO', body: OURS }], /^dist-invalid: .*appears twice/],
    ['PKG-INFO under ./ and plain tops', [{ path: './name-1.0/PKG-INFO', body: OURS }, { path: 'name-1.0//PKG-INFO', body: THEIRS }], /^dist-invalid: .*appears twice/],
    ['setup.py twice', [{ path: 'name-1.0/PKG-INFO', body: OURS }, { path: 'name-1.0/setup.py', body: '' }, { path: 'name-1.0/setup.py', body: 'import os\n' }], /^dist-invalid: .*"name-1\.0\/setup\.py" appears twice/],
    ['a file where a directory was', [{ path: 'name-1.0/PKG-INFO', body: OURS }, { path: 'name-1.0/pkg/', type: 'Directory' }, { path: 'name-1.0/pkg', body: '' }], /^dist-invalid: .*appears twice/],
    ['a member that climbs out', [{ path: 'name-1.0/PKG-INFO', body: OURS }, { path: 'name-1.0/../../etc/x', body: '' }], /^dist-invalid: .*unsafe member .*"\.\." in path/],
    ['an absolute member', [{ path: 'name-1.0/PKG-INFO', body: OURS }, { path: '/etc/x', body: '' }], /^dist-invalid: .*absolute path/],
  ])('refuses %s', async (_name, entries, expected) => {
    expect(await outcome(inspectDistribution(await sdist(entries)))).toMatch(expected);
  });

  it.each<[string, RawEntry[]]>([
    ['a leading ./ (tar c ./dir)', [{ path: './name-1.0/', type: 'Directory' }, { path: './name-1.0/PKG-INFO', body: OURS }]],
    ['a directory entry given twice', [{ path: 'name-1.0/', type: 'Directory' }, { path: 'name-1.0/./', type: 'Directory' }, { path: 'name-1.0/PKG-INFO', body: OURS }]],
  ])('accepts %s', async (_name, entries) => {
    expect(await outcome(inspectDistribution(await sdist(entries)))).toBe('ok name');
  });
});

describe('source extraction', () => {
  it('refuses PKG-INFO and ./PKG-INFO as one path written twice', async () => {
    const archive = await sdist([{ path: 'name-1.0/PKG-INFO', body: OURS }, { path: 'name-1.0/./PKG-INFO', body: THEIRS }]);
    const error = await extractSourceArchive(archive, join(work, `dest-${count}`)).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('archive-unsafe');
    expect((error as AppError).message).toMatch(/duplicate entry/);
  });
});
