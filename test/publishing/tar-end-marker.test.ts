// Where a .tar.gz ends, and how long reading one may take: for source extraction and for
// the sdist inspection alike (both go through tar-gz-reader.ts).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { inspectDistribution } from '../../src/publishing/inspect.js';
import { readSdistMetadata } from '../../src/publishing/sdist-metadata.js';
import { extractSourceArchive } from '../../src/publishing/source-archive.js';
import { rawTar } from '../helpers/archive-fixtures.js';
import { writeStreamedTarGz } from './hostile-archives.js';

const MiB = 1024 * 1024;
const META = 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\nHello\n';
const SDIST_LIMITS = { maxMetadataBytes: MiB, maxEntries: 100, maxInflatedBytes: 64 * MiB, maxMillis: 10_000 };

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pyrelease-end-'));
  temps.push(dir);
  return dir;
}

async function refusal(work: Promise<unknown>): Promise<AppError> {
  const error = await work.then(() => null, (e: unknown) => e);
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('the end-of-archive marker', () => {
  // Before: node-tar buffered and re-copied everything after the marker: 50 MiB of
  // zeros (51 KB gzipped) took 43-63 s and 304 MiB. Now nothing after it is inflated.
  it('50 MiB of zeros after it: extraction stops at the marker', async () => {
    const dir = await tempDir();
    const archive = join(dir, 'source.tar.gz');
    await writeStreamedTarGz(archive, [{ path: 'repo-abc/x.py', size: 10 }], { trailerZeros: 50 * MiB, level: 9 });
    expect((await stat(archive)).size).toBeLessThan(100 * 1024);
    const started = Date.now();
    const out = await extractSourceArchive(archive, join(dir, 'dest'));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(out).toMatchObject({ files: 1, bytes: 10 });
    expect(await readFile(join(out.root, 'x.py'), 'utf8')).toBe('a'.repeat(10));
  }, 15_000);

  it('50 MiB of zeros after it: the sdist inspection stops at the marker', async () => {
    const dir = await tempDir();
    const sdist = join(dir, 'demo-1.0.tar.gz');
    const tar = rawTar([{ path: 'demo-1.0/PKG-INFO', body: META }]);
    await writeFile(sdist, gzipSync(Buffer.concat([tar, Buffer.alloc(50 * MiB)]), { level: 9 }));
    const started = Date.now();
    const info = await inspectDistribution(sdist);
    expect(Date.now() - started).toBeLessThan(3000);
    expect([info.name, info.version]).toEqual(['demo', '1.0']);
  }, 15_000);

  // Python's tarfile (pip, twine, PyPI) stops at the first zero block; node-tar reads on
  // until two. An entry between them is one that only we would see.
  const hidden = (): Buffer => {
    const first = rawTar([{ path: 'demo-1.0/PKG-INFO', body: META }]);
    const second = rawTar([{ path: 'demo-1.0/setup.py', body: 'import os\n' }]);
    return gzipSync(Buffer.concat([first.subarray(0, first.length - 512), second]));
  };

  it('an entry after a single zero block is refused by extraction', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'source.tar.gz'), hidden());
    const error = await refusal(extractSourceArchive(join(dir, 'source.tar.gz'), join(dir, 'dest')));
    expect(error.code).toBe('archive-invalid');
    expect(error.message).toMatch(/follows a single zero block/);
  });

  it('an entry after a single zero block is refused by the sdist inspection', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'demo-1.0.tar.gz'), hidden());
    const error = await refusal(inspectDistribution(join(dir, 'demo-1.0.tar.gz')));
    expect(error.code).toBe('dist-invalid');
    expect(error.message).toMatch(/follows a single zero block/);
  });

  it('a gzip stream inside the gzip stream is refused, not inflated twice', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'source.tar.gz'), gzipSync(gzipSync(rawTar([{ path: 'repo-abc/x', body: 'x' }]))));
    const error = await refusal(extractSourceArchive(join(dir, 'source.tar.gz'), join(dir, 'dest')));
    expect(error.code).toBe('archive-invalid');
    expect(error.message).toMatch(/compressed stream inside/);
  });
});

describe('the wall clock', () => {
  /** A named pipe holding the first bytes of an archive, its writer kept open: a read that never ends. */
  async function stalledArchive(name: string): Promise<{ path: string; close: () => Promise<void> }> {
    const path = join(await tempDir(), name);
    execFileSync('mkfifo', [path]);
    // O_RDWR: opening a FIFO so does not wait for a reader, and keeps it from seeing EOF.
    const writer = await open(path, 'r+');
    // Incompressible, so that the first 2000 bytes are truly a prefix.
    const partial = gzipSync(rawTar([{ path: 'demo-1.0/PKG-INFO', body: META }, { path: 'demo-1.0/big', body: randomBytes(64 * 1024) }]));
    await writer.write(partial.subarray(0, 2000));
    return { path, close: () => writer.close() };
  }

  it('extraction of a source that stalls is refused after maxMillis', async () => {
    const fifo = await stalledArchive('source.tar.gz');
    try {
      const started = Date.now();
      const error = await refusal(extractSourceArchive(fifo.path, join(await tempDir(), 'dest'), { maxMillis: 300 }));
      expect(error.code).toBe('archive-too-large');
      expect(error.message).toMatch(/longer than 0.3 s/);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await fifo.close();
    }
  }, 10_000);

  it('the sdist inspection of a source that stalls is refused after maxMillis', async () => {
    const fifo = await stalledArchive('demo-1.0.tar.gz');
    try {
      const error = await refusal(readSdistMetadata(fifo.path, 'demo-1.0.tar.gz', { ...SDIST_LIMITS, maxMillis: 300 }));
      expect(error.code).toBe('dist-invalid');
      expect(error.message).toMatch(/longer than 0.3 s/);
    } finally {
      await fifo.close();
    }
  }, 10_000);

  it('the sdist inspection caps the inflated bytes', async () => {
    const dir = await tempDir();
    const sdist = join(dir, 'demo-1.0.tar.gz');
    await writeStreamedTarGz(sdist, [{ path: 'demo-1.0/PKG-INFO', size: 10 }, { path: 'demo-1.0/bomb', size: 8 * MiB, fill: 0 }]);
    const error = await refusal(readSdistMetadata(sdist, 'demo-1.0.tar.gz', { ...SDIST_LIMITS, maxInflatedBytes: 2 * MiB }));
    expect(error.message).toMatch(/inflates to more than/);
  });
});
