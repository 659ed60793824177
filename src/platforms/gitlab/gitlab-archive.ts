import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppError } from '../../errors.js';

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

/**
 * Streams a response body (gitbeaker's `asStream: true` hands back the fetch body) to
 * destFile without holding the archive in memory; past `limit` bytes it stops, removes
 * the partial file and throws archive-too-large.
 */
export async function streamToFile(body: unknown, destFile: string, limit: number): Promise<void> {
  if (body === null || typeof body !== 'object' || typeof (body as { getReader?: unknown }).getReader !== 'function') {
    throw new AppError('source-unavailable', 'GitLab sent no archive body', { retryable: true });
  }
  try {
    await pipeline(Readable.fromWeb(body as WebReadableStream<Uint8Array>), new Capped(limit), createWriteStream(destFile));
  } catch (error) {
    await rm(destFile, { force: true });
    if (error instanceof AppError) throw error;
    throw new AppError('source-unavailable', 'the archive download from GitLab broke off', { retryable: true });
  }
}

/** Reads a streamed body as UTF-8 text, up to limit bytes (more: null, treated as unreadable). */
export async function streamToText(body: unknown, limit: number): Promise<string | null> {
  if (typeof body === 'string') return body.length > limit ? null : body;
  if (body === null || typeof body !== 'object' || typeof (body as { getReader?: unknown }).getReader !== 'function') return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of Readable.fromWeb(body as WebReadableStream<Uint8Array>)) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) return null;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
