import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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
 */
export interface GitlabAuthConfig {
  readonly tokens: readonly string[];
  readonly signingSecrets: readonly string[];
  readonly toleranceSeconds: number;
}

export type AuthResult =
  | { readonly ok: true; readonly method: 'token' | 'signature' }
  | { readonly ok: false; readonly reason: 'missing' | 'mismatch' | 'expired' | 'malformed' };

export const DEFAULT_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const TIMESTAMP = /^\d{1,12}$/;
const HMAC_BYTES = 32;

export function authenticateGitlab(
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  config: GitlabAuthConfig,
  nowSeconds: number,
): AuthResult {
  const signature = headers['webhook-signature'];
  if (signature !== undefined && config.signingSecrets.length > 0) {
    return verifySignature(headers, signature, rawBody, config, nowSeconds);
  }
  const token = headers['x-gitlab-token'];
  if (typeof token !== 'string' || token === '' || config.tokens.length === 0) {
    return { ok: false, reason: 'missing' };
  }
  return tokenMatches(token, config.tokens) ? { ok: true, method: 'token' } : { ok: false, reason: 'mismatch' };
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

function verifySignature(
  headers: IncomingHttpHeaders,
  signature: string | string[],
  rawBody: Buffer,
  config: GitlabAuthConfig,
  nowSeconds: number,
): AuthResult {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  if (typeof signature !== 'string' || typeof id !== 'string' || typeof timestamp !== 'string') {
    return { ok: false, reason: 'malformed' };
  }
  if (id === '' || !TIMESTAMP.test(timestamp)) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - Number(timestamp)) > config.toleranceSeconds) return { ok: false, reason: 'expired' };

  const candidates = parseSignatures(signature);
  if (candidates.length === 0) return { ok: false, reason: 'malformed' };
  let matched = false;
  for (const secret of config.signingSecrets) {
    const key = parseSigningSecret(secret);
    if (key === null) continue;
    const expected = hmac(key, id, timestamp, rawBody);
    for (const candidate of candidates) matched = timingSafeEqual(candidate, expected) || matched;
  }
  return matched ? { ok: true, method: 'signature' } : { ok: false, reason: 'mismatch' };
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
