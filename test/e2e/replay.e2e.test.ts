import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { signGithubPayload } from '../../src/platforms/github/webhook-signature.js';
import { signStandardWebhook } from '../../src/platforms/gitlab/webhook-auth.js';
import { githubService } from '../helpers/github-service.js';
import { gitlabService } from '../helpers/gitlab-service.js';

/**
 * Replays of a captured, authentic delivery, against the service and a real Redis: what a
 * signature does not cover must not make the same delivery new again.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{ name: string; examples: Json[] }>;
const open: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

describe('GitHub: the HMAC covers the body, not X-GitHub-Delivery', () => {
  it('calls the same signed body under a new delivery id a duplicate, and queues a new body', { timeout: 30_000 }, async () => {
    const s = await githubService({ runWorkers: false });
    open.push(s);
    const push = examples.find((e) => e.name === 'push')?.examples.find((p) => p['deleted'] === false && p['installation'] !== undefined) as Json;
    const body = JSON.stringify(push);
    const post = (text: string, delivery: string) =>
      fetch(`${s.service.url}/api/github/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': delivery, 'x-hub-signature-256': signGithubPayload(s.secret, text) },
        body: text,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Json }));

    expect((await post(body, randomUUID())).body).toMatchObject({ status: 'queued' });
    // A manual redelivery keeps its id and its bytes: a duplicate, as before.
    const first = randomUUID();
    const other = JSON.stringify({ ...push, after: 'f'.repeat(40), head_commit: { ...push['head_commit'], id: 'f'.repeat(40) } });
    expect((await post(other, first)).body).toMatchObject({ status: 'queued' });
    expect((await post(other, first)).body).toEqual({ status: 'duplicate' });
    // The replay: the same signed bytes, a delivery id of the attacker's choosing.
    expect(await post(body, randomUUID())).toEqual({ status: 200, body: { status: 'duplicate' } });
    expect(await post(body, `forged-${randomBytes(4).toString('hex')}`)).toEqual({ status: 200, body: { status: 'duplicate' } });
  });
});

describe("GitLab's signing token: the signed webhook-id is the delivery id", () => {
  it('calls a signed delivery replayed with a new Idempotency-Key a duplicate', { timeout: 30_000 }, async () => {
    const signing = `whsec_${randomBytes(32).toString('base64')}`;
    const s = await gitlabService({ env: { GITLAB_WEBHOOK_SIGNING_SECRET: signing } });
    open.push(s);
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/gitlab/push.json', import.meta.url), 'utf8')) as Json;
    const project = { ...fixture['project'], id: s.project.id, path_with_namespace: s.project.pathWithNamespace, default_branch: 'main' };
    const body = JSON.stringify({ ...fixture, ref: 'refs/heads/feature', project_id: s.project.id, project });
    const id = `msg_${randomBytes(8).toString('hex')}`;
    const at = Math.floor(Date.now() / 1000);
    const signed = { 'webhook-id': id, 'webhook-timestamp': String(at), 'webhook-signature': signStandardWebhook(signing, id, at, body) };
    const post = (headers: Record<string, string>) =>
      fetch(`${s.service.url}/webhooks/gitlab`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', ...headers }, body }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Json,
      }));

    expect((await post({ ...signed, 'idempotency-key': id })).body).toMatchObject({ status: 'queued' });
    // Unsigned headers changed, signed ones kept: the same delivery.
    expect(await post({ ...signed, 'idempotency-key': randomUUID(), 'x-gitlab-event-uuid': randomUUID() })).toEqual({ status: 200, body: { status: 'duplicate' } });
    // Even with the token beside it, a verified signature names the delivery.
    expect(await post({ ...signed, 'x-gitlab-token': s.secret, 'idempotency-key': randomUUID() })).toEqual({ status: 200, body: { status: 'duplicate' } });
    expect(s.logLines.filter((l) => l.includes('"msg":"gitlab webhook"') && l.includes(`"delivery":"${id}"`))).toHaveLength(3);
  });
});
