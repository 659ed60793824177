import { connect } from 'node:net';

/**
 * A POST written by hand on a raw socket to 127.0.0.1, so that a test controls exactly
 * what reaches the server and when: the headers, then (unless `total` is 0) the body in
 * `chunkBytes` pieces every `intervalMs`, declared up front (Content-Length) or chunked.
 * It stops writing as soon as the server answers or closes, and reports how many body
 * bytes it had written by then: a server that refuses from the headers gets none.
 */
export interface SlowPostOptions {
  readonly port: number;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Body bytes to send; declared as Content-Length unless `chunked`. */
  readonly total: number;
  readonly chunked?: boolean;
  /** 0: declare the length but send no body until the answer (or `stop`). */
  readonly chunkBytes?: number;
  readonly intervalMs?: number;
  /** The byte every body byte is (a space by default). */
  readonly fill?: number;
}

export interface SlowPost {
  /** The status line's code once the answer starts; null when the server closed without one. */
  readonly answered: Promise<{ status: number | null; head: string; sentBeforeAnswer: number }>;
  /** Resolves once the socket is closed, by either side. */
  readonly closed: Promise<void>;
  sent(): number;
  stop(): void;
}

export function slowPost(options: SlowPostOptions): SlowPost {
  const { port, path, headers, total, chunked = false, chunkBytes = 64 * 1024, intervalMs = 20, fill = 0x20 } = options;
  const socket = connect({ host: '127.0.0.1', port });
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  let response = '';
  let settle: (value: { status: number | null; head: string; sentBeforeAnswer: number }) => void = () => {};
  const answered = new Promise<{ status: number | null; head: string; sentBeforeAnswer: number }>((resolve) => (settle = resolve));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const stopSending = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };

  socket.on('error', () => {});
  socket.on('data', (data: Buffer) => {
    stopSending();
    response += data.toString('latin1');
    const end = response.indexOf('\r\n\r\n');
    if (end >= 0) settle({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0), head: response.slice(0, end).toLowerCase(), sentBeforeAnswer: sent });
  });
  socket.once('close', () => {
    stopSending();
    settle({ status: null, head: '', sentBeforeAnswer: sent });
  });

  socket.once('connect', () => {
    const head = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${total}`];
    for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
    if (chunkBytes === 0 || total === 0) return;
    const piece = Buffer.alloc(chunkBytes, fill);
    // Bounded: at most total / chunkBytes ticks, fewer when the server answers first.
    timer = setInterval(() => {
      if (socket.destroyed || sent >= total) return stopSending();
      const bytes = piece.subarray(0, Math.min(chunkBytes, total - sent));
      sent += bytes.length;
      if (chunked) socket.write(`${bytes.length.toString(16)}\r\n`);
      socket.write(bytes);
      if (chunked) socket.write(sent >= total ? '\r\n0\r\n\r\n' : '\r\n');
    }, intervalMs);
  });

  return {
    answered,
    closed,
    sent: () => sent,
    stop: () => {
      stopSending();
      socket.destroy();
    },
  };
}
