import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { inspectDistribution } from '../../src/publishing/inspect.js';
import type { DistInfo } from '../../src/publishing/inspect.js';
import { redact, retryAfterSeconds, uploadDistribution } from '../../src/publishing/upload-client.js';
import { uploadFields } from '../../src/publishing/upload-form.js';
import { parseMultipart, textFields } from '../helpers/multipart.js';
import { startRecordingServer } from '../helpers/recording-server.js';
import type { RecordingServer } from '../helpers/recording-server.js';
import { sampleDists } from '../helpers/sample-dists.js';

let server: RecordingServer;
let info: DistInfo;
// A fresh random secret per run: if it shows up anywhere, it leaked.
const password = `pypi-${randomBytes(24).toString('base64url')}`;
const username = '__token__';

beforeAll(async () => {
  info = await inspectDistribution((await sampleDists('1.2.3', 'sample-pkg')).wheel);
  server = await startRecordingServer();
}, 60_000);
afterAll(async () => server?.close());

function upload(overrides: Partial<Parameters<typeof uploadDistribution>[0]> = {}) {
  return uploadDistribution({ uploadUrl: `${server.url}/legacy/`, username, password, info, timeoutMs: 5_000, ...overrides });
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

function assertNoSecret(error: AppError): void {
  const everything = JSON.stringify({ message: error.message, details: error.details, stack: error.stack });
  const basic = Buffer.from(`${username}:${password}`).toString('base64');
  expect(everything).not.toContain(password);
  expect(everything).not.toContain(basic);
}

describe('uploadDistribution', () => {
  it('POSTs the twine form and the file, with Basic auth and our User-Agent', async () => {
    server.handler = () => ({ status: 200, body: 'OK' });
    const result = await upload();
    expect(result).toEqual({ status: 200, body: 'OK' });
    const request = server.requests.at(-1);
    if (request === undefined) throw new Error('no request');
    expect([request.method, request.path]).toEqual(['POST', '/legacy/']);
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);
    expect(request.headers['user-agent']).toMatch(/^pyrelease\/\d+\.\d+\.\d+/);
    const parts = parseMultipart(request.body, request.headers['content-type']);
    expect(textFields(parts)).toEqual(uploadFields(info));
    const file = parts.at(-1);
    expect([file?.name, file?.filename, file?.contentType, file?.data.length]).toEqual(['content', info.filename, 'application/octet-stream', info.size]);
    expect(Number(request.headers['content-length'])).toBe(request.body.length);
  });

  it('onProgress counts the whole body, and the body still goes with a Content-Length, not chunked', async () => {
    server.handler = () => ({ status: 200, body: 'OK' });
    const calls: Array<[number, number]> = [];
    await upload({ onProgress: (sent, total) => void calls.push([sent, total]) });
    const request = server.requests.at(-1);
    if (request === undefined) throw new Error('no request');
    expect(request.headers['transfer-encoding']).toBeUndefined();
    expect(Number(request.headers['content-length'])).toBe(request.body.length);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.at(-1)).toEqual([request.body.length, request.body.length]);
    expect(calls.map(([sent]) => sent)).toEqual([...calls.map(([sent]) => sent)].sort((a, b) => a - b));
    const file = parseMultipart(request.body, request.headers['content-type']).at(-1);
    expect(file?.data.length).toBe(info.size);
  });

  it('keeps newlines in values as they are (FormData would send CRLF)', async () => {
    server.handler = () => ({ status: 200 });
    await upload();
    const request = server.requests.at(-1);
    const description = textFields(parseMultipart(request?.body ?? Buffer.alloc(0), request?.headers['content-type'])).find(([k]) => k === 'description');
    expect(description?.[1]).toBe('# Sample\n\nHello from a test.\n');
  });

  it.each([
    { status: 201, code: null, retryable: null },
    { status: 301, code: 'index-refused', retryable: false },
    { status: 308, code: 'index-refused', retryable: false },
    { status: 400, code: 'index-refused', retryable: false },
    { status: 401, code: 'index-auth', retryable: false },
    { status: 403, code: 'index-auth', retryable: false },
    { status: 409, code: 'index-refused', retryable: false },
    { status: 413, code: 'index-refused', retryable: false },
    { status: 429, code: 'index-unavailable', retryable: true },
    { status: 500, code: 'index-unavailable', retryable: true },
    { status: 503, code: 'index-unavailable', retryable: true },
  ])('status $status -> $code', async ({ status, code, retryable }) => {
    // The index echoes the Authorization header and the password back: none of it may leak.
    server.handler = (req) => ({
      status,
      body: `Error: File already exists. auth=${String(req.headers.authorization)} pw=${password}`,
      headers: status >= 300 && status < 400 ? { location: `https://elsewhere.invalid/?t=${password}` } : {},
    });
    if (code === null) {
      const result = await upload();
      expect(result.status).toBe(status);
      expect(result.body).not.toContain(password);
      return;
    }
    const error = await failure(upload());
    expect([error.code, error.retryable]).toEqual([code, retryable]);
    expect(error.details['status']).toBe(status);
    // The reason is kept for people, bounded and redacted.
    expect(String(error.details['reason'])).toContain('File already exists');
    expect(String(error.details['reason']).length).toBeLessThanOrEqual(500);
    if (status >= 300 && status < 400) expect(error.message).toMatch(/upload URL is probably wrong/);
    assertNoSecret(error);
  });

  it('"already exists" in a 400 is not special: it stays a refusal', async () => {
    server.handler = () => ({ status: 400, body: '400 File already exists. See https://pypi.org/help/#file-name-reuse' });
    expect((await failure(upload())).code).toBe('index-refused');
  });

  it('truncates a long answer to 500 characters', async () => {
    server.handler = () => ({ status: 400, body: 'x'.repeat(10_000) });
    const error = await failure(upload());
    expect(String(error.details['reason']).length).toBe(500);
    expect(error.message.length).toBeLessThan(800);
  });

  it.each([
    ['120', 120],
    ['0', 0],
    ['soon', null],
  ])('Retry-After %j -> %j', async (header, seconds) => {
    server.handler = () => ({ status: 503, headers: { 'retry-after': header } });
    expect((await failure(upload())).details['retryAfterSeconds']).toBe(seconds);
  });

  it.each([
    [429, true],
    [503, undefined],
  ])('a %i with Retry-After is marked as a rate limit: %j', async (status, rateLimited) => {
    server.handler = () => ({ status, headers: { 'retry-after': '30' } });
    const error = await failure(upload());
    expect([error.code, error.retryable, error.details['retryAfterSeconds'], error.details['rateLimited']]).toEqual(['index-unavailable', true, 30, rateLimited]);
  });

  it('reads Retry-After dates', () => {
    expect(retryAfterSeconds('Wed, 21 Oct 2099 07:28:10 GMT', Date.parse('Wed, 21 Oct 2099 07:28:00 GMT'))).toBe(10);
    expect(retryAfterSeconds(null)).toBeNull();
  });

  it('a refused connection is a retryable network error', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as AddressInfo;
        probe.close(() => resolve(p));
      });
    });
    const error = await failure(upload({ uploadUrl: `http://127.0.0.1:${port}/legacy/` }));
    expect([error.code, error.retryable]).toEqual(['network', true]);
    assertNoSecret(error);
  });

  it('a silent index times out as a retryable network error', async () => {
    server.handler = () => new Promise(() => undefined);
    const error = await failure(upload({ timeoutMs: 300 }));
    expect([error.code, error.retryable, error.details['timedOut']]).toEqual(['network', true, true]);
  });

  it.each(['http://user:secret@127.0.0.1/legacy/', 'ftp://127.0.0.1/', 'not a url'])('refuses the upload URL %j', async (uploadUrl) => {
    const error = await failure(upload({ uploadUrl }));
    expect(error.code).toBe('config-invalid');
    expect(error.message).not.toContain('secret');
  });

  it('redact removes the password, its URL and base64 forms and the Basic credentials', () => {
    const pw = 'p@ss/wörd+=';
    const text = [pw, encodeURIComponent(pw), Buffer.from(pw).toString('base64'), Buffer.from(`u:${pw}`).toString('base64')].join(' ');
    expect(redact(text, 'u', pw)).toBe('[redacted] [redacted] [redacted] [redacted]');
  });
});
