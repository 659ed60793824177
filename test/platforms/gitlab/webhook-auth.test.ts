import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOLERANCE_SECONDS,
  authenticateGitlab,
  parseSigningSecret,
  signStandardWebhook,
} from '../../../src/platforms/gitlab/webhook-auth.js';
import type { AuthResult, GitlabAuthConfig } from '../../../src/platforms/gitlab/webhook-auth.js';

const NOW = 1_750_000_000;
const BODY = Buffer.from('{"object_kind":"tag_push","ref":"refs/tags/v1.0.0"}');
const KEY = randomBytes(32);
const SECRET = `whsec_${KEY.toString('base64')}`;
const OTHER_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const TOKEN = 'glwh-token-0123456789abcdef';
const MSG_ID = 'd6e3c1a4-5b1f-4c35-9a3e-0f1d2e3c4b5a';

const config: GitlabAuthConfig = {
  tokens: [TOKEN, 'rotated-second-token'],
  signingSecrets: [SECRET],
  toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
};

/** Signed independently of the code under test: HMAC over `${id}.${ts}.${body}` with the decoded key. */
function sig(key: Buffer, id: string, timestamp: number, body: Buffer): string {
  const mac = createHmac('sha256', key).update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]));
  return `v1,${mac.digest('base64')}`;
}

function signed(timestamp = NOW, extra: IncomingHttpHeaders = {}, key = KEY, body = BODY): IncomingHttpHeaders {
  return {
    'webhook-id': MSG_ID,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sig(key, MSG_ID, timestamp, body),
    ...extra,
  };
}

const ok = (method: 'token' | 'signature'): AuthResult => ({ ok: true, method });
const no = (reason: 'missing' | 'mismatch' | 'expired' | 'malformed'): AuthResult => ({ ok: false, reason });
const good = sig(KEY, MSG_ID, NOW, BODY);
const wrong = sig(randomBytes(32), MSG_ID, NOW, BODY);

describe('authenticateGitlab', () => {
  const cases: Array<[string, IncomingHttpHeaders, AuthResult, Partial<GitlabAuthConfig>?]> = [
    // X-Gitlab-Token
    ['no credentials at all', {}, no('missing')],
    ['empty token header', { 'x-gitlab-token': '' }, no('missing')],
    ['right token', { 'x-gitlab-token': TOKEN }, ok('token')],
    ['rotated second token', { 'x-gitlab-token': 'rotated-second-token' }, ok('token')],
    ['wrong token of the same length', { 'x-gitlab-token': TOKEN.replace(/f$/, 'e') }, no('mismatch')],
    ['right token as a prefix (other length)', { 'x-gitlab-token': TOKEN.slice(0, -1) }, no('mismatch')],
    ['right token plus a suffix (other length)', { 'x-gitlab-token': `${TOKEN}x` }, no('mismatch')],
    ['token with surrounding space is not trimmed', { 'x-gitlab-token': ` ${TOKEN}` }, no('mismatch')],
    ['token case matters', { 'x-gitlab-token': TOKEN.toUpperCase() }, no('mismatch')],
    ['token sent twice (Node joins them)', { 'x-gitlab-token': `${TOKEN}, ${TOKEN}` }, no('mismatch')],
    ['token when none is configured', { 'x-gitlab-token': TOKEN }, no('missing'), { tokens: [] }],
    ['empty configured token never matches an empty-ish header', { 'x-gitlab-token': ' ' }, no('mismatch'), { tokens: [''] }],
    // Standard Webhooks signature
    ['valid signature', signed(), ok('signature')],
    ['valid signature, no token needed', signed(), ok('signature'), { tokens: [] }],
    ['signature by an unknown key', signed(NOW, { 'webhook-signature': wrong }), no('mismatch')],
    ['invalid signature is not rescued by a right token', signed(NOW, { 'webhook-signature': wrong, 'x-gitlab-token': TOKEN }), no('mismatch')],
    ['valid signature with a wrong token', signed(NOW, { 'x-gitlab-token': 'nope' }), ok('signature')],
    ['signature over another body', { ...signed(), 'webhook-signature': sig(KEY, MSG_ID, NOW, Buffer.from('{}')) }, no('mismatch')],
    ['signature with another id', { ...signed(), 'webhook-id': 'other-id' }, no('mismatch')],
    ['timestamp changed after signing', { ...signed(), 'webhook-timestamp': String(NOW + 1) }, no('mismatch')],
    ['timestamp at the tolerance (past)', signed(NOW - 300), ok('signature')],
    ['timestamp at the tolerance (future)', signed(NOW + 300), ok('signature')],
    ['expired timestamp', signed(NOW - 301), no('expired')],
    ['timestamp from the future', signed(NOW + 301), no('expired')],
    ['expired even with a right token', signed(NOW - 3600, { 'x-gitlab-token': TOKEN }), no('expired')],
    ['custom tolerance', signed(NOW - 20), no('expired'), { toleranceSeconds: 10 }],
    ['timestamp in milliseconds', { ...signed(), 'webhook-timestamp': String(NOW * 1000) }, no('malformed')],
    ['timestamp not a number', { ...signed(), 'webhook-timestamp': 'yesterday' }, no('malformed')],
    ['negative timestamp', { ...signed(), 'webhook-timestamp': '-1' }, no('malformed')],
    ['missing webhook-id', { ...signed(), 'webhook-id': undefined }, no('malformed')],
    ['empty webhook-id', { ...signed(), 'webhook-id': '' }, no('malformed')],
    ['missing webhook-timestamp', { ...signed(), 'webhook-timestamp': undefined }, no('malformed')],
    ['signature without version', { ...signed(), 'webhook-signature': good.slice(3) }, no('malformed')],
    ['signature of an unknown version only', { ...signed(), 'webhook-signature': good.replace('v1,', 'v2,') }, no('malformed')],
    ['asymmetric v1a signature only', { ...signed(), 'webhook-signature': good.replace('v1,', 'v1a,') }, no('malformed')],
    ['signature not base64', { ...signed(), 'webhook-signature': 'v1,not*base64!' }, no('malformed')],
    ['signature of the wrong length', { ...signed(), 'webhook-signature': `v1,${Buffer.alloc(20).toString('base64')}` }, no('malformed')],
    ['empty signature header', { ...signed(), 'webhook-signature': '' }, no('malformed')],
    ['several signatures, one valid', { ...signed(), 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')} v2,abc ${good} v1a,xyz` }, ok('signature')],
    ['several signatures, none valid', { ...signed(), 'webhook-signature': `${wrong} v1,${Buffer.alloc(32).toString('base64')}` }, no('mismatch')],
    ['rotated signing secrets: second one signs', signed(), ok('signature'), { signingSecrets: [OTHER_SECRET, SECRET] }],
    ['secret without the whsec_ prefix', signed(), ok('signature'), { signingSecrets: [KEY.toString('base64')] }],
    ['a broken configured secret is skipped', signed(), ok('signature'), { signingSecrets: ['whsec_***', SECRET] }],
    // GitLab sends webhook-id and webhook-timestamp on every delivery; only a signature
    // header commits a request to the signature path.
    ['id and timestamp without a signature: the token decides', { 'webhook-id': MSG_ID, 'webhook-timestamp': String(NOW), 'x-gitlab-token': TOKEN }, ok('token')],
    ['signature when no signing secret is configured: the token decides', signed(NOW, { 'webhook-signature': wrong, 'x-gitlab-token': TOKEN }), ok('token'), { signingSecrets: [] }],
    ['signature alone when no signing secret is configured', signed(), no('missing'), { signingSecrets: [] }],
  ];

  it.each(cases)('%s', (_name, headers, expected, override) => {
    expect(authenticateGitlab(headers, BODY, { ...config, ...override }, NOW)).toEqual(expected);
  });

  it('refuses everything when nothing is configured', () => {
    const none: GitlabAuthConfig = { tokens: [], signingSecrets: [], toleranceSeconds: 300 };
    expect(authenticateGitlab({ 'x-gitlab-token': TOKEN, ...signed() }, BODY, none, NOW)).toEqual(no('missing'));
  });

  it('signs a binary body byte for byte (not through a string)', () => {
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    expect(authenticateGitlab(signed(NOW, {}, KEY, body), body, config, NOW)).toEqual(ok('signature'));
  });
});

describe('signStandardWebhook', () => {
  // Published example of the reference implementation:
  // standard-webhooks/standard-webhooks libraries/go/webhook_test.go, TestWebhookSign.
  it('reproduces the Standard Webhooks reference vector', () => {
    const header = signStandardWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(header).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies the reference vector', () => {
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const cfg = { tokens: [], signingSecrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], toleranceSeconds: 300 };
    expect(authenticateGitlab(headers, Buffer.from('{"test": 2432232314}'), cfg, 1614265330 + 10)).toEqual(ok('signature'));
    expect(authenticateGitlab(headers, Buffer.from('{"test": 2432232315}'), cfg, 1614265330 + 10)).toEqual(no('mismatch'));
  });

  it('agrees with an independent HMAC', () => {
    expect(signStandardWebhook(SECRET, MSG_ID, NOW, BODY)).toBe(good);
  });
});

describe('parseSigningSecret', () => {
  it.each([
    ['whsec_ + base64', `whsec_${KEY.toString('base64')}`, KEY.toString('hex')],
    ['bare base64', KEY.toString('base64'), KEY.toString('hex')],
    ['short key', 'whsec_AAEC', '000102'],
    ['empty', 'whsec_', null],
    ['not base64', 'whsec_%%%%', null],
    ['bad padding length', 'whsec_AAE', null],
    ['base64url alphabet', 'whsec_-_-_', null],
  ])('%s', (_name, secret, hex) => {
    const key = parseSigningSecret(secret);
    expect(key === null ? null : key.toString('hex')).toBe(hex);
  });
});
