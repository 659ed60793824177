import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signGithubPayload, startGithubSignature } from '../../../src/platforms/github/webhook-signature.js';

const SECRET = `ghws-${randomBytes(12).toString('hex')}`;
const body = Buffer.from(JSON.stringify({ ref: 'refs/tags/v1.0.0', pad: 'x'.repeat(10_000) }));

/** Feeds `bytes` in pieces cut at `cuts`, as a socket would deliver them. */
function feed(check: { update(chunk: Buffer): void }, bytes: Buffer, cuts: readonly number[]): void {
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    check.update(bytes.subarray(at, cut));
    at = cut;
  }
}

describe('startGithubSignature', () => {
  it.each([[[]], [[1]], [[1, 2, 3]], [[4096, 8192]], [[body.length - 1]]])('verifies a body fed in pieces cut at %j', (cuts) => {
    const started = startGithubSignature(signGithubPayload(SECRET, body), ['old', SECRET]);
    if (!started.ok) throw new Error('refused from the header');
    feed(started.check, body, cuts);
    expect(started.check.result()).toEqual({ ok: true });
  });

  it('refuses a body one byte different, however it arrives', () => {
    const started = startGithubSignature(signGithubPayload(SECRET, body), [SECRET]);
    if (!started.ok) throw new Error('refused from the header');
    const other = Buffer.from(body);
    other[100] = 0x79;
    feed(started.check, other, [50, 5000]);
    expect(started.check.result()).toEqual({ ok: false, reason: 'mismatch' });
  });

  it.each([
    ['no header', undefined, [SECRET], 'missing'],
    ['a repeated header', ['a', 'b'], [SECRET], 'malformed'],
    ['a short digest', 'sha256=00', [SECRET], 'malformed'],
    ['no secret', signGithubPayload(SECRET, body), [''], 'no-secret'],
  ] as const)('decides from the header alone: %s', (_name, header, secrets, reason) => {
    expect(startGithubSignature(header, secrets)).toEqual({ ok: false, reason });
  });

  it('answers a second question no, rather than throw (an Hmac digests once)', () => {
    const started = startGithubSignature(signGithubPayload(SECRET, body), [SECRET]);
    if (!started.ok) throw new Error('refused from the header');
    started.check.update(body);
    expect(started.check.result()).toEqual({ ok: true });
    expect(started.check.result()).toEqual({ ok: false, reason: 'mismatch' });
  });
});
