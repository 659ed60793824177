// A fake package index on 127.0.0.1 that records every request (method, path, headers,
// raw body) and answers with whatever the test's handler says. Honest to the legacy
// upload API: twine and our client both talk to it.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface Reply {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (request: RecordedRequest) => Reply | Promise<Reply>;

export interface RecordingServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  handler: Handler;
  close(): Promise<void>;
}

export async function startRecordingServer(handler: Handler = () => ({ status: 200, body: 'OK' })): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const state = { handler };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(recorded);
      Promise.resolve(state.handler(recorded)).then(
        (reply) => {
          res.writeHead(reply.status, { 'content-type': 'text/plain; charset=utf-8', ...(reply.headers ?? {}) });
          res.end(reply.body ?? '');
        },
        (error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get handler() {
      return state.handler;
    },
    set handler(h: Handler) {
      state.handler = h;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
