import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A GitLab that never answers until told to: every request but the bot user's (read once at
 * start, GET /api/v4/user) is held, so a job that asks it something keeps running. `release()` answers the held ones and all later ones 404 (the
 * project is gone), which ends such a job with a failure that is not retried in place.
 */
export interface HeldForge {
  readonly url: string;
  /** Resolves with the first request whose path matches. */
  requested(pattern: RegExp): Promise<string>;
  release(): void;
  close(): Promise<void>;
}

export async function startHeldForge(): Promise<HeldForge> {
  const held: ServerResponse[] = [];
  const seen: string[] = [];
  const waiters = new Set<() => void>();
  let released = false;
  const notFound = (res: ServerResponse): void => {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"404 Project Not Found"}');
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(req.url ?? '/');
    for (const w of waiters) w();
    if (req.url === '/api/v4/user') res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":99,"username":"pyrelease-bot"}');
    else if (released) notFound(res);
    else held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requested: (pattern) =>
      new Promise((resolve) => {
        const check = (): void => {
          const hit = seen.find((p) => pattern.test(p));
          if (hit === undefined) return;
          waiters.delete(check);
          resolve(hit);
        };
        waiters.add(check);
        check();
      }),
    release() {
      released = true;
      for (const res of held.splice(0)) notFound(res);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
