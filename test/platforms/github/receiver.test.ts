import { createHash, randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { OutgoingHttpHeaders, Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RepoEvent } from '../../../src/core/events.js';
import { REPORT_MARKER } from '../../../src/core/report.js';
import { AppError } from '../../../src/errors.js';
import { eventJobId } from '../../../src/jobs/event-job.js';
import { createLogger } from '../../../src/logger.js';
import type { RecheckResolution } from '../../../src/platforms/github/recheck.js';
import { githubWebhookHandler } from '../../../src/platforms/github/receiver.js';
import type { GithubRecheck } from '../../../src/platforms/github/to-event.js';
import { signGithubPayload, verifyGithubSignature } from '../../../src/platforms/github/webhook-signature.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Fresh random secrets per run: if one shows up in a response or a log line, it leaked.
const SECRET = `ghws-${randomBytes(18).toString('base64url')}`;
const OLD_SECRET = `ghws-old-${randomBytes(18).toString('base64url')}`;
const MAX = 64 * 1024;

const require = createRequire(import.meta.url);
const catalogue = require('@octokit/webhooks-examples') as Array<{ name: string; examples: Json[] }>;
const examplesOf = (name: string): Json[] => catalogue.find((e) => e.name === name)?.examples ?? [];
const branchPushPayload = examplesOf('push').find((p) => p['ref'] === 'refs/heads/master' && p['installation'] !== undefined) as Json;
const branchPush = JSON.stringify(branchPushPayload);
const prCommentPayload = (): Json => {
  const p = structuredClone(examplesOf('issue_comment').find((x) => x['action'] === 'created' && x['installation'] !== undefined) as Json);
  p['issue'].pull_request = { url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/1' };
  p['comment'].body = '/pyrelease check';
  return p;
};

let server: Server;
let url: string;
const logLines: string[] = [];
const seen: string[] = [];
const enqueued: RepoEvent[] = [];
const rechecks: GithubRecheck[] = [];
const jobIds = new Set<string>();
let enqueue: (event: RepoEvent, names: { readonly sameAs: readonly string[] }) => Promise<{ jobId: string; created: boolean }>;
let resolveRecheck: (request: GithubRecheck) => Promise<RecheckResolution>;

// Deduplicates by the real job id and the further names, as pushEvent does in Redis.
const accept = async (event: RepoEvent, names: { readonly sameAs: readonly string[] }) => {
  const jobId = eventJobId(event);
  const created = !jobIds.has(jobId) && names.sameAs.every((name) => !jobIds.has(name));
  for (const name of [jobId, ...names.sameAs]) jobIds.add(name);
  if (created) enqueued.push(event);
  return { jobId, created };
};

beforeAll(async () => {
  const log = createLogger('info', { write: (line: string) => void logLines.push(line) });
  const handler = githubWebhookHandler({
    secrets: [OLD_SECRET, SECRET],
    maxBodyBytes: MAX,
    botLogin: 'pyrelease[bot]',
    appId: 4242,
    enqueue: (event, names) => enqueue(event, names),
    resolveRecheck: (req) => resolveRecheck(req),
    log,
    now: () => 1_750_000_000_000,
  });
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  enqueued.length = 0;
  rechecks.length = 0;
  logLines.length = 0;
  jobIds.clear();
  enqueue = accept;
  resolveRecheck = async (req) => {
    rechecks.push(req);
    return {
      kind: 'event',
      event: { kind: 'change-request', repo: req.repo, action: 'recheck', number: req.number, sourceBranch: 'changes', targetBranch: 'master', headSha: 'c'.repeat(40), sameRepo: true, meta: req.meta },
    };
  };
});

async function post(body: string, headers: Record<string, string>, method = 'POST') {
  const response = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, ...(method === 'GET' ? {} : { body }) });
  const text = await response.text();
  seen.push(text, JSON.stringify([...response.headers]));
  return { status: response.status, json: text === '' ? null : (JSON.parse(text) as unknown), headers: response.headers };
}

const signed = (event: string, body: string, extra: Record<string, string> = {}, secret = SECRET) => ({
  'x-github-event': event,
  'x-github-delivery': `d-${randomBytes(8).toString('hex')}`,
  'x-hub-signature-256': signGithubPayload(secret, body),
  ...extra,
});

function lastLog(): Record<string, unknown> {
  expect(logLines).toHaveLength(1);
  seen.push(...logLines);
  return JSON.parse(logLines[0] as string) as Record<string, unknown>;
}

describe('verifyGithubSignature', () => {
  const body = Buffer.from('{"zen":"x"}');
  const good = signGithubPayload(SECRET, body);
  const hex = good.slice('sha256='.length);
  it.each([
    ['the right signature', good, [SECRET], { ok: true }],
    ['a signature by the old secret while rotating', signGithubPayload(OLD_SECRET, body), [OLD_SECRET, SECRET], { ok: true }],
    ['upper-case hex', `sha256=${hex.toUpperCase()}`, [SECRET], { ok: true }],
    ['no header', undefined, [SECRET], { ok: false, reason: 'missing' }],
    ['an empty header', '', [SECRET], { ok: false, reason: 'missing' }],
    ['another secret', signGithubPayload('other', body), [SECRET], { ok: false, reason: 'mismatch' }],
    ['a SHA-1 value', `sha1=${createHash('sha1').update(body).digest('hex')}`, [SECRET], { ok: false, reason: 'malformed' }],
    ['non-hex', `sha256=${'z'.repeat(64)}`, [SECRET], { ok: false, reason: 'malformed' }],
    ['one digit short', good.slice(0, -1), [SECRET], { ok: false, reason: 'malformed' }],
    ['one digit more', `${good}0`, [SECRET], { ok: false, reason: 'malformed' }],
    ['a bare prefix', 'sha256=', [SECRET], { ok: false, reason: 'malformed' }],
    ['no prefix', hex, [SECRET], { ok: false, reason: 'malformed' }],
    ['an upper-case prefix', `SHA256=${hex}`, [SECRET], { ok: false, reason: 'malformed' }],
    ['trailing whitespace', `${good} `, [SECRET], { ok: false, reason: 'malformed' }],
    ['two values', `${good},${good}`, [SECRET], { ok: false, reason: 'malformed' }],
    ['a repeated header', [good, good], [SECRET], { ok: false, reason: 'malformed' }],
    ['a huge header', `sha256=${'a'.repeat(100_000)}`, [SECRET], { ok: false, reason: 'malformed' }],
    ['no secret configured', good, [], { ok: false, reason: 'no-secret' }],
    ['only empty secrets', good, [''], { ok: false, reason: 'no-secret' }],
  ] as const)('%s', (_name, header, secrets, expected) => {
    expect(verifyGithubSignature(header, body, secrets)).toEqual(expected);
  });

  it('a signature over other bytes fails', () => {
    expect(verifyGithubSignature(good, Buffer.from('{"zen":"y"}'), [SECRET])).toEqual({ ok: false, reason: 'mismatch' });
  });
});

describe('githubWebhookHandler', () => {
  it('answers 405 to anything but POST', async () => {
    const res = await post('', {}, 'GET');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('queues a real branch push and answers with the job id', async () => {
    const res = await post(branchPush, signed('push', branchPush, { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' }));
    const event: RepoEvent = {
      kind: 'branch-pushed',
      repo: { platform: 'github', id: '186853002', path: 'Codertocat/Hello-World', defaultBranch: 'master' },
      branch: 'master',
      sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      headMessage: 'Initial commit',
      meta: { deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958', installationId: 1 },
    };
    expect(enqueued).toEqual([event]);
    expect(res).toMatchObject({ status: 200, json: { status: 'queued', job: eventJobId(event) } });
    const line = lastLog();
    expect(line).toMatchObject({ level: 30, outcome: 'queued', status: 200, delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958', event: 'push', repo: 'Codertocat/Hello-World' });
    expect(typeof line['latencyMs']).toBe('number');
  });

  const realExamples = ['push', 'create', 'pull_request', 'issue_comment'].flatMap((name) => examplesOf(name).map((payload, i) => [`${name} #${i} ${String(payload['action'] ?? payload['ref'])}`, name, payload] as const));
  it.each(realExamples)('answers 200 to the signed example %s', async (_name, name, payload) => {
    const body = JSON.stringify(payload);
    const res = await post(body, signed(name, body));
    expect(res.status).toBe(200);
    const status = (res.json as { status: string }).status;
    expect(['queued', 'ignored']).toContain(status);
    expect(enqueued).toHaveLength(status === 'queued' ? 1 : 0);
    expect(lastLog()).toMatchObject({ outcome: status, event: name });
  });

  it('answers duplicate to a replayed delivery id, and to the same signed body under a new one', async () => {
    const headers = signed('push', branchPush, { 'x-github-delivery': 'replayed-1' });
    expect((await post(branchPush, headers)).json).toMatchObject({ status: 'queued' });
    expect((await post(branchPush, headers)).json).toEqual({ status: 'duplicate' });
    // The HMAC does not cover X-GitHub-Delivery: the body's digest names the delivery too.
    expect((await post(branchPush, { ...headers, 'x-github-delivery': 'replayed-2' })).json).toEqual({ status: 'duplicate' });
    const other = branchPush.replace('"Initial commit"', '"Second commit"');
    expect((await post(other, signed('push', other, { 'x-github-delivery': 'replayed-3' }))).json).toMatchObject({ status: 'queued' });
    expect(enqueued.map((e) => e.meta.deliveryId)).toEqual(['replayed-1', 'replayed-3']);
  });

  const digest = `sha256-${createHash('sha256').update(branchPush).digest('hex')}`;
  it.each([
    ['a GUID is kept', '72d3162e-cc78-11e3-81ab-4c9367dc0958', '72d3162e-cc78-11e3-81ab-4c9367dc0958'],
    ['a colon is refused (job ids)', 'a:b', digest],
    ['an overlong id is refused', 'x'.repeat(129), digest],
    ['a space is refused', 'a b', digest],
  ])('delivery id: %s', async (_name, given, expected) => {
    await post(branchPush, signed('push', branchPush, { 'x-github-delivery': given }));
    expect(enqueued[0]?.meta.deliveryId).toBe(expected);
  });

  it('falls back to a digest of the body without X-GitHub-Delivery', async () => {
    const { 'x-github-delivery': _dropped, ...headers } = signed('push', branchPush);
    await post(branchPush, headers);
    expect(enqueued[0]?.meta.deliveryId).toBe(digest);
  });

  it('accepts the old secret while it is rotated out', async () => {
    expect((await post(branchPush, signed('push', branchPush, {}, OLD_SECRET))).json).toMatchObject({ status: 'queued' });
  });

  const good = signGithubPayload(SECRET, branchPush);
  it.each([
    ['no signature', {}, 'missing'],
    ['only the SHA-1 header', { 'x-hub-signature': `sha1=${createHash('sha1').update(branchPush).digest('hex')}` }, 'missing'],
    ['sha1= in the SHA-256 header', { 'x-hub-signature-256': `sha1=${'a'.repeat(40)}` }, 'malformed'],
    ['non-hex', { 'x-hub-signature-256': `sha256=${'g'.repeat(64)}` }, 'malformed'],
    ['wrong length', { 'x-hub-signature-256': good.slice(0, 20) }, 'malformed'],
    ['empty digest', { 'x-hub-signature-256': 'sha256=' }, 'malformed'],
    ['another secret', { 'x-hub-signature-256': signGithubPayload('development', branchPush) }, 'mismatch'],
    ['a signature of another body', { 'x-hub-signature-256': signGithubPayload(SECRET, `${branchPush} `) }, 'mismatch'],
  ])('401 with nothing else happening: %s', async (_name, sig, reason) => {
    const marker = `body-marker-${randomBytes(6).toString('hex')}`;
    const body = branchPush.replace('"Initial commit"', JSON.stringify(marker));
    const headers = { 'x-github-event': 'push', 'x-github-delivery': `delivery-${marker}`, ...sig };
    const res = await post(body, headers);
    expect(res).toMatchObject({ status: 401, json: { status: 'unauthorized' } });
    expect(enqueued).toEqual([]);
    const line = lastLog();
    expect(line).toMatchObject({ outcome: 'unauthorized', status: 401, reason });
    // Unauthenticated input is not even echoed: no delivery id, event or repository.
    expect(line).not.toHaveProperty('delivery');
    expect(line).not.toHaveProperty('event');
    expect(line).not.toHaveProperty('repo');
    expect(logLines[0]).not.toContain(marker);
    expect(logLines[0]).not.toContain('Codertocat');
  });

  it('never calls out for an unsigned /pyrelease check', async () => {
    const body = JSON.stringify(prCommentPayload());
    expect((await post(body, { 'x-github-event': 'issue_comment' })).status).toBe(401);
    expect(rechecks).toEqual([]);
  });

  it('authenticates before it parses: unsigned broken JSON is a 401, not a 400', async () => {
    expect((await post('{"ref": "refs/ta', { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' })).status).toBe(401);
  });

  it('answers 400 to truncated JSON', async () => {
    const body = branchPush.slice(0, 200);
    const res = await post(body, signed('push', body));
    expect(res).toMatchObject({ status: 400, json: { status: 'invalid', reason: 'malformed JSON' } });
    expect(lastLog()).toMatchObject({ outcome: 'malformed-json', status: 400 });
  });

  const deletion = JSON.stringify(examplesOf('push').find((p) => p['deleted'] === true));
  const ownReport = JSON.stringify({ ...prCommentPayload(), comment: { ...prCommentPayload()['comment'], body: `${REPORT_MARKER}\n/pyrelease check` } });
  it.each([
    ['ping', 'ping', '{"zen":"Design for failure.","hook_id":1}', 'ping'],
    ['an unhandled event', 'check_suite', '{}', 'event "check_suite" is not handled'],
    ['a tag deletion', 'push', deletion, 'tag deleted'],
    ['our own report', 'issue_comment', ownReport, 'own comment'],
  ])('answers 200 ignored: %s', async (_name, event, body, reason) => {
    const res = await post(body, signed(event, body));
    expect(res).toMatchObject({ status: 200, json: { status: 'ignored', reason } });
    expect(enqueued).toEqual([]);
    expect(rechecks).toEqual([]);
    expect(lastLog()).toMatchObject({ level: 30, outcome: 'ignored', reason });
  });

  it('answers 200 ignored to a signed payload it cannot map, and warns', async () => {
    const body = '{"ref":"refs/tags/v1","after":"x"}';
    const res = await post(body, signed('push', body));
    expect(res).toMatchObject({ status: 200, json: { status: 'ignored' } });
    expect(lastLog()).toMatchObject({ level: 40, outcome: 'unmappable', status: 200 });
  });

  it('keeps hostile tag and branch names raw through to the queue', async () => {
    const tag = '$(curl http://10.0.0.1/x)\n"; DROP';
    const tagBody = JSON.stringify({ ...branchPushPayload, ref: `refs/tags/${tag}` });
    await post(tagBody, signed('push', tagBody));
    const branch = '../../etc/passwd\u0000';
    const branchBody = JSON.stringify({ ...branchPushPayload, ref: `refs/heads/${branch}` });
    await post(branchBody, signed('push', branchBody));
    expect(enqueued).toMatchObject([{ kind: 'tag-pushed', tag }, { kind: 'branch-pushed', branch }]);
  });

  it('resolves a /pyrelease check through the pull request before queueing', async () => {
    const body = JSON.stringify(prCommentPayload());
    const res = await post(body, signed('issue_comment', body, { 'x-github-delivery': 'recheck-1' }));
    expect(res.json).toMatchObject({ status: 'queued' });
    expect(rechecks).toEqual([{ kind: 'recheck', repo: { platform: 'github', id: '186853002', path: 'Codertocat/Hello-World', defaultBranch: 'master' }, number: 1, meta: { deliveryId: 'recheck-1', installationId: 1 } }]);
    expect(enqueued).toMatchObject([{ kind: 'change-request', action: 'recheck', number: 1, headSha: 'c'.repeat(40) }]);
  });

  it('answers 200 ignored when the pull request is gone', async () => {
    resolveRecheck = async () => ({ kind: 'ignored', reason: 'pull request not found' });
    const body = JSON.stringify(prCommentPayload());
    expect((await post(body, signed('issue_comment', body))).json).toEqual({ status: 'ignored', reason: 'pull request not found' });
    expect(enqueued).toEqual([]);
  });

  it.each([
    ['the pull request cannot be read', 'recheck'],
    ['enqueueing fails', 'enqueue'],
  ])('answers 503 when %s, and leaks no message', async (_name, where) => {
    const fail = async (): Promise<never> => {
      throw new AppError('network', `https://x-access-token:${SECRET}@github.example`, { retryable: true });
    };
    if (where === 'recheck') resolveRecheck = fail;
    else enqueue = fail;
    const body = JSON.stringify(prCommentPayload());
    const res = await post(body, signed('issue_comment', body));
    expect(res).toMatchObject({ status: 503, json: { status: 'unavailable' } });
    expect(res.headers.get('retry-after')).toBe('60');
    expect(lastLog()).toMatchObject({ level: 40, outcome: 'unavailable', error: 'AppError:network' });
    expect(logLines[0]).not.toContain(SECRET);
  });

  it('accepts a body of exactly the limit and refuses one byte more', async () => {
    const pad = (n: number) => JSON.stringify({ pad: 'x'.repeat(n - 10) });
    expect(Buffer.byteLength(pad(MAX))).toBe(MAX);
    expect((await post(pad(MAX), signed('ping', pad(MAX)))).status).toBe(200);
    logLines.length = 0;
    const res = await post(pad(MAX + 1), signed('ping', pad(MAX + 1)));
    expect(res).toMatchObject({ status: 413, json: { status: 'rejected', reason: 'body too large' } });
    expect(lastLog()).toMatchObject({ outcome: 'too-large', status: 413 });
  });

  it('refuses a declared Content-Length over the limit before the body is sent', async () => {
    const declared = 30 * 1024 * 1024;
    const result = await rawPost({ 'x-github-event': 'push', 'x-hub-signature-256': good, 'content-length': String(declared) }, { total: declared, sendBeforeResponse: 0 });
    expect(result).toEqual({ status: 413, sent: 0 });
  });

  it('stops reading a chunked body as soon as it passes the limit', async () => {
    const total = 30 * 1024 * 1024;
    const result = await rawPost({ 'x-github-event': 'push', 'x-hub-signature-256': good, 'transfer-encoding': 'chunked' }, { total });
    expect(result.status).toBe(413);
    expect(result.sent).toBeLessThan(total / 2);
    expect(lastLog()).toMatchObject({ outcome: 'too-large', status: 413 });
  });

  it('survives a client that goes away mid-body', async () => {
    await new Promise<void>((resolve) => {
      // Signed-looking, so that its body is read at all (an unsigned one is refused from its headers).
      const req = request(url, { method: 'POST', headers: { 'x-github-event': 'push', 'x-hub-signature-256': good, 'transfer-encoding': 'chunked' } });
      req.on('error', () => resolve());
      req.write(branchPush.slice(0, 100), () => setTimeout(() => req.destroy(), 50));
      req.on('close', () => resolve());
    });
    await waitFor(() => logLines.length === 1);
    expect(lastLog()).toMatchObject({ outcome: 'bad-request', status: 400, reason: 'request aborted' });
    expect((await post(branchPush, signed('push', branchPush))).status).toBe(200);
  });

  it('never shows a secret or a signature in a response or a log line', () => {
    expect(seen.length).toBeGreaterThan(50);
    for (const text of seen) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(OLD_SECRET);
      expect(text).not.toContain(good.slice('sha256='.length));
    }
  });
});

/** POSTs up to `total` bytes in 64 KiB chunks through node:http, stopping when the response arrives. */
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
