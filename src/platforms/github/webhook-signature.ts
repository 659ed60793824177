import { createHmac } from 'node:crypto';
import type { Hmac } from 'node:crypto';
import { streamingHmac } from '../streaming-hmac.js';

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
 *
 * Split in two so that the web process decides from the header alone whether a request
 * could be signed at all (no header, a malformed one, or no secret: refused before a
 * byte of the body is read), and computes the HMACs while the body streams in.
 */
export type SignatureFailure = 'missing' | 'malformed' | 'mismatch' | 'no-secret';
export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: SignatureFailure };

/** Fed the raw body chunk by chunk, then asked once. */
export interface StreamingSignature {
  update(chunk: Buffer): void;
  result(): SignatureCheck;
}

const HEADER = /^sha256=([0-9a-fA-F]{64})$/;

/** From the header alone: a failure, or the HMACs to feed the body to. */
export function startGithubSignature(header: string | readonly string[] | undefined, secrets: readonly string[]): { readonly ok: false; readonly reason: SignatureFailure } | { readonly ok: true; readonly check: StreamingSignature } {
  if (header === undefined || header === '') return { ok: false, reason: 'missing' };
  // A repeated header arrives as an array: ambiguous, refused.
  if (typeof header !== 'string') return { ok: false, reason: 'malformed' };
  const hex = HEADER.exec(header)?.[1];
  if (hex === undefined) return { ok: false, reason: 'malformed' };
  const hmacs: Hmac[] = secrets.filter((s) => s !== '').map((secret) => createHmac('sha256', secret));
  if (hmacs.length === 0) return { ok: false, reason: 'no-secret' };
  const stream = streamingHmac(hmacs, [Buffer.from(hex, 'hex')]);
  return {
    ok: true,
    check: { update: (chunk) => stream.update(chunk), result: () => (stream.matches() ? { ok: true } : { ok: false, reason: 'mismatch' }) },
  };
}

/** The whole-body form (tools, tests): the same checks at once. */
export function verifyGithubSignature(header: string | readonly string[] | undefined, rawBody: Buffer, secrets: readonly string[]): SignatureCheck {
  const started = startGithubSignature(header, secrets);
  if (!started.ok) return started;
  started.check.update(rawBody);
  return started.check.result();
}

/** The header value GitHub would send for a body (tests and tools). */
export function signGithubPayload(secret: string, rawBody: Buffer | string): string {
  return `sha256=${hmac(secret, Buffer.from(rawBody)).toString('hex')}`;
}

function hmac(secret: string, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}
