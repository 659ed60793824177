import { Readable } from 'node:stream';
import { isWebStream, streamToFile } from '../stream-to-file.js';

export { ARCHIVE_DOWNLOAD_LIMIT } from '../stream-to-file.js';

/** gitbeaker's `asStream: true` hands back the fetch body. */
export function streamArchiveToFile(body: unknown, destFile: string, limit: number): Promise<void> {
  return streamToFile(body, destFile, limit, 'GitLab');
}

/** Reads a streamed body as UTF-8 text, up to limit bytes (more: null, treated as unreadable). */
export async function streamToText(body: unknown, limit: number): Promise<string | null> {
  if (typeof body === 'string') return body.length > limit ? null : body;
  if (!isWebStream(body)) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of Readable.fromWeb(body)) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) return null;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
