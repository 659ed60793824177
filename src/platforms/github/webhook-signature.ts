import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` against one or more
 * secrets (several while a secret is rotated), before the body is parsed.
 *
 * Done here rather than by @octokit/webhooks or Probot: they read the whole body before
 * verifying, with no size limit, and Probot logs the whole payload when a signature is
 * bad. Malformed headers are a value, never a throw (CVE-2023-50728 crashed processes
 * using @octokit/webhooks on malformed input): the header must be exactly `sha256=`
 * followed by 64 hex digits, so that timingSafeEqual always compares 32 bytes with 32
 * bytes. Every secret is compared, with no early exit. The SHA-1 `X-Hub-Signature` is
 * not accepted.
 */
export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'mismatch' | 'no-secret' };

const HEADER = /^sha256=([0-9a-fA-F]{64})$/;

export function verifyGithubSignature(header: string | readonly string[] | undefined, rawBody: Buffer, secrets: readonly string[]): SignatureCheck {
  if (header === undefined || header === '') return { ok: false, reason: 'missing' };
  // A repeated header arrives as an array: ambiguous, refused.
  if (typeof header !== 'string') return { ok: false, reason: 'malformed' };
  const hex = HEADER.exec(header)?.[1];
  if (hex === undefined) return { ok: false, reason: 'malformed' };
  const given = Buffer.from(hex, 'hex');
  let matched = false;
  let usable = 0;
  for (const secret of secrets) {
    if (secret === '') continue;
    usable += 1;
    matched = timingSafeEqual(given, hmac(secret, rawBody)) || matched;
  }
  if (usable === 0) return { ok: false, reason: 'no-secret' };
  return matched ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** The header value GitHub would send for a body (tests and tools). */
export function signGithubPayload(secret: string, rawBody: Buffer | string): string {
  return `sha256=${hmac(secret, Buffer.from(rawBody)).toString('hex')}`;
}

function hmac(secret: string, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}
