import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Hmac } from 'node:crypto';
import { streamingHmac } from '../streaming-hmac.js';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Authenticates a GitLab webhook delivery from its headers and raw body, before the
 * body is parsed.
 *
 * Two methods, several secrets each (so a secret can be rotated without downtime):
 * - `X-Gitlab-Token`: a plain shared secret (GitLab's "secret token").
 * - The signing token (GitLab 19, Standard Webhooks, https://www.standardwebhooks.com/):
 *   `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
 *   (`v1,<base64 HMAC-SHA256>` entries separated by spaces) over
 *   `${id}.${timestamp}.${body}`, keyed with the base64-decoded part of a `whsec_`
 *   secret. Checked as in standard-webhooks' reference libraries
 *   (libraries/javascript/src/index.ts): unknown versions are skipped, any one matching
 *   v1 entry suffices, the timestamp may be off by the tolerance in either direction.
 *
 * Policy: either method suffices, but a present-and-invalid signature is a failure even
 * when the token is right. GitLab sends `webhook-id` and `webhook-timestamp` on every
 * delivery and `webhook-signature` only when the hook has a signing token, so only
 * `webhook-signature` commits a request to the signature path. A signature is
 * verified only when signing secrets are configured; without them it is not evidence
 * either way and the token decides. An operator who wants signatures only configures
 * no tokens.
 *
 * Everything that can be decided from the headers is, before a byte of the body is read
 * (startGitlabAuth): no credentials, a wrong token, a malformed or expired signature are
 * refused at once, and a right token authenticates the sender before its body arrives.
 * Only a request committed to the signature path has its body read unauthenticated, and
 * its HMAC is computed while the body streams.
 */
export interface GitlabAuthConfig {
  readonly tokens: readonly string[];
  readonly signingSecrets: readonly string[];
  readonly toleranceSeconds: number;
}

export type AuthResult =
  | { readonly ok: true; readonly method: 'token' | 'signature' }
  | { readonly ok: false; readonly reason: 'missing' | 'mismatch' | 'expired' | 'malformed' };

export type AuthFailure = Extract<AuthResult, { ok: false }>;

/** Fed the raw body chunk by chunk, then asked once. */
export interface StreamingAuth {
  update(chunk: Buffer): void;
  result(): AuthResult;
}

/**
 * What the headers say. `authenticated`: a right X-Gitlab-Token already proves the sender
 * (a signature beside it must still verify at the body's end).
 */
export type GitlabAdmission = AuthFailure | { readonly ok: true; readonly authenticated: boolean; readonly check: StreamingAuth };

export const DEFAULT_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const TIMESTAMP = /^\d{1,12}$/;
const HMAC_BYTES = 32;

/** From the headers alone: a failure, or how the body is then checked as it streams. */
export function startGitlabAuth(headers: IncomingHttpHeaders, config: GitlabAuthConfig, nowSeconds: number): GitlabAdmission {
  const token = headers['x-gitlab-token'];
  const tokenGiven = typeof token === 'string' && token !== '' && config.tokens.length > 0;
  const signature = headers['webhook-signature'];
  if (signature !== undefined && config.signingSecrets.length > 0) {
    const started = startSignature(headers, signature, config, nowSeconds);
    if (!started.ok) return started;
    return { ok: true, authenticated: tokenGiven && tokenMatches(token, config.tokens), check: started.check };
  }
  if (!tokenGiven) return { ok: false, reason: 'missing' };
  if (!tokenMatches(token, config.tokens)) return { ok: false, reason: 'mismatch' };
  return { ok: true, authenticated: true, check: { update: ignore, result: () => ({ ok: true, method: 'token' }) } };
}

/** The whole-body form (tools, tests): the same checks at once. */
export function authenticateGitlab(headers: IncomingHttpHeaders, rawBody: Buffer, config: GitlabAuthConfig, nowSeconds: number): AuthResult {
  const started = startGitlabAuth(headers, config, nowSeconds);
  if (!started.ok) return started;
  started.check.update(rawBody);
  return started.check.result();
}

/**
 * The key bytes of a signing secret (`whsec_<base64>`, or bare base64 as the reference
 * libraries also accept), or null when it is not valid base64 or decodes to nothing.
 * Config validation uses this too.
 */
export function parseSigningSecret(secret: string): Buffer | null {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) return null;
  const key = Buffer.from(encoded, 'base64');
  return key.length === 0 ? null : key;
}

/** The `v1,<base64>` value for a body, as a sender computes it (used by tests and tools). */
export function signStandardWebhook(secret: string, id: string, timestamp: number, body: Buffer | string): string {
  const key = parseSigningSecret(secret);
  if (key === null) throw new TypeError('signing secret is not valid base64');
  return `v1,${hmac(key, id, String(timestamp), Buffer.from(body)).toString('base64')}`;
}

// Digests of equal length, so neither the length nor the content of a configured
// token leaks through timing. Every token is compared; no early exit.
function tokenMatches(given: string, tokens: readonly string[]): boolean {
  const givenDigest = sha256(given);
  let matched = false;
  for (const token of tokens) {
    if (token === '') continue;
    matched = timingSafeEqual(givenDigest, sha256(token)) || matched;
  }
  return matched;
}

function startSignature(
  headers: IncomingHttpHeaders,
  signature: string | string[],
  config: GitlabAuthConfig,
  nowSeconds: number,
): AuthFailure | { readonly ok: true; readonly check: StreamingAuth } {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  if (typeof signature !== 'string' || typeof id !== 'string' || typeof timestamp !== 'string') {
    return { ok: false, reason: 'malformed' };
  }
  if (id === '' || !TIMESTAMP.test(timestamp)) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - Number(timestamp)) > config.toleranceSeconds) return { ok: false, reason: 'expired' };

  const candidates = parseSignatures(signature);
  if (candidates.length === 0) return { ok: false, reason: 'malformed' };
  const keys = config.signingSecrets.map(parseSigningSecret).filter((key) => key !== null);
  // No usable key could ever match: decided now rather than after reading the body.
  if (keys.length === 0) return { ok: false, reason: 'mismatch' };
  const hmacs: Hmac[] = keys.map((key) => createHmac('sha256', key).update(`${id}.${timestamp}.`));
  const stream = streamingHmac(hmacs, candidates);
  return {
    ok: true,
    check: { update: (chunk) => stream.update(chunk), result: () => (stream.matches() ? { ok: true, method: 'signature' } : { ok: false, reason: 'mismatch' }) },
  };
}

// v1 entries whose value decodes to an HMAC-SHA256 length; other versions (v1a is the
// asymmetric scheme) are skipped as the reference implementation does.
function parseSignatures(header: string): Buffer[] {
  const found: Buffer[] = [];
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const value = entry.slice(comma + 1);
    if (value.length % 4 !== 0 || !BASE64.test(value)) continue;
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length === HMAC_BYTES) found.push(bytes);
  }
  return found;
}

function hmac(key: Buffer, id: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function ignore(): void {}
