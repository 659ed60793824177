import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { OutgoingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RepoEvent } from '../../../src/core/events.js';
import { AppError } from '../../../src/errors.js';
import { createLogger } from '../../../src/logger.js';
import { gitlabWebhookHandler } from '../../../src/platforms/gitlab/receiver.js';
import { signStandardWebhook } from '../../../src/platforms/gitlab/webhook-auth.js';

// Fresh random secrets per run: if one shows up in a response or a log line, it leaked.
const TOKEN = `glwht-${randomBytes(18).toString('base64url')}`;
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const MAX = 64 * 1024;
const NOW_MS = 1_750_000_000_000;
const NOW_S = NOW_MS / 1000;

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/gitlab/${name}.json`, import.meta.url), 'utf8');
const tagPush = fixture('tag-push');

let server: Server;
let url: string;
const logLines: string[] = [];
const seen: string[] = [];
const enqueued: RepoEvent[] = [];
let enqueue: (event: RepoEvent) => Promise<{ jobId: string; created: boolean }>;

const accept = async (event: RepoEvent) => {
  enqueued.push(event);
  return { jobId: `job-${enqueued.length}`, created: true };
};

beforeAll(async () => {
  const log = createLogger('info', { write: (line: string) => void logLines.push(line) });
  const handler = gitlabWebhookHandler({
    auth: { tokens: ['old-token-being-rotated', TOKEN], signingSecrets: [SECRET], toleranceSeconds: 300 },
    maxBodyBytes: MAX,
    botUserId: 4242,
    botUsername: 'pyrelease-bot',
    enqueue: (event) => enqueue(event),
    log,
    now: () => NOW_MS,
  });
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/gitlab`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  enqueued.length = 0;
  logLines.length = 0;
  enqueue = accept;
});

async function post(body: string | Buffer, headers: Record<string, string>, method = 'POST') {
  const response = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, ...(method === 'GET' ? {} : { body }) });
  const text = await response.text();
  seen.push(text, JSON.stringify([...response.headers]));
  return { status: response.status, json: text === '' ? null : (JSON.parse(text) as unknown), headers: response.headers };
}

const withToken = (event: string, extra: Record<string, string> = {}) => ({ 'x-gitlab-event': event, 'x-gitlab-token': TOKEN, ...extra });

function lastLog(): Record<string, unknown> {
  expect(logLines).toHaveLength(1);
  seen.push(...logLines);
  return JSON.parse(logLines[0] as string) as Record<string, unknown>;
}

describe('gitlabWebhookHandler', () => {
  it('answers 405 to anything but POST', async () => {
    const res = await post('', {}, 'GET');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(lastLog()).toMatchObject({ outcome: 'method', status: 405 });
  });

  it('queues a documented tag push and answers with the job id', async () => {
    const res = await post(tagPush, withToken('Tag Push Hook', { 'idempotency-key': 'f2b5c1c0-1e7a-4f0e-9a55-6f1c0d1e2f3a' }));
    expect(res).toMatchObject({ status: 200, json: { status: 'queued', job: 'job-1' } });
    expect(enqueued).toEqual([
      {
        kind: 'tag-pushed',
        repo: { platform: 'gitlab', id: '1', path: 'jsmith/example', defaultBranch: 'master' },
        tag: 'v1.0.0',
        sha: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
        protected: true,
        meta: { deliveryId: 'f2b5c1c0-1e7a-4f0e-9a55-6f1c0d1e2f3a', installationId: null },
      },
    ]);
    const line = lastLog();
    expect(line).toMatchObject({ level: 30, outcome: 'queued', status: 200, delivery: 'f2b5c1c0-1e7a-4f0e-9a55-6f1c0d1e2f3a', event: 'Tag Push Hook', repo: 'jsmith/example', auth: 'token' });
    expect(typeof line['latencyMs']).toBe('number');
  });

  const bodyDigest = `sha256-${createHash('sha256').update(tagPush).digest('hex')}`;
  it.each([
    ['Idempotency-Key first', { 'idempotency-key': 'idem-1', 'x-gitlab-event-uuid': 'uuid-1' }, 'idem-1'],
    ['then X-Gitlab-Event-UUID', { 'x-gitlab-event-uuid': 'uuid-1' }, 'uuid-1'],
    ['then a digest of the body', {}, bodyDigest],
    ['an unsafe Idempotency-Key is skipped', { 'idempotency-key': 'a:b', 'x-gitlab-event-uuid': 'uuid-2' }, 'uuid-2'],
    ['an overlong one too', { 'idempotency-key': 'x'.repeat(129) }, bodyDigest],
  ])('delivery id: %s', async (_name, headers, expected) => {
    await post(tagPush, withToken('Tag Push Hook', headers));
    expect(enqueued[0]?.meta.deliveryId).toBe(expected);
  });

  it('authenticates a Standard Webhooks signature without a token', async () => {
    const id = 'msg-0001';
    const signature = signStandardWebhook(SECRET, id, NOW_S, tagPush);
    const res = await post(tagPush, { 'x-gitlab-event': 'Tag Push Hook', 'webhook-id': id, 'idempotency-key': id, 'webhook-timestamp': String(NOW_S), 'webhook-signature': signature });
    expect(res).toMatchObject({ status: 200, json: { status: 'queued' } });
    expect(lastLog()).toMatchObject({ auth: 'signature', delivery: id });
  });

  const badSignature = signStandardWebhook(`whsec_${randomBytes(32).toString('base64')}`, 'msg-2', NOW_S, tagPush);
  it.each([
    ['no credentials', { 'x-gitlab-event': 'Tag Push Hook' }, 'missing'],
    ['wrong token', { 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': `${TOKEN.slice(0, -1)}!` }, 'mismatch'],
    ['token of another length', { 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': TOKEN.slice(0, 8) }, 'mismatch'],
    ['right token, bad signature', withToken('Tag Push Hook', { 'webhook-id': 'msg-2', 'webhook-timestamp': String(NOW_S), 'webhook-signature': badSignature }), 'mismatch'],
    ['expired signature', { 'x-gitlab-event': 'Tag Push Hook', 'webhook-id': 'm', 'webhook-timestamp': String(NOW_S - 301), 'webhook-signature': signStandardWebhook(SECRET, 'm', NOW_S - 301, tagPush) }, 'expired'],
  ])('401 with nothing else happening: %s', async (_name, headers, reason) => {
    const marker = `body-marker-${randomBytes(6).toString('hex')}`;
    const body = tagPush.replace('"John Smith"', JSON.stringify(marker));
    const res = await post(body, headers);
    expect(res).toMatchObject({ status: 401, json: { status: 'unauthorized' } });
    expect(enqueued).toEqual([]);
    const line = lastLog();
    expect(line).toMatchObject({ outcome: 'unauthorized', status: 401, reason });
    // Unauthenticated input is not even echoed: no delivery id, event or project.
    expect(line).not.toHaveProperty('delivery');
    expect(line).not.toHaveProperty('repo');
    expect(logLines[0]).not.toContain(marker);
  });

  it('authenticates before it parses: broken JSON without credentials is a 401, not a 400', async () => {
    const res = await post('{"object_kind": "tag_pu', { 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': 'guess' });
    expect(res.status).toBe(401);
    expect(lastLog()).toMatchObject({ outcome: 'unauthorized' });
  });

  it('answers 400 to truncated JSON', async () => {
    const res = await post(tagPush.slice(0, 200), withToken('Tag Push Hook'));
    expect(res).toMatchObject({ status: 400, json: { status: 'invalid', reason: 'malformed JSON' } });
    expect(enqueued).toEqual([]);
    expect(lastLog()).toMatchObject({ outcome: 'malformed-json', status: 400 });
  });

  it.each([
    ['unknown event', 'Wiki Page Hook', '{"object_kind":"wiki_page"}', 'event "Wiki Page Hook" is not handled'],
    ['system hook', 'System Hook', tagPush, 'event "System Hook" is not handled'],
    ['tag deletion', 'Tag Push Hook', tagPush.replace('"after": "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7"', `"after": "${'0'.repeat(40)}"`), 'tag deleted'],
    [
      'own note',
      'Note Hook',
      fixture('note-merge-request').replace('"note": "This MR needs work."', '"note": "/pyrelease check"').replace('"author_id": 1,', '"author_id": 4242,'),
      'own note',
    ],
    ['release', 'Release Hook', fixture('release'), 'release events are handled by the self-hosted tagging feature'],
  ])('answers 200 ignored: %s', async (_name, event, body, reason) => {
    const res = await post(body, withToken(event));
    expect(res).toMatchObject({ status: 200, json: { status: 'ignored', reason } });
    expect(enqueued).toEqual([]);
    expect(lastLog()).toMatchObject({ level: 30, outcome: 'ignored', reason });
  });

  it('answers 200 ignored to an authenticated payload it cannot map, and warns', async () => {
    const res = await post('{"object_kind":"tag_push","ref":"refs/tags/v1"}', withToken('Tag Push Hook'));
    expect(res).toMatchObject({ status: 200, json: { status: 'ignored' } });
    expect(enqueued).toEqual([]);
    expect(lastLog()).toMatchObject({ level: 40, outcome: 'unmappable', status: 200 });
  });

  it('queues a /pyrelease check note from a person', async () => {
    const body = fixture('note-merge-request').replace('"note": "This MR needs work."', '"note": "/pyrelease check"');
    const res = await post(body, withToken('Note Hook'));
    expect(res).toMatchObject({ status: 200, json: { status: 'queued' } });
    expect(enqueued[0]).toMatchObject({ kind: 'change-request', action: 'recheck', headSha: '562e173be03b8ff2efb05345d12df18815438a4b' });
  });

  it('answers duplicate when the job already exists', async () => {
    enqueue = async () => ({ jobId: 'job-7', created: false });
    const res = await post(tagPush, withToken('Tag Push Hook'));
    expect(res).toMatchObject({ status: 200, json: { status: 'duplicate' } });
    expect(lastLog()).toMatchObject({ outcome: 'duplicate' });
  });

  it.each([
    ['a plain error', () => new Error(`redis://:${TOKEN}@127.0.0.1:1 refused`)],
    ['an AppError', () => new AppError('network', `cannot reach ${TOKEN}`, { retryable: true })],
    ['a non-error', () => TOKEN],
  ])('answers 503 when enqueueing fails (%s), never 500, and leaks no message', async (_name, make) => {
    enqueue = async () => {
      throw make();
    };
    const res = await post(tagPush, withToken('Tag Push Hook'));
    expect(res.status).toBe(503);
    expect(res.json).toEqual({ status: 'unavailable' });
    expect(res.headers.get('retry-after')).toBe('60');
    const line = lastLog();
    expect(line).toMatchObject({ level: 40, outcome: 'unavailable', status: 503 });
    expect(logLines[0]).not.toContain(TOKEN);
  });

  it('accepts a body of exactly the limit and refuses one byte more', async () => {
    const pad = (n: number) => JSON.stringify({ pad: 'x'.repeat(n - 10) });
    expect(Buffer.byteLength(pad(MAX))).toBe(MAX);
    expect((await post(pad(MAX), withToken('Wiki Page Hook'))).status).toBe(200);
    logLines.length = 0;
    const res = await post(pad(MAX + 1), withToken('Wiki Page Hook'));
    expect(res).toMatchObject({ status: 413, json: { status: 'rejected', reason: 'body too large' } });
    expect(lastLog()).toMatchObject({ outcome: 'too-large', status: 413 });
  });

  it('refuses a declared Content-Length over the limit before the body is sent', async () => {
    const declared = 30 * 1024 * 1024;
    const result = await rawPost({ ...withToken('Tag Push Hook'), 'content-length': String(declared) }, { total: declared, sendBeforeResponse: 0 });
    expect(result.status).toBe(413);
    expect(result.sent).toBe(0);
    expect(enqueued).toEqual([]);
  });

  it('stops reading a chunked body as soon as it passes the limit', async () => {
    const total = 30 * 1024 * 1024;
    const result = await rawPost({ ...withToken('Tag Push Hook'), 'transfer-encoding': 'chunked' }, { total });
    expect(result.status).toBe(413);
    // Answered long before the client could push 30 MB through the socket (about 4 MB of
    // socket buffers fill up on loopback here; a reader that buffers everything reaches 30).
    expect(result.sent).toBeLessThan(total / 2);
    expect(enqueued).toEqual([]);
    expect(lastLog()).toMatchObject({ outcome: 'too-large', status: 413 });
  });

  it('survives a client that goes away mid-body', async () => {
    await new Promise<void>((resolve) => {
      const req = request(url, { method: 'POST', headers: { ...withToken('Tag Push Hook'), 'transfer-encoding': 'chunked' } });
      req.on('error', () => resolve());
      req.write(tagPush.slice(0, 100), () => setTimeout(() => req.destroy(), 50));
      req.on('close', () => resolve());
    });
    await waitFor(() => logLines.length === 1);
    expect(lastLog()).toMatchObject({ outcome: 'bad-request', status: 400, reason: 'request aborted' });
    expect(enqueued).toEqual([]);
    // The server still answers the next request.
    expect((await post(tagPush, withToken('Tag Push Hook'))).status).toBe(200);
  });

  it('never shows the token or the signing secret in a response or a log line', () => {
    expect(seen.length).toBeGreaterThan(20);
    for (const text of seen) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(SECRET.slice('whsec_'.length));
    }
  });
});

/**
 * POSTs up to `total` bytes in 64 KiB chunks through node:http (fetch would buffer or
 * refuse to read a response before it finished sending), stopping when the response
 * arrives. Returns the status and how many bytes were handed to the socket by then.
 */
function rawPost(headers: OutgoingHttpHeaders, options: { total: number; sendBeforeResponse?: number }): Promise<{ status: number; sent: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const limit = options.sendBeforeResponse ?? options.total;
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        seen.push(Buffer.concat(parts).toString('utf8'));
        req.destroy();
        resolve({ status: res.statusCode ?? 0, sent });
      });
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const pump = (): void => {
      while (!answered && sent < limit) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (limit === 0) req.flushHeaders();
      else if (!answered && sent >= options.total) req.end();
    };
    pump();
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
