import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signStandardWebhook, startGitlabAuth } from '../../../src/platforms/gitlab/webhook-auth.js';

const TOKEN = `glwht-${randomBytes(12).toString('hex')}`;
const SIGNING = `whsec_${randomBytes(32).toString('base64')}`;
const NOW = 1_750_000_000;
const config = { tokens: [TOKEN], signingSecrets: [SIGNING], toleranceSeconds: 300 };
const body = Buffer.from(JSON.stringify({ object_kind: 'push', pad: 'y'.repeat(10_000) }));
const signed = (bytes: Buffer = body) => ({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(NOW), 'webhook-signature': signStandardWebhook(SIGNING, 'msg_1', NOW, bytes) });

describe('startGitlabAuth', () => {
  it('authenticates a right token from the headers: nothing of the body is needed', () => {
    const started = startGitlabAuth({ 'x-gitlab-token': TOKEN }, config, NOW);
    expect(started).toMatchObject({ ok: true, authenticated: true });
    if (started.ok) expect(started.check.result()).toEqual({ ok: true, method: 'token' });
  });

  it('reads a signature-only request unauthenticated, and verifies the body fed in pieces', () => {
    const started = startGitlabAuth(signed(), config, NOW);
    expect(started).toMatchObject({ ok: true, authenticated: false });
    if (!started.ok) return;
    for (let at = 0; at < body.length; at += 777) started.check.update(body.subarray(at, at + 777));
    expect(started.check.result()).toEqual({ ok: true, method: 'signature' });
  });

  it('counts a right token beside a signature as authenticated, but the signature must still verify', () => {
    const started = startGitlabAuth({ ...signed(), 'x-gitlab-token': TOKEN }, config, NOW);
    expect(started).toMatchObject({ ok: true, authenticated: true });
    if (!started.ok) return;
    started.check.update(Buffer.concat([body, Buffer.from(' ')]));
    expect(started.check.result()).toEqual({ ok: false, reason: 'mismatch' });
  });

  it.each([
    ['no credentials', {}, config, 'missing'],
    ['a wrong token', { 'x-gitlab-token': 'guess' }, config, 'mismatch'],
    ['a signature too old', { ...signed(), 'webhook-timestamp': String(NOW - 301) }, config, 'expired'],
    ['a signature with no v1 entry', { ...signed(), 'webhook-signature': 'v1a,abc' }, config, 'malformed'],
    ['no signing secret that decodes', signed(), { ...config, signingSecrets: ['whsec_!!'] }, 'mismatch'],
    ['a signature when none are configured, and no token', signed(), { ...config, signingSecrets: [] }, 'missing'],
  ])('refuses from the headers alone: %s', (_name, headers, cfg, reason) => {
    expect(startGitlabAuth(headers, cfg, NOW)).toEqual({ ok: false, reason });
  });
});
