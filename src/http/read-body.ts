import type { IncomingMessage } from 'node:http';
import type { BodyLease } from './body-budget.js';

export type ReadBodyResult =
  | {
      readonly ok: true;
      readonly length: number;
      /** The body in one buffer, made on demand: a body that fails authentication is never copied. */
      body(): Buffer;
    }
  | { readonly ok: false; readonly status: 413 | 400 | 503; readonly reason: string };

export interface ReadBodyOptions {
  readonly maxBytes: number;
  /** Where the bytes are counted: the process-wide budget (body-budget.ts). */
  readonly lease: BodyLease;
  /** Sees every chunk as it arrives (a signature computed while the body streams). */
  readonly onChunk?: (chunk: Buffer) => void;
}

/**
 * Reads a request body, never more than maxBytes of it and never past the budget.
 *
 * A declared Content-Length over the limit is refused (413), and one the budget cannot
 * hold is refused (503), before a byte is read; a declared length is leased whole, up
 * front, so a slow sender holds its place rather than the process's memory growing under
 * it. A chunked (or lying) body is counted and leased while it streams and abandoned the
 * moment it passes the limit or the budget: the chunks read so far are dropped and the
 * stream is paused, so an oversized body is never held. The caller answers with
 * `Connection: close`; Node then closes the socket once the answer is written instead of
 * draining the rest. An aborted or failed request resolves to 400; this never rejects.
 * The caller releases the lease once it is done with the body.
 */
export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<ReadBodyResult> {
  const { maxBytes, lease, onChunk } = options;
  const declared = req.headers['content-length'];
  let leasedUpFront = false;
  if (declared !== undefined) {
    // Node's parser already refuses most malformed values; this catches the rest.
    if (!/^\d+$/.test(declared)) return Promise.resolve(failure(400, 'invalid Content-Length'));
    if (Number(declared) > maxBytes) return Promise.resolve(failure(413, 'body too large'));
    if (!lease.grow(Number(declared))) return Promise.resolve(failure(503, 'busy'));
    leasedUpFront = true;
  }

  return new Promise<ReadBodyResult>((resolve) => {
    let chunks: Buffer[] = [];
    let received = 0;
    let settled = false;

    const finish = (result: ReadBodyResult): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      // Keep a no-op error listener: a reset after we stopped reading must not crash.
      req.on('error', ignore);
      resolve(result);
    };
    const refuse = (status: 413 | 503, reason: string): void => {
      chunks = [];
      req.pause();
      finish(failure(status, reason));
    };

    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes) return refuse(413, 'body too large');
      if (!leasedUpFront && !lease.grow(chunk.length)) return refuse(503, 'busy');
      onChunk?.(chunk);
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const length = received;
      let whole: Buffer | undefined;
      finish({
        ok: true,
        length,
        body: () => {
          whole ??= Buffer.concat(chunks, length);
          chunks = [];
          return whole;
        },
      });
    };
    const onError = (): void => finish(failure(400, 'request aborted'));
    // 'close' before 'end' means the client went away mid-body.
    const onClose = (): void => {
      if (!req.complete) finish(failure(400, 'request aborted'));
    };

    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function failure(status: 413 | 400 | 503, reason: string): ReadBodyResult {
  return { ok: false, status, reason };
}

function ignore(): void {}
