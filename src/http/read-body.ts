import type { IncomingMessage } from 'node:http';

export type ReadBodyResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly status: 413 | 400; readonly reason: string };

/**
 * Reads a request body into memory, never more than maxBytes of it.
 *
 * A declared Content-Length over the limit is refused before a byte is read. A chunked
 * (or lying) body is counted while it streams and abandoned the moment it passes the
 * limit: the chunks read so far are dropped and the stream is paused, so an oversized
 * body is never held. The caller answers 413 with `Connection: close`; Node then closes
 * the socket once the answer is written instead of draining the rest (see
 * gitlabWebhookHandler). An aborted or failed request resolves to 400; this never
 * rejects.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<ReadBodyResult> {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    // Node's parser already refuses most malformed values; this catches the rest.
    if (!/^\d+$/.test(declared)) return Promise.resolve(failure(400, 'invalid Content-Length'));
    if (Number(declared) > maxBytes) return Promise.resolve(failure(413, 'body too large'));
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

    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes) {
        chunks = [];
        req.pause();
        finish(failure(413, 'body too large'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish({ ok: true, body: Buffer.concat(chunks, received) });
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

function failure(status: 413 | 400, reason: string): ReadBodyResult {
  return { ok: false, status, reason };
}

function ignore(): void {}
