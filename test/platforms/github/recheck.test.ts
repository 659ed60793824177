import { createVerify, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { ProbotOctokit } from 'probot';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { githubAppAuth, githubRecheckResolver } from '../../../src/platforms/github/app-auth.js';
import { resolveRecheck } from '../../../src/platforms/github/recheck.js';
import type { GithubRecheck } from '../../../src/platforms/github/to-event.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as Array<{ name: string; examples: Array<Record<string, any>> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
const samplePr = examples.find((e) => e.name === 'pull_request')?.examples.find((p) => p['action'] === 'opened')?.['pull_request'] as Record<string, unknown>;

const APP_ID = 31337;
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_KEY = keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const INSTALLATION_TOKEN = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';

/** An app JWT as GitHub checks it: RS256 by the App's key, issued by the App ID. */
function jwtIssuer(authorization: string | undefined): number | null {
  const [header, payload, signature] = (authorization ?? '').replace(/^bearer /i, '').split('.');
  if (header === undefined || payload === undefined || signature === undefined) return null;
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${header}.${payload}`);
  if (!verifier.verify(keys.publicKey, Buffer.from(signature, 'base64url'))) return null;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown };
  return Number(claims.iss);
}

// A loopback stand-in for GET /repos/{owner}/{repo}/pulls/{pull_number} (each test sets the
// answer) and for POST /app/installations/{id}/access_tokens (REST "Create an installation
// access token for an app": 201 with token and expires_at, 401 without a valid app JWT).
let server: Server;
let tokenRequests = 0;
let baseUrl: string;
let answer: { status: number; body: unknown };
const requests: Array<{ method: string; url: string; authorization: string | undefined }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const token = /^\/api\/v3\/app\/installations\/(\d+)\/access_tokens$/.exec(req.url ?? '');
    if (req.method === 'POST' && token !== null) {
      tokenRequests += 1;
      const valid = jwtIssuer(req.headers.authorization) === APP_ID;
      const text = JSON.stringify(valid ? { token: INSTALLATION_TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { pull_requests: 'write' }, repository_selection: 'all' } : { message: 'A JSON web token could not be decoded' });
      res.writeHead(valid ? 201 : 401, { 'content-type': 'application/json' }).end(text);
      return;
    }
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    const text = JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests.length = 0;
  tokenRequests = 0;
  answer = { status: 200, body: samplePr };
});

const octokit = () => new ProbotOctokit({ baseUrl, auth: { token: 'installation-token' }, retry: { enabled: false }, throttle: { enabled: false } });
const request: GithubRecheck = {
  kind: 'recheck',
  repo: { platform: 'github', id: '186853002', path: 'Codertocat/Hello-World', defaultBranch: 'master' },
  number: 2,
  meta: { deliveryId: 'd-1', installationId: 1 },
};

describe('resolveRecheck', () => {
  it('reads the pull request and builds the recheck event from it', async () => {
    const result = await resolveRecheck(octokit(), request);
    expect(result).toEqual({
      kind: 'event',
      event: {
        kind: 'change-request',
        repo: request.repo,
        action: 'recheck',
        number: 2,
        sourceBranch: 'changes',
        targetBranch: 'master',
        headSha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
        sameRepo: true,
        meta: request.meta,
      },
    });
    expect(requests).toEqual([{ method: 'GET', url: '/api/v3/repos/Codertocat/Hello-World/pulls/2', authorization: 'token installation-token' }]);
  });

  it('sees a fork', async () => {
    answer = { status: 200, body: { ...samplePr, head: { ...(samplePr['head'] as object), repo: { id: 1 } } } };
    expect(await resolveRecheck(octokit(), request)).toMatchObject({ kind: 'event', event: { sameRepo: false } });
  });

  it.each([
    ['a pull request that is gone', { status: 404, body: { message: 'Not Found' } }, 'pull request not found'],
    ['an answer without a head sha', { status: 200, body: { ...samplePr, head: { ref: 'x' } } }, 'pull request answer does not match'],
    ['an answer about another pull request', { status: 200, body: { ...samplePr, number: 3 } }, 'pull request answer names another number'],
  ])('ignores %s', async (_name, reply, reason) => {
    answer = reply;
    expect(await resolveRecheck(octokit(), request)).toEqual({ kind: 'ignored', reason });
  });

  it.each([401, 403, 500, 502])('throws on %i so that the delivery fails and can be redelivered', async (status) => {
    answer = { status, body: { message: 'nope' } };
    await expect(resolveRecheck(octokit(), request)).rejects.toMatchObject({ status });
  });

  it('does not call out for a path that is not owner/name', async () => {
    expect(await resolveRecheck(octokit(), { ...request, repo: { ...request.repo, path: 'no-slash' } })).toMatchObject({ kind: 'ignored' });
    expect(requests).toHaveLength(0);
  });
});

describe('githubRecheckResolver through Probot app authentication', () => {
  const logLines: string[] = [];
  const log = createLogger('info', { write: (line: string) => void logLines.push(line) });

  it('mints an installation token with the app JWT, reads the pull request with it, and reuses the token', async () => {
    const resolve = githubRecheckResolver(githubAppAuth({ appId: APP_ID, privateKey: PRIVATE_KEY, apiUrl: baseUrl, log }), 5000);
    expect(await resolve(request)).toMatchObject({ kind: 'event', event: { action: 'recheck', headSha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821' } });
    expect(await resolve(request)).toMatchObject({ kind: 'event' });
    expect(tokenRequests).toBe(1);
    expect(requests.map((r) => r.authorization)).toEqual([`token ${INSTALLATION_TOKEN}`, `token ${INSTALLATION_TOKEN}`]);
    expect(logLines.join('\n')).not.toContain(INSTALLATION_TOKEN);
  });

  it('fails (for a 503) when GitHub refuses the app', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const resolve = githubRecheckResolver(githubAppAuth({ appId: APP_ID, privateKey: other, apiUrl: baseUrl, log }), 5000);
    await expect(resolve(request)).rejects.toMatchObject({ status: 401 });
    expect(requests).toHaveLength(0);
  });

  it('ignores a delivery without an installation without calling out', async () => {
    const resolve = githubRecheckResolver(githubAppAuth({ appId: APP_ID, privateKey: PRIVATE_KEY, apiUrl: baseUrl, log }), 5000);
    expect(await resolve({ ...request, meta: { deliveryId: 'd', installationId: null } })).toEqual({ kind: 'ignored', reason: 'no installation in the delivery' });
    expect(tokenRequests + requests.length).toBe(0);
  });

  it('gives up after the timeout with a retryable network error', async () => {
    const hanging = { installation: () => new Promise<never>(() => undefined), app: () => new Promise<never>(() => undefined) };
    await expect(githubRecheckResolver(hanging, 50)(request)).rejects.toMatchObject({ name: 'AppError', code: 'network', retryable: true });
  });
});
