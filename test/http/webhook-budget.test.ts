import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RepoEvent } from '../../src/core/events.js';
import { createBodyBudget, SMALL_RESERVE_BYTES } from '../../src/http/body-budget.js';
import { createHttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/logger.js';
import { githubWebhookHandler } from '../../src/platforms/github/receiver.js';
import { signGithubPayload } from '../../src/platforms/github/webhook-signature.js';
import { gitlabWebhookHandler } from '../../src/platforms/gitlab/receiver.js';
import { signStandardWebhook } from '../../src/platforms/gitlab/webhook-auth.js';
import { slowPost } from '../helpers/slow-post.js';
import type { SlowPost } from '../helpers/slow-post.js';

/**
 * The web process's fixed budget before authentication, on both forges' routes sharing
 * one budget as src/main.ts composes them: what can be refused from the headers is, with
 * none of the body read, and what must be read is held within the budget.
 */
const GITHUB_SECRET = `ghws-${randomBytes(12).toString('hex')}`;
const GITLAB_TOKEN = `glwht-${randomBytes(12).toString('hex')}`;
const SIGNING = `whsec_${randomBytes(32).toString('base64')}`;
const KIB = 1024;
// Large bodies may use 1 MiB of it; the rest is the reserve for small ones.
const BUDGET = SMALL_RESERVE_BYTES + 1024 * KIB;
const MAX = 512 * KIB;

const budget = createBodyBudget(BUDGET);
const logLines: string[] = [];
const queued: RepoEvent[] = [];
let server: Server;
let port: number;
const open: SlowPost[] = [];

beforeAll(async () => {
  const log = createLogger('info', { write: (line: string) => void logLines.push(line) });
  const enqueue = async (event: RepoEvent) => {
    queued.push(event);
    return { jobId: `job-${queued.length}`, created: true };
  };
  const github = githubWebhookHandler({ secrets: [GITHUB_SECRET], maxBodyBytes: MAX, budget, botLogin: null, appId: null, enqueue, resolveRecheck: async () => ({ kind: 'ignored', reason: 'no' }), log });
  const gitlab = gitlabWebhookHandler({ auth: { tokens: [GITLAB_TOKEN], signingSecrets: [SIGNING], toleranceSeconds: 300 }, maxBodyBytes: MAX, budget, botUserId: null, botUsername: null, enqueue, log });
  server = createHttpServer(
    [
      { method: 'POST', path: '/api/github/webhooks', handler: github },
      { method: 'POST', path: '/webhooks/gitlab', handler: gitlab },
    ],
    log,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  for (const s of open.splice(0)) s.stop();
  await waitFor(() => budget.inFlightBytes === 0);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function send(path: string, headers: Record<string, string>, total: number, more: { chunked?: boolean; chunkBytes?: number; intervalMs?: number } = {}): SlowPost {
  const post = slowPost({ port, path, headers, total, ...more });
  open.push(post);
  return post;
}

const nowS = (): number => Math.floor(Date.now() / 1000);
const forged = { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${'ab'.repeat(32)}` };
const signatureOnly = (body: string | Buffer, id = `msg-${randomBytes(4).toString('hex')}`, at = nowS()) => ({
  'x-gitlab-event': 'Wiki Page Hook',
  'webhook-id': id,
  'webhook-timestamp': String(at),
  'webhook-signature': signStandardWebhook(SIGNING, id, at, body),
});

describe('refused from the headers, with none of the body read', () => {
  it.each([
    ['GitLab, no token', '/webhooks/gitlab', { 'x-gitlab-event': 'Push Hook' }, 'missing'],
    ['GitLab, a wrong token', '/webhooks/gitlab', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'guess' }, 'mismatch'],
    ['GitLab, an expired signature', '/webhooks/gitlab', signatureOnly('{}', 'm-1', nowS() - 3600), 'expired'],
    ['GitLab, a signature without its id', '/webhooks/gitlab', { 'webhook-timestamp': String(nowS()), 'webhook-signature': `v1,${'A'.repeat(43)}=` }, 'malformed'],
    ['GitHub, no signature', '/api/github/webhooks', { 'x-github-event': 'push' }, 'missing'],
    ['GitHub, a malformed signature', '/api/github/webhooks', { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' }, 'malformed'],
  ])('%s: 401 and the connection closed', async (_name, path, headers, reason) => {
    logLines.length = 0;
    const post = send(path, headers, 400 * KIB, { chunkBytes: 0 });
    const answer = await post.answered;
    expect(answer).toMatchObject({ status: 401, sentBeforeAnswer: 0 });
    expect(answer.head).toContain('connection: close');
    await post.closed;
    expect(JSON.parse(logLines[0] ?? '{}')).toMatchObject({ outcome: 'unauthorized', reason });
  });
});

describe('the budget for bodies read before authentication', () => {
  it('refuses a declared body the budget cannot hold, before reading it: 503 with Retry-After', async () => {
    const holders = [send('/api/github/webhooks', forged, 400 * KIB, { chunkBytes: 0 }), send('/api/github/webhooks', forged, 400 * KIB, { chunkBytes: 0 })];
    await waitFor(() => budget.inFlightBytes === 800 * KIB);
    const third = send('/api/github/webhooks', forged, 400 * KIB, { chunkBytes: 0 });
    const answer = await third.answered;
    expect(answer).toMatchObject({ status: 503, sentBeforeAnswer: 0 });
    expect(answer.head).toContain('retry-after: 10');
    // A signed body on GitLab's route shares the same budget.
    const body = Buffer.alloc(300 * KIB, 0x20);
    expect(await send('/webhooks/gitlab', signatureOnly(body), body.length, { chunkBytes: 0 }).answered).toMatchObject({ status: 503 });
    for (const h of holders) h.stop();
    await waitFor(() => budget.inFlightBytes === 0);
  });

  it('stops a chunked body the moment it passes the budget, and drops what it held', async () => {
    const holders = [500, 400].map((kib) => send('/api/github/webhooks', forged, kib * KIB, { chunkBytes: 0 }));
    await waitFor(() => budget.inFlightBytes === 900 * KIB);
    const chunked = send('/api/github/webhooks', forged, 480 * KIB, { chunked: true, chunkBytes: 8 * KIB, intervalMs: 25 });
    const answer = await chunked.answered;
    expect(answer.status).toBe(503);
    // 124 KiB fit; the answer comes within a few chunks of that, never the whole body.
    expect(answer.sentBeforeAnswer).toBeGreaterThanOrEqual(124 * KIB);
    expect(answer.sentBeforeAnswer).toBeLessThan(480 * KIB);
    await chunked.closed;
    expect(budget.inFlightBytes).toBe(900 * KIB);
    for (const h of holders) h.stop();
  });

  it('keeps answering the forges while strangers hold the budget', async () => {
    const holders = [0, 1].map(() => send('/api/github/webhooks', forged, 500 * KIB, { chunkBytes: 0 }));
    await waitFor(() => budget.inFlightBytes === 1000 * KIB);
    queued.length = 0;
    const push = JSON.stringify({ zen: 'x', hook_id: 1 });
    const github = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
      method: 'POST',
      headers: { 'x-github-event': 'ping', 'x-hub-signature-256': signGithubPayload(GITHUB_SECRET, push) },
      body: push,
    });
    // A small body (a declared 64 KiB or less) may use the reserve that large ones cannot.
    expect(github.status).toBe(200);
    // A right token proves GitLab before its body, however large: not held against the budget.
    const large = JSON.stringify({ object_kind: 'wiki_page', pad: ' '.repeat(300 * KIB) });
    const gitlab = await fetch(`http://127.0.0.1:${port}/webhooks/gitlab`, { method: 'POST', headers: { 'x-gitlab-event': 'Wiki Page Hook', 'x-gitlab-token': GITLAB_TOKEN }, body: large });
    expect(gitlab.status).toBe(200);
    expect(await gitlab.json()).toMatchObject({ status: 'ignored' });
    // The same body signed but without the token must be read unauthenticated: metered, refused.
    const signed = await fetch(`http://127.0.0.1:${port}/webhooks/gitlab`, { method: 'POST', headers: signatureOnly(large), body: large });
    expect(signed.status).toBe(503);
    await signed.text();
    expect(budget.inFlightBytes).toBe(1000 * KIB);
    for (const h of holders) h.stop();
  });

  it('reads a signed GitLab body with no token, and authenticates it at its end', async () => {
    const body = JSON.stringify({ object_kind: 'wiki_page', pad: ' '.repeat(200 * KIB) });
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/gitlab`, { method: 'POST', headers: signatureOnly(body), body });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ignored' });
  });

  it('gives every byte back after 401s, 413s, aborts and answers', async () => {
    const aborted = send('/api/github/webhooks', forged, 300 * KIB, { chunked: true, chunkBytes: 16 * KIB, intervalMs: 5 });
    await waitFor(() => aborted.sent() > 64 * KIB);
    aborted.stop();
    const tooLarge = send('/api/github/webhooks', forged, MAX + 1, { chunkBytes: 0 });
    expect((await tooLarge.answered).status).toBe(413);
    const wrong = send('/api/github/webhooks', forged, 100 * KIB, { chunkBytes: 100 * KIB });
    expect((await wrong.answered).status).toBe(401);
    await waitFor(() => budget.inFlightBytes === 0);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
