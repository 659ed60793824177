import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { forgeFetch } from '../../src/platforms/forge-fetch.js';
import { freePort } from '../helpers/redis-server.js';

let server: Server;
let url: string;

beforeAll(async () => {
  // /slow never answers; anything else answers 418 with the header it was sent.
  server = createServer((req, res) => {
    if (req.url === '/slow') return;
    res.writeHead(418, { 'x-seen': String(req.headers['x-probe']) }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('forgeFetch', () => {
  it('returns the answer, whatever its status, with the headers sent', async () => {
    const res = await forgeFetch(`${url}/x`, { headers: { 'x-probe': 'yes' } }, 'GET /x', 2000);
    expect(res.status).toBe(418);
    expect(res.headers.get('x-seen')).toBe('yes');
  });

  it('is a retryable forge-unavailable when nothing listens', async () => {
    const error = await forgeFetch(`http://127.0.0.1:${await freePort()}/`, { headers: {} }, 'GET /api/v4/user', 2000).catch((e: unknown) => e);
    expect(isAppError(error) && error.code === 'forge-unavailable' && error.retryable).toBe(true);
    expect((error as Error).message).toBe('could not reach the forge for GET /api/v4/user');
  });

  it('is a retryable forge-unavailable when no answer comes within the time', async () => {
    const started = Date.now();
    const error = await forgeFetch(`${url}/slow`, { headers: {} }, 'GET /app', 200).catch((e: unknown) => e);
    expect(isAppError(error) && error.code === 'forge-unavailable' && error.retryable).toBe(true);
    expect((error as Error).message).toBe('GET /app got no answer within 200 ms');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
