// Reads a wheel's METADATA from the one place pypi.org reads it (wheel-dist-info.ts),
// and refuses a wheel that different zip readers would see differently.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { wheelDistInfoDir } from '../core/wheel-dist-info.js';
import { AppError } from '../errors.js';
import { ZipFraming } from './zip-framing.js';

export interface WheelReadLimits {
  readonly maxMetadataBytes: number;
  /** Largest uncompressed size any member may declare (zip bombs). */
  readonly maxEntryBytes: number;
  readonly maxEntries: number;
  readonly maxMillis: number;
}

function invalid(filename: string, reason: string, cause?: unknown): AppError {
  return new AppError('dist-invalid', `${filename}: ${reason}`, { ...(cause === undefined ? {} : { cause }), details: { filename } });
}

// Info-ZIP's Unicode Path extra: yauzl takes the member's name from it, Python's
// zipfile from the header, so the two would disagree on what the member is called.
const UNICODE_PATH_EXTRA = 0x7075;
const MAX_NAME_LENGTH = 1024;

/**
 * METADATA's bytes. Every member is checked on the way (yauzl already refuses absolute
 * paths and `..`): a name with `.` or empty components, a name given twice, a local
 * header that disagrees with the central directory (zip-framing.ts), a second
 * top-level `.dist-info` directory (pip refuses those), and a `.dist-info` directory
 * other than the one the file name implies, which must hold METADATA and WHEEL.
 */
export async function readWheelMetadata(path: string, filename: string, lim: WheelReadLimits): Promise<Buffer> {
  const distInfo = wheelDistInfoDir(filename);
  if (distInfo === null) throw invalid(filename, 'the file name has no name and version to find the .dist-info directory by');
  const deadline = Date.now() + lim.maxMillis;
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, strictFileNames: true });
  } catch (error) {
    throw invalid(filename, `not a readable zip archive (${errorText(error)})`, error);
  }
  const handle = await open(path, 'r');
  try {
    if (zip.entryCount > lim.maxEntries) throw invalid(filename, `${zip.entryCount} zip entries (at most ${lim.maxEntries})`);
    // yauzl's cursor starts at the central directory (its typings call it a boolean).
    const centralStart = Number((zip as unknown as { readEntryCursor: number }).readEntryCursor);
    const framing = new ZipFraming(handle);
    const names = new Set<string>();
    const distInfos = new Set<string>();
    let metadata: Entry | undefined;
    let wheelFile = false;
    for await (const entry of zipEntries(zip)) {
      if (Date.now() > deadline) throw invalid(filename, `reading the wheel took longer than ${lim.maxMillis / 1000} s`);
      const name = entry.fileName;
      const shown = JSON.stringify(name.slice(0, 200));
      if (name.length > MAX_NAME_LENGTH) throw invalid(filename, `a member name longer than ${MAX_NAME_LENGTH}: ${shown}`);
      if (entry.uncompressedSize > lim.maxEntryBytes) {
        throw invalid(filename, `zip entry ${shown} is ${entry.uncompressedSize} bytes (at most ${lim.maxEntryBytes})`);
      }
      if (entry.extraFields.some((f) => f.id === UNICODE_PATH_EXTRA)) throw invalid(filename, `${shown} has a second, Unicode name`);
      const parts = name.endsWith('/') ? name.slice(0, -1).split('/') : name.split('/');
      if (parts.some((p) => p === '' || p === '.')) throw invalid(filename, `member name ${shown} is not normalised`);
      const key = createHash('sha256').update(parts.join('/')).digest('base64');
      if (names.has(key)) throw invalid(filename, `${shown} appears twice in the wheel`);
      names.add(key);
      const problem = await framing.add(entry);
      if (problem !== null) throw invalid(filename, `the zip's local headers and central directory disagree: ${problem}`);
      const top = parts[0] ?? '';
      if (parts.length > 1 && top.endsWith('.dist-info')) {
        distInfos.add(top);
        if (distInfos.size > 1) throw invalid(filename, `more than one .dist-info directory: ${[...distInfos].map((d) => JSON.stringify(d)).join(', ')}`);
      }
      if (parts.length === 2 && top === distInfo && parts[1] === 'METADATA') metadata = entry;
      if (parts.length === 2 && top === distInfo && parts[1] === 'WHEEL') wheelFile = true;
    }
    const centralEnd = Number((zip as unknown as { readEntryCursor: number }).readEntryCursor);
    // yauzl decodes the comment as cp437: one character per byte.
    const problem = await framing.finish({ centralStart, centralEnd, fileSize: zip.fileSize, commentBytes: zip.comment.length });
    if (problem !== null) throw invalid(filename, `the zip's local headers and central directory disagree: ${problem}`);
    const found = [...distInfos][0];
    if (found !== undefined && found !== distInfo) throw invalid(filename, `the wheel's metadata is in ${JSON.stringify(found)}, but its file name says ${JSON.stringify(distInfo)}`);
    if (metadata === undefined) throw invalid(filename, `no ${distInfo}/METADATA in the wheel`);
    if (!wheelFile) throw invalid(filename, `no ${distInfo}/WHEEL in the wheel`);
    if (metadata.uncompressedSize > lim.maxMetadataBytes) {
      throw invalid(filename, `${metadata.fileName} is ${metadata.uncompressedSize} bytes (at most ${lim.maxMetadataBytes})`);
    }
    // yauzl checks the inflated size against the declared one (validateEntrySizes).
    const stream = await zip.openReadStreamPromise(metadata);
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw invalid(filename, `not a readable zip archive (${errorText(error)})`, error);
  } finally {
    zip.close();
    await handle.close();
  }
}

async function* zipEntries(zip: ZipFile): AsyncGenerator<Entry> {
  for (;;) {
    const entry = await new Promise<Entry | null>((resolve, reject) => {
      const onEntry = (e: Entry): void => done(e);
      const onEnd = (): void => done(null);
      const onError = (err: unknown): void => {
        cleanup();
        reject(err instanceof Error ? err : new Error(String(err)));
      };
      const cleanup = (): void => {
        zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
      };
      const done = (e: Entry | null): void => {
        cleanup();
        resolve(e);
      };
      zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
      zip.readEntry();
    });
    if (entry === null) return;
    yield entry;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
