import { constants } from 'node:fs';
import { mkdir, open, readdir, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ReadEntry } from 'tar';
import { AppError } from '../errors.js';
import { checkEntryPath, checkSymlinkTarget, linkKey, sanitizeEntryName } from './archive-paths.js';
import { entryChunks, readTarGz } from './tar-gz-reader.js';

export interface ArchiveLimits {
  readonly maxBytes: number;
  readonly maxFiles: number;
  readonly maxFileBytes: number;
  readonly maxPathLength: number;
  readonly maxDepth: number;
  /** Wall clock for the whole extraction. */
  readonly maxMillis: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = Object.freeze({
  // A Python repository's tree is megabytes; 512 MiB leaves room for vendored data
  // while keeping one job's disk use bounded.
  maxBytes: 512 * 1024 * 1024,
  maxFiles: 20_000,
  // PyPI's default upload limit is 100 MiB per file: nothing larger ends up in a dist.
  maxFileBytes: 100 * 1024 * 1024,
  maxPathLength: 1024,
  maxDepth: 64,
  // 512 MiB extracts in about 9 s here (2 shared cores); 60 s is that at under 9 MiB/s
  // and still frees a job whose source stalls (a slow disk, a pipe that never ends).
  maxMillis: 60_000,
});

export interface ExtractedArchive {
  readonly root: string;
  readonly files: number;
  readonly bytes: number;
}

/**
 * Extracts a forge source archive (.tar.gz) into an empty `destDir`, refusing anything
 * that could write outside it. tar-gz-reader.ts parses (and stops at the end marker,
 * caps inflated bytes, entries and wall clock); every file is written here, so the
 * rules are ours and few:
 * - paths: see archive-paths.ts (normalised, so `a/./x` and `a/x` are one path, and a
 *   second entry for a path is refused); nothing is ever written through a symlink;
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

  const state: ExtractState = { files: 0, entries: 0, bytes: 0, links: new Set(), tops: new Set(), madeDirs: new Set() };
  await readTarGz(archivePath, (entry, signal) => writeEntry(entry, dest, lim, state, signal), {
    // Headers, pax records and padding come on top of the file bytes.
    maxInflatedBytes: lim.maxBytes + lim.maxFiles * 4096 + 1024 * 1024,
    maxEntries: lim.maxFiles,
    maxMillis: lim.maxMillis,
    refuse: (kind, message, cause) =>
      kind === 'limit' ? tooLarge(message) : new AppError('archive-invalid', `the source archive: ${message}`, cause === undefined ? {} : { cause }),
  });
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
    for await (const chunk of entryChunks(entry, signal)) {
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
