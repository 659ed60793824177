import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import { checkEntryPath, checkSymlinkTarget } from '../../src/publishing/archive-paths.js';
import { extractSourceArchive } from '../../src/publishing/source-archive.js';
import type { ArchiveLimits } from '../../src/publishing/source-archive.js';
import { copyProject, packForgeArchive, rawTar, writeRawArchive } from '../helpers/archive-fixtures.js';
import type { RawEntry } from '../helpers/archive-fixtures.js';

const SHA = 'a'.repeat(40);
const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/**
 * Each extraction gets a sandbox `<box>/dest` with a `<box>/outside` sibling and a
 * snapshot of the box's parent level, so a test can prove nothing landed beside dest.
 */
async function sandbox(): Promise<{ box: string; dest: string; outside: string }> {
  const box = await mkdtemp(join(tmpdir(), 'pyrelease-x-'));
  temps.push(box);
  const outside = join(box, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'victim'), 'original');
  return { box, dest: join(box, 'dest'), outside };
}

async function expectOnlyDestChanged(box: string, outside: string): Promise<void> {
  expect((await readdir(box)).sort()).toEqual(['dest', 'outside']);
  expect(await readdir(outside)).toEqual(['victim']);
  expect(await readFile(join(outside, 'victim'), 'utf8')).toBe('original');
}

async function extractRaw(entries: readonly RawEntry[], limits: Partial<ArchiveLimits> = {}, opts: { trailer?: Buffer } = {}) {
  const file = await writeRawArchive(entries, opts);
  const sb = await sandbox();
  const run = extractSourceArchive(file, sb.dest, limits);
  return { ...sb, run };
}

async function codeOf(promise: Promise<unknown>): Promise<ErrorCode | 'ok'> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

const top = 'repo-abc/';

describe('extractSourceArchive: forge archives', () => {
  it('extracts a node-tar packed project under its single top directory', async () => {
    const project = await copyProject('setuptools-static');
    const archive = await packForgeArchive(project, { name: 'setuptools-static', sha: SHA });
    const { box, dest, outside } = await sandbox();
    const out = await extractSourceArchive(archive, dest);
    expect(out.root).toBe(join(dest, `setuptools-static-${SHA}`));
    expect(await readFile(join(out.root, 'pyproject.toml'), 'utf8')).toBe(await readFile(join(project, 'pyproject.toml'), 'utf8'));
    expect(out.files).toBe(3);
    await expectOnlyDestChanged(box, outside);
  });

  it('keeps in-tree symlinks, long (pax) paths and the executable bit, drops setuid', async () => {
    const long = `${top}${'deep/'.repeat(30)}file.py`;
    const { dest, run } = await extractRaw(
      [
        { path: top, type: 'Directory' },
        { path: `${top}README.md`, body: 'hello\n' },
        { path: `${top}docs/`, type: 'Directory' },
        { path: `${top}docs/README.md`, type: 'SymbolicLink', linkpath: '../README.md' },
        { path: `${top}run.sh`, body: '#!/bin/sh\n', mode: 0o6755 },
        { path: long, body: 'x = 1\n' },
      ],
      {},
    );
    const out = await run;
    expect(out).toEqual({ root: join(dest, 'repo-abc'), files: 3, bytes: 6 + 10 + 6 });
    expect(await readlink(join(out.root, 'docs/README.md'))).toBe('../README.md');
    expect(await readFile(join(out.root, 'docs/README.md'), 'utf8')).toBe('hello\n');
    expect((await stat(join(out.root, 'run.sh'))).mode & 0o7777).toBe(0o755); // setuid/setgid dropped
    expect(await readFile(join(dest, long), 'utf8')).toBe('x = 1\n');
  });

  it('accepts the pax global comment GitHub puts first', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'pyrelease-gh-')), 'a.tar.gz');
    temps.push(file);
    await writeFile(file, gzipSync(rawTar([{ path: `${top}x.py`, body: 'x' }], { globalComment: SHA })));
    const { dest } = await sandbox();
    expect(await extractSourceArchive(file, dest)).toEqual({ root: join(dest, 'repo-abc'), files: 1, bytes: 1 });
  });

  it('returns destDir as root when entries have several top directories', async () => {
    const { dest, run } = await extractRaw([
      { path: 'a/x', body: '1' },
      { path: 'b/y', body: '2' },
    ]);
    expect((await run).root).toBe(dest);
  });
});

const big = Buffer.alloc(64 * 1024, 0x61);
// Incompressible, so that cutting the gzip stream really cuts it.
const noise = randomBytes(64 * 1024);

describe('extractSourceArchive: hostile archives', () => {
  const rows: ReadonlyArray<{ name: string; entries: RawEntry[]; code: ErrorCode; limits?: Partial<ArchiveLimits>; trailer?: Buffer }> = [
    { name: 'absolute path', entries: [{ path: '/tmp/pyrelease-abs-x', body: 'x' }], code: 'archive-unsafe' },
    { name: '../x', entries: [{ path: '../outside/victim', body: 'pwned' }], code: 'archive-unsafe' },
    { name: 'a/../../x', entries: [{ path: 'a/../../outside/victim', body: 'pwned' }], code: 'archive-unsafe' },
    { name: 'backslash climb', entries: [{ path: 'a\\..\\..\\outside\\victim', body: 'pwned' }], code: 'archive-unsafe' },
    { name: 'drive letter', entries: [{ path: 'C:/Windows/x', body: 'x' }], code: 'archive-unsafe' },
    { name: 'control character', entries: [{ path: 'a\u001b[2Jb', body: 'x' }], code: 'archive-unsafe' },
    {
      name: 'symlink to /etc/passwd, then a write through it',
      entries: [
        { path: `${top}passwd`, type: 'SymbolicLink', linkpath: '/etc/passwd' },
        { path: `${top}passwd`, body: 'root::0:0::/:/bin/sh\n' },
      ],
      code: 'archive-unsafe',
    },
    {
      name: 'symlinked directory out, then a file through it (tar-slip)',
      entries: [
        { path: `${top}out`, type: 'SymbolicLink', linkpath: '../../outside' },
        { path: `${top}out/victim`, body: 'pwned' },
      ],
      code: 'archive-unsafe',
    },
    {
      name: 'in-tree symlinked directory, then a file through it',
      entries: [
        { path: `${top}sub/`, type: 'Directory' },
        { path: `${top}alias`, type: 'SymbolicLink', linkpath: 'sub' },
        { path: `${top}ALIAS/x`, body: 'x' },
      ],
      code: 'archive-unsafe',
    },
    {
      name: 'link to ".", then a link climbing through it',
      entries: [
        { path: 'p', type: 'SymbolicLink', linkpath: '.' },
        { path: 'q', type: 'SymbolicLink', linkpath: 'p/..' },
      ],
      code: 'archive-unsafe',
    },
    {
      name: 'file, then a symlink of the same name',
      entries: [
        { path: `${top}x`, body: 'x' },
        { path: `${top}x`, type: 'SymbolicLink', linkpath: 'y' },
      ],
      code: 'archive-unsafe',
    },
    { name: 'hardlink out', entries: [{ path: `${top}h`, type: 'Link', linkpath: '/etc/passwd' }], code: 'archive-unsafe' },
    {
      name: 'hardlink in tree (refused too)',
      entries: [
        { path: `${top}a`, body: 'a' },
        { path: `${top}h`, type: 'Link', linkpath: `${top}a` },
      ],
      code: 'archive-unsafe',
    },
    { name: 'character device', entries: [{ path: `${top}null`, type: 'CharacterDevice' }], code: 'archive-unsafe' },
    { name: 'block device', entries: [{ path: `${top}sda`, type: 'BlockDevice' }], code: 'archive-unsafe' },
    { name: 'FIFO', entries: [{ path: `${top}fifo`, type: 'FIFO' }], code: 'archive-unsafe' },
    {
      name: 'too many files',
      entries: Array.from({ length: 12 }, (_, i) => ({ path: `${top}f${i}`, body: 'x' })),
      limits: { maxFiles: 10 },
      code: 'archive-too-large',
    },
    {
      name: 'too many bytes',
      entries: Array.from({ length: 8 }, (_, i) => ({ path: `${top}f${i}`, body: big })),
      limits: { maxBytes: 300 * 1024 },
      code: 'archive-too-large',
    },
    {
      name: 'a flood of empty directory entries',
      entries: Array.from({ length: 20_000 }, (_, i) => ({ path: `${top}d${i}/`, type: 'Directory' as const })),
      limits: { maxFiles: 100 },
      code: 'archive-too-large',
    },
    { name: 'one file too large', entries: [{ path: `${top}f`, body: big }], limits: { maxFileBytes: 1000 }, code: 'archive-too-large' },
    { name: 'path too long', entries: [{ path: `${top}${'x'.repeat(300)}`, body: 'x' }], limits: { maxPathLength: 200 }, code: 'archive-too-large' },
    { name: 'path too deep', entries: [{ path: `${top}${'d/'.repeat(10)}f`, body: 'x' }], limits: { maxDepth: 5 }, code: 'archive-too-large' },
  ];

  it.each(rows)('$name -> $code, nothing outside dest', async ({ entries, code, limits, trailer }) => {
    const { box, outside, run } = await extractRaw(entries, limits, trailer === undefined ? {} : { trailer });
    expect(await codeOf(run)).toBe(code);
    await expectOnlyDestChanged(box, outside);
    await expect(lstat('/tmp/pyrelease-abs-x')).rejects.toThrow();
  });

  it('names the offending entry, sanitized, in the message and details', async () => {
    const { run } = await extractRaw([{ path: `../evil\u0007name`, body: 'x' }]);
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toContain('../evil?name');
    expect((error as AppError).details['entry']).toBe('../evil?name');
    expect((error as AppError).retryable).toBe(false);
  });

  it('stops a gzip bomb by the bytes written, whatever the header claims', async () => {
    // 6 MiB of zeros gzip to a few KB; the limit is 1 MiB.
    const entries = [{ path: `${top}bomb`, body: Buffer.alloc(6 * 1024 * 1024) }];
    const file = await writeRawArchive(entries);
    expect((await stat(file)).size).toBeLessThan(64 * 1024);
    const { box, dest, outside } = await sandbox();
    expect(await codeOf(extractSourceArchive(file, dest, { maxBytes: 1024 * 1024 }))).toBe('archive-too-large');
    expect((await stat(join(dest, 'repo-abc/bomb'))).size).toBeLessThanOrEqual(1024 * 1024);
    await expectOnlyDestChanged(box, outside);
  });

  it('does not trust a header that understates the size', async () => {
    // The header says 10 bytes; the real data is read as the next headers and fails.
    const { run } = await extractRaw([{ path: `${top}f`, body: big, size: 10 }], { maxBytes: 1000 });
    expect(await codeOf(run)).toMatch(/^archive-(invalid|too-large)$/);
  });

  const invalid: ReadonlyArray<{ name: string; bytes: () => Buffer }> = [
    { name: 'truncated gzip', bytes: () => gzipSync(rawTar([{ path: `${top}f`, body: noise }])).subarray(0, 20_000) },
    { name: 'gzip without its trailer', bytes: () => { const z = gzipSync(rawTar([{ path: `${top}f`, body: 'x' }])); return z.subarray(0, z.length - 8); } },
    { name: 'truncated tar inside valid gzip', bytes: () => gzipSync(rawTar([{ path: `${top}f`, body: big }]).subarray(0, 5000)) },
    { name: 'non-gzip garbage', bytes: () => Buffer.from('<html>502 Bad Gateway</html>\n'.repeat(40)) },
    { name: 'gzip of garbage', bytes: () => gzipSync(Buffer.from('not a tar file at all '.repeat(100))) },
    { name: 'empty gzip', bytes: () => gzipSync(Buffer.alloc(0)) },
    { name: 'bad header checksum', bytes: () => gzipSync(Buffer.from(rawTar([{ path: `${top}f`, body: 'x' }]).map((b, i) => (i === 10 ? 0x41 : b)))) },
  ];

  it.each(invalid)('$name -> archive-invalid', async ({ bytes }) => {
    const file = join(await mkdtemp(join(tmpdir(), 'pyrelease-bad-')), 'bad.tar.gz');
    temps.push(file);
    await writeFile(file, bytes());
    const { dest } = await sandbox();
    expect(await codeOf(extractSourceArchive(file, dest))).toBe('archive-invalid');
  });

  it('refuses a destination that is not empty (programming error, not an archive fault)', async () => {
    const { dest } = await sandbox();
    await mkdir(dest);
    await symlink('/etc', join(dest, 'pre-existing'));
    const file = await writeRawArchive([{ path: `${top}f`, body: 'x' }]);
    await expect(extractSourceArchive(file, dest)).rejects.toThrow(/not empty/);
  });
});

describe('archive path rules', () => {
  const limits = { maxPathLength: 1024, maxDepth: 64 };
  it.each([
    ['./a//b/', true],
    ['a/./b', true],
    ['..', false],
    ['a/..', false],
    ['/a', false],
    ['c:x', false],
    ['a/c:x', false],
    ['a\\b', false],
    ['a\u0000b', false],
    ['.', false],
  ])('entry %j ok=%s', (path, ok) => {
    expect(checkEntryPath(path, limits).ok).toBe(ok);
  });

  it.each([
    [['r', 'docs', 'README.md'], '../README.md', true],
    [['r', 'docs', 'README.md'], '../../README.md', true],
    [['r', 'docs', 'README.md'], '../../../README.md', false],
    [['r', 'x'], 'sub/./y', true],
    [['r', 'x'], 'sub/../y', false],
    [['r', 'x'], '/etc/passwd', false],
    [['r', 'x'], 'C:/x', false],
    [['x'], '..', false],
  ])('symlink at %j -> %j ok=%s', (parts, target, ok) => {
    expect(checkSymlinkTarget(parts, target).ok).toBe(ok);
  });
});
