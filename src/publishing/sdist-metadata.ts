// Reads an sdist's PKG-INFO the way twine 6.2's TarGzSDist finds it (the members'
// common root, then `<root>/PKG-INFO`, a regular file), but refuses every archive that
// another reader could see differently: the sdist we inspect is the file we upload, and
// pip, twine and PyPI read it with Python's tarfile.
import { createHash } from 'node:crypto';
import type { ReadEntry } from 'tar';
import { AppError } from '../errors.js';
import { checkEntryPath, sanitizeEntryName } from './archive-paths.js';
import { entryChunks, readTarGz } from './tar-gz-reader.js';

export interface SdistReadLimits {
  readonly maxMetadataBytes: number;
  readonly maxEntries: number;
  readonly maxInflatedBytes: number;
  readonly maxMillis: number;
}

// Only the unsafe forms are refused here (absolute, "..", backslash, control
// characters); length and depth are the build's business, so the caps are loose.
const PATH_LIMITS = { maxPathLength: 4096, maxDepth: 256 };

function invalid(filename: string, reason: string, cause?: unknown): AppError {
  return new AppError('dist-invalid', `${filename}: ${reason}`, { ...(cause === undefined ? {} : { cause }), details: { filename } });
}

/**
 * PKG-INFO's bytes. Member paths are normalised before anything is matched
 * (`a/./PKG-INFO` is `a/PKG-INFO`), and a path that appears twice is refused: tarfile
 * returns the last member of a name, extraction keeps the last one written, a listing
 * shows the first, so a second PKG-INFO (or setup.py) is another project in disguise.
 */
export async function readSdistMetadata(path: string, filename: string, lim: SdistReadLimits): Promise<Buffer> {
  // Digests, not paths: the set stays small whatever the entries' names.
  const seen = new Map<string, boolean>();
  const tops = new Set<string>();
  let pkgInfo: Buffer | null = null;

  const onEntry = async (entry: ReadEntry, signal: AbortSignal): Promise<void> => {
    const checked = checkEntryPath(entry.path, PATH_LIMITS);
    const shown = sanitizeEntryName(entry.path);
    if (!checked.ok) throw invalid(filename, `unsafe member ${JSON.stringify(shown)}: ${checked.reason}`);
    const key = createHash('sha256').update(checked.parts.join('/')).digest('base64');
    const isDir = entry.type === 'Directory';
    const before = seen.get(key);
    if (before !== undefined && !(before && isDir)) {
      throw invalid(filename, `${JSON.stringify(checked.parts.join('/'))} appears twice in the sdist (as ${JSON.stringify(shown)} the second time)`);
    }
    seen.set(key, isDir);
    tops.add(checked.parts[0] ?? '');
    if (tops.size > 1) {
      throw invalid(filename, `more than one top-level entry in the sdist: ${[...tops].slice(0, 3).map((t) => JSON.stringify(sanitizeEntryName(t))).join(', ')}`);
    }
    if (checked.parts.length !== 2 || checked.parts[1] !== 'PKG-INFO') return void entry.resume();
    if (entry.type !== 'File' && entry.type !== 'OldFile') throw invalid(filename, `${shown} is not a regular file`);
    if (entry.size > lim.maxMetadataBytes) throw invalid(filename, `${shown} is ${entry.size} bytes (at most ${lim.maxMetadataBytes})`);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of entryChunks(entry, signal)) {
      total += chunk.length;
      if (total > lim.maxMetadataBytes) throw invalid(filename, `${shown} is too large`);
      chunks.push(chunk);
    }
    pkgInfo = Buffer.concat(chunks);
  };

  const entries = await readTarGz(path, onEntry, {
    maxInflatedBytes: lim.maxInflatedBytes,
    maxEntries: lim.maxEntries,
    maxMillis: lim.maxMillis,
    refuse: (kind, message, cause) =>
      invalid(filename, kind === 'limit' ? message : `not a readable .tar.gz archive (${message})`, cause),
  });
  if (entries === 0) throw invalid(filename, 'the sdist archive is empty');
  if (pkgInfo === null) throw invalid(filename, `no ${sanitizeEntryName([...tops][0] ?? '<top>')}/PKG-INFO in the sdist`);
  return pkgInfo;
}
