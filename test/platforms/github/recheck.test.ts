import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { ProbotOctokit } from 'probot';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveRecheck } from '../../../src/platforms/github/recheck.js';
import type { GithubRecheck } from '../../../src/platforms/github/to-event.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as Array<{ name: string; examples: Array<Record<string, any>> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
const samplePr = examples.find((e) => e.name === 'pull_request')?.examples.find((p) => p['action'] === 'opened')?.['pull_request'] as Record<string, unknown>;

// A loopback stand-in for GET /repos/{owner}/{repo}/pulls/{pull_number}; each test sets the answer.
let server: Server;
let baseUrl: string;
let answer: { status: number; body: unknown };
const requests: Array<{ method: string; url: string; authorization: string | undefined }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
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
