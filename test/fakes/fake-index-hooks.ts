// A loopback proxy in front of the fake index's upload URL that lets a test act at the
// moments a fault matters: when an upload request has arrived (and is still in flight),
// and after the index stored a file but before its answer reaches the client. The fake
// index itself stays as honest as it is; reads go to it directly.
import { createServer, request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the proxy does with one upload:
 *   pass:          forward it and relay the answer;
 *   hold:          keep the request open and forward nothing (an index that hangs);
 *   lose-answer:   forward it, let the index store the file, never answer the client;
 *   gate:          wait until `release()` is called, then pass.
 */
export type UploadPlan = 'pass' | 'hold' | 'lose-answer' | 'gate';

export interface UploadArrival {
  /** 1 for the first upload through the proxy. */
  readonly n: number;
  readonly plan: UploadPlan;
  /** For 'gate': lets the upload go on to the index. */
  release(): void;
  /** For 'lose-answer': resolves once the index has answered (the file is stored). */
  readonly upstreamDone: Promise<number>;
}

export interface UploadHooks {
  readonly uploadUrl: string;
  /** Plans for the next uploads, in order; uploads past the list pass. */
  plan(...plans: UploadPlan[]): void;
  /** Resolves when upload number `n` (1-based) has arrived at the proxy. */
  arrival(n: number): Promise<UploadArrival>;
  close(): Promise<void>;
}

export async function hookUploads(uploadUrl: string): Promise<UploadHooks> {
  const upstream = new URL(uploadUrl);
  const plans: UploadPlan[] = [];
  const arrivals: UploadArrival[] = [];
  const waiting = new Map<number, Array<(a: UploadArrival) => void>>();
  let count = 0;

  const forward = (req: IncomingMessage, res: ServerResponse | null): Promise<number> =>
    new Promise((resolve) => {
      const out = request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          if (res === null) {
            answer.resume();
            answer.on('end', () => resolve(answer.statusCode ?? 0));
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
          answer.pipe(res);
          answer.on('end', () => resolve(answer.statusCode ?? 0));
        },
      );
      out.on('error', () => {
        if (res !== null && !res.headersSent) res.writeHead(502).end();
        resolve(0);
      });
      req.pipe(out);
    });

  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      req.resume();
      res.writeHead(405).end();
      return;
    }
    count += 1;
    const plan = plans.shift() ?? 'pass';
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let upstreamDone: Promise<number> = Promise.resolve(0);
    if (plan === 'pass') upstreamDone = forward(req, res);
    else if (plan === 'lose-answer') upstreamDone = forward(req, null);
    else if (plan === 'gate') upstreamDone = released.then(() => forward(req, res));
    // 'hold': the body stays unread, so the client sees a request that never ends.
    const arrival: UploadArrival = { n: count, plan, release, upstreamDone };
    arrivals.push(arrival);
    for (const resolve of waiting.get(count) ?? []) resolve(arrival);
    waiting.delete(count);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    uploadUrl: `http://127.0.0.1:${port}${upstream.pathname}`,
    plan: (...more) => void plans.push(...more),
    arrival: (n) => {
      const seen = arrivals[n - 1];
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiting.set(n, [...(waiting.get(n) ?? []), resolve]));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
