import { open, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppError } from '../errors.js';

/** Default cap on a source archive download; the extractor has its own limits on inflated bytes. */
export const ARCHIVE_DOWNLOAD_LIMIT = 200 * 1024 * 1024;

class Capped extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      done(new AppError('archive-too-large', `the source archive is larger than ${this.limit} bytes`, { details: { limit: this.limit } }));
      return;
    }
    done(null, chunk);
  }
}

export function isWebStream(body: unknown): body is WebReadableStream<Uint8Array> {
  return body !== null && typeof body === 'object' && typeof (body as { getReader?: unknown }).getReader === 'function';
}

/**
 * Streams a forge's response body to destFile without holding the archive in memory.
 * Past `limit` bytes it stops, removes the partial file and throws archive-too-large;
 * a broken download removes the partial file and is retryable.
 */
export async function streamToFile(body: unknown, destFile: string, limit: number, from: string): Promise<void> {
  if (!isWebStream(body)) throw new AppError('source-unavailable', `${from} sent no archive body`, { retryable: true });
  // Opened before streaming: a stream that opens its file lazily could create it after
  // a failed download had already removed it (a partial file left behind).
  const handle = await open(destFile, 'w');
  try {
    await pipeline(Readable.fromWeb(body), new Capped(limit), handle.createWriteStream());
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(destFile, { force: true });
    if (error instanceof AppError) throw error;
    throw new AppError('source-unavailable', `the archive download from ${from} broke off`, { retryable: true });
  }
}
