import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, sendJson } from '../../src/http/server.js';
import type { Server } from 'node:http';
import { createLogger } from '../../src/logger.js';

/** The connection cap: what strangers can open is bounded, and the cap frees as they go. */
const logLines: string[] = [];
let server: Server;
let port: number;

beforeAll(async () => {
  const log = createLogger('info', { write: (line: string) => void logLines.push(line) });
  server = createHttpServer([{ method: 'GET', path: '/healthz', handler: (_req, res) => sendJson(res, 200, { status: 'ok' }) }], log, [], { maxConnections: 5 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Opens a socket and resolves once it is connected; `answer` resolves with what a GET /healthz on it got (empty: closed unanswered). */
function open(): Promise<{ socket: Socket; answer: () => Promise<string> }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    socket.once('connect', () =>
      resolve({
        socket,
        answer: () =>
          new Promise((done) => {
            let text = '';
            socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
            socket.once('close', () => done(text));
            socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
          }),
      }),
    );
  });
}

describe('createHttpServer with maxConnections', () => {
  it('closes connections past the cap unanswered, warns once, and takes new ones when others close', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => open()));
    // The server counts a connection once it has accepted it: let it catch up.
    await new Promise((r) => setTimeout(r, 100));
    const extra = await open();
    expect(await extra.answer()).toBe('');
    expect(logLines.filter((l) => l.includes('too many open connections'))).toHaveLength(1);
    expect(await held[0]?.answer()).toMatch(/^HTTP\/1\.1 200/);
    for (const h of held.slice(1)) h.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(await (await open()).answer()).toMatch(/^HTTP\/1\.1 200/);
  });
});
