import { constants, createReadStream } from 'node:fs';
import { mkdir, open, readdir, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser } from 'tar';
import type { ReadEntry } from 'tar';
import { AppError } from '../errors.js';
import { checkEntryPath, checkSymlinkTarget, linkKey, sanitizeEntryName } from './archive-paths.js';

export interface ArchiveLimits {
  readonly maxBytes: number;
  readonly maxFiles: number;
  readonly maxFileBytes: number;
  readonly maxPathLength: number;
  readonly maxDepth: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = Object.freeze({
  maxBytes: 512 * 1024 * 1024,
  maxFiles: 20_000,
  maxFileBytes: 100 * 1024 * 1024,
  maxPathLength: 1024,
  maxDepth: 64,
});

export interface ExtractedArchive {
  readonly root: string;
  readonly files: number;
  readonly bytes: number;
}

/**
 * Extracts a forge source archive (.tar.gz) into an empty `destDir`, refusing anything
 * that could write outside it. We parse with node-tar's Parser but write every file
 * ourselves, so the rules are ours and few:
 * - paths: see archive-paths.ts; nothing is ever written through a symlink;
 * - links: symlinks only when their target provably stays inside (checkSymlinkTarget);
 *   hardlinks never (`git archive` does not make them, and they are the other tar-slip);
 * - devices, FIFOs and unknown types are refused; setuid/setgid/sticky bits are dropped;
 * - limits are counted on the bytes actually inflated and written, not on header sizes.
 * On failure `destDir` may hold a partial tree: the caller owns it and deletes it.
 */
export async function extractSourceArchive(
  archivePath: string,
  destDir: string,
  limits: Partial<ArchiveLimits> = {},
): Promise<ExtractedArchive> {
  const lim: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS, ...limits };
  const dest = resolve(destDir);
  await mkdir(dest, { recursive: true });
  if ((await readdir(dest)).length > 0) throw new Error(`extraction directory is not empty: ${dest}`);
  await assertGzip(archivePath);

  const state: ExtractState = { files: 0, entries: 0, bytes: 0, links: new Set(), tops: new Set(), madeDirs: new Set() };
  const parser = new Parser({ strict: true });
  let failure: unknown;
  let chain: Promise<void> = Promise.resolve();
  const source = createReadStream(archivePath);
  const gunzip = createGunzip();
  // Counts inflated tar bytes (headers, padding and whatever follows the end blocks,
  // which the parser skips): a gzip bomb of zeros stops here.
  const tarCap = lim.maxBytes + lim.maxFiles * 4096 + 1024 * 1024;
  let inflated = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      inflated += chunk.length;
      if (inflated > tarCap) done(tooLarge(`archive inflates to more than ${tarCap} bytes`));
      else done(null, chunk);
    },
  });
  let stop: (error: unknown) => void = () => undefined;
  // The entry being written waits for data that will never come once we stop.
  const stopped = new AbortController();
  const fail = (error: unknown): void => {
    failure ??= error;
    stopped.abort(failure);
    source.destroy();
    gunzip.destroy();
    meter.destroy();
    // A fresh error: abort() decorates what it is given, and ours stays as it is.
    parser.abort(new Error('extraction stopped'));
    stop(failure);
  };
  let emitted = 0;
  parser.on('entry', (entry: ReadEntry) => {
    // Counted here too, not only when written, so that a flood of tiny entries cannot
    // pile up in memory ahead of the writer.
    emitted += 1;
    if (emitted > lim.maxFiles) fail(tooLarge(`more than ${lim.maxFiles} entries`));
    chain = chain.then(async () => {
      if (failure !== undefined) return void entry.resume();
      try {
        await writeEntry(entry, dest, lim, state, stopped.signal);
      } catch (error) {
        entry.resume();
        fail(error);
      }
    });
  });
  parser.on('ignoredEntry', (entry: ReadEntry) => fail(unsafe(entry.path, `unsupported entry type ${entry.type}`)));

  try {
    await new Promise<void>((resolveDone, reject) => {
      stop = reject;
      for (const stream of [source, gunzip, meter]) stream.on('error', fail);
      parser.on('error', fail);
      parser.on('end', () => resolveDone());
      source.pipe(gunzip).pipe(meter).pipe(parser as unknown as NodeJS.WritableStream);
    });
    await chain;
  } catch (error) {
    await chain.catch(() => undefined);
    throw classify(failure ?? error);
  }
  if (failure !== undefined) throw classify(failure);
  if (state.entries === 0) throw new AppError('archive-invalid', 'the archive holds no entries');
  const only = state.tops.size === 1 ? [...state.tops][0] : undefined;
  const root = only !== undefined && state.madeDirs.has(only) ? join(dest, only) : dest;
  return { root, files: state.files, bytes: state.bytes };
}

interface ExtractState {
  files: number;
  entries: number;
  bytes: number;
  /** linkKey of every symlink made so far: no later entry may go through one. */
  readonly links: Set<string>;
  readonly tops: Set<string>;
  /** Directories (by relative path) we created, explicitly or as parents. */
  readonly madeDirs: Set<string>;
}

async function writeEntry(entry: ReadEntry, dest: string, lim: ArchiveLimits, state: ExtractState, signal: AbortSignal): Promise<void> {
  const checked = checkEntryPath(entry.path, lim);
  if (!checked.ok) {
    if (checked.reason.startsWith('path ')) throw tooLarge(`${checked.reason}: ${sanitizeEntryName(entry.path)}`);
    throw unsafe(entry.path, checked.reason);
  }
  const parts = checked.parts;
  for (let i = 1; i <= parts.length; i += 1) {
    if (state.links.has(linkKey(parts.slice(0, i)))) throw unsafe(entry.path, 'path goes through a symlink');
  }
  state.entries += 1;
  if (state.entries > lim.maxFiles) throw tooLarge(`more than ${lim.maxFiles} entries`);
  state.tops.add(parts[0] ?? '');
  const target = join(dest, ...parts);

  switch (entry.type) {
    case 'Directory':
      await makeDirs(dest, parts, state);
      return void entry.resume();
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      await makeDirs(dest, parts.slice(0, -1), state);
      state.files += 1;
      return writeFile(entry, target, lim, state, signal);
    case 'SymbolicLink': {
      const linkpath = entry.linkpath ?? '';
      const ok = checkSymlinkTarget(parts, linkpath);
      if (!ok.ok) throw unsafe(entry.path, `${ok.reason} (${sanitizeEntryName(linkpath)})`);
      await makeDirs(dest, parts.slice(0, -1), state);
      state.links.add(linkKey(parts));
      await symlink(linkpath, target).catch((error: unknown) => {
        throw existsAsUnsafe(error, entry.path);
      });
      return void entry.resume();
    }
    case 'Link':
      throw unsafe(entry.path, 'hardlinks are not accepted');
    default:
      throw unsafe(entry.path, `unsupported entry type ${entry.type}`);
  }
}

async function makeDirs(dest: string, parts: readonly string[], state: ExtractState): Promise<void> {
  for (let i = 1; i <= parts.length; i += 1) {
    const rel = parts.slice(0, i).join('/');
    if (state.madeDirs.has(rel)) continue;
    // Not recursive: each level is created by us or already is our directory, and a
    // plain mkdir never follows a symlink in its last component.
    await mkdir(join(dest, ...parts.slice(0, i)), { mode: 0o755 }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      throw unsafe(rel, 'a directory clashes with an earlier entry');
    });
    state.madeDirs.add(rel);
  }
}

async function writeFile(entry: ReadEntry, target: string, lim: ArchiveLimits, state: ExtractState, signal: AbortSignal): Promise<void> {
  if (entry.size > lim.maxFileBytes) throw tooLarge(`${sanitizeEntryName(entry.path)} is larger than ${lim.maxFileBytes} bytes`);
  // Only the executable bit survives: no setuid, setgid, sticky or odd permissions.
  const mode = ((entry.mode ?? 0o644) & 0o100) !== 0 ? 0o755 : 0o644;
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(target, flags, mode).catch((error: unknown) => {
    throw existsAsUnsafe(error, entry.path);
  });
  try {
    let fileBytes = 0;
    for await (const chunk of untilAborted(entry as AsyncIterable<Buffer>, signal)) {
      fileBytes += chunk.length;
      state.bytes += chunk.length;
      if (fileBytes > lim.maxFileBytes) throw tooLarge(`${sanitizeEntryName(entry.path)} is larger than ${lim.maxFileBytes} bytes`);
      if (state.bytes > lim.maxBytes) throw tooLarge(`the archive holds more than ${lim.maxBytes} bytes`);
      await handle.write(chunk);
    }
    if (entry.mtime instanceof Date) await handle.utimes(entry.mtime, entry.mtime);
  } finally {
    await handle.close();
  }
}

/** Iterates `source` but gives up as soon as `signal` aborts, even mid-wait. */
async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    const next = await Promise.race([iterator.next(), aborted]);
    if (next.done === true) return;
    yield next.value;
  }
}

async function assertGzip(archivePath: string): Promise<void> {
  const handle = await open(archivePath, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    if (bytesRead < 2 || buffer[0] !== 0x1f || buffer[1] !== 0x8b) {
      throw new AppError('archive-invalid', 'the source archive is not gzip-compressed');
    }
  } finally {
    await handle.close();
  }
}

function existsAsUnsafe(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ELOOP') return unsafe(path, 'duplicate entry');
  return error;
}

function unsafe(path: string, reason: string): AppError {
  return new AppError('archive-unsafe', `unsafe archive entry "${sanitizeEntryName(path)}": ${reason}`, {
    details: { entry: sanitizeEntryName(path), reason },
  });
}

function tooLarge(message: string): AppError {
  return new AppError('archive-too-large', message);
}

/** Our own refusals pass through; zlib and tar errors mean a corrupt or truncated file. */
function classify(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const err = error as NodeJS.ErrnoException & { tarCode?: string };
  if (typeof err?.code === 'string' && /^Z_/.test(err.code)) return invalid('gzip', err);
  if (typeof err?.tarCode === 'string' || /^TAR_/.test(String(err?.code))) return invalid('tar', err);
  return error;
}

function invalid(layer: string, err: Error): AppError {
  return new AppError('archive-invalid', `corrupt or truncated archive (${layer}): ${err.message}`, { cause: err });
}
