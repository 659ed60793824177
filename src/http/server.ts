import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly handler: Handler;
}

/**
 * A sub-application mounted under a path prefix, for every method: the queue dashboard,
 * whose pages, assets and API all live below one path. Exact routes win over mounts.
 */
export interface Mount {
  readonly prefix: string;
  readonly handler: Handler;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export interface ServerLimits {
  /** Open connections at once; Node closes further ones as they arrive. */
  readonly maxConnections: number;
}

/**
 * A plain node:http server: few routes, no framework, so the webhook path stays short
 * and its limits (body size, timeouts, connections) are ours to set. Unknown paths are
 * 404, wrong methods 405, and a handler that throws is a 500 without details.
 */
export function createHttpServer(routes: readonly Route[], log: Logger, mounts: readonly Mount[] = [], limits?: ServerLimits): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const matching = routes.filter((r) => r.path === path);
    const mount = matching.length === 0 ? mounts.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`)) : undefined;
    const route = mount === undefined ? matching.find((r) => r.method === req.method) : { handler: mount.handler };
    if (route === undefined) {
      req.resume();
      if (matching.length > 0) sendJson(res, 405, { error: 'method not allowed' }, { allow: matching.map((r) => r.method).join(', ') });
      else sendJson(res, 404, { error: 'not found' });
      return;
    }
    Promise.resolve()
      .then(() => route.handler(req, res))
      .catch((error: unknown) => {
        log.error({ path, err: error instanceof Error ? error.message : String(error) }, 'request handler failed');
        sendJson(res, 500, { error: 'internal error' });
      });
  });
  // Slow senders must not hold sockets forever: a webhook body arrives in seconds.
  server.headersTimeout = 15_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  // Each connection costs memory before any handler runs (socket buffers, a parser, up to
  // 16 KiB of headers): with a cap, what strangers can open is bounded too. Connections
  // past it are closed at once (and counted in the log), not queued.
  if (limits !== undefined) {
    server.maxConnections = limits.maxConnections;
    let dropped = 0;
    server.on('drop', () => {
      dropped += 1;
      // One line per 100: a flood must not become a flood of log lines.
      if (dropped % 100 === 1) log.warn({ maxConnections: limits.maxConnections, dropped }, 'connection refused: too many open connections');
    });
  }
  return server;
}

export function listen(server: Server, port: number, host: string): Promise<{ port: number; host: string }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve({ port: typeof address === 'object' && address !== null ? address.port : port, host });
    });
  });
}
