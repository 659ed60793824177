import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/errors.js';
import { readGitlabBotUser } from '../../../src/platforms/gitlab/bot-user.js';
import { startFakeGitlab } from '../../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../../fakes/fake-gitlab.js';

const TOKEN = 'glpat-bot-user-test-token';
let gitlab: FakeGitlab;
// GitLab behind a proxy that fails: a fixed status and body for every request.
let answer: { status: number; body: string } = { status: 502, body: 'Bad Gateway' };
let broken: Server;
let brokenUrl: string;

beforeAll(async () => {
  gitlab = await startFakeGitlab();
  gitlab.addUser('release-bot', TOKEN);
  broken = createServer((_req, res) => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body));
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await gitlab.close();
  await new Promise<void>((resolve) => broken.close(() => resolve()));
});

describe('readGitlabBotUser', () => {
  it('reads the token\'s user, with or without a trailing slash on the URL', async () => {
    const user = await readGitlabBotUser(gitlab.url, TOKEN);
    expect(user).toEqual({ id: expect.any(Number), username: 'release-bot' });
    expect(await readGitlabBotUser(`${gitlab.url}/`, TOKEN)).toEqual(user);
  });

  it('is forge-auth for a token GitLab refuses, and never puts the token in the message', async () => {
    const error = await readGitlabBotUser(gitlab.url, 'glpat-wrong').catch((e: unknown) => e);
    expect(isAppError(error) && error.code === 'forge-auth').toBe(true);
    expect(String((error as Error).message)).not.toContain('glpat-wrong');
  });

  it('is a retryable forge-unavailable on a 5xx, and forge-unavailable for an answer that is not a user', async () => {
    answer = { status: 502, body: 'Bad Gateway' };
    const down = await readGitlabBotUser(brokenUrl, TOKEN).catch((e: unknown) => e);
    expect(isAppError(down) && down.code === 'forge-unavailable' && down.retryable).toBe(true);
    answer = { status: 200, body: '{"message":"not a user"}' };
    await expect(readGitlabBotUser(brokenUrl, TOKEN)).rejects.toMatchObject({ code: 'forge-unavailable' });
  });
});
