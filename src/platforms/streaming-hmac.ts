import { timingSafeEqual } from 'node:crypto';
import type { Hmac } from 'node:crypto';

/** HMACs fed a body chunk by chunk as it streams in, then asked once. */
export interface StreamingHmac {
  update(chunk: Buffer): void;
  /** Whether any HMAC equals any of the given signatures. */
  matches(): boolean;
}

/**
 * The body half of both forges' signature checks (GitHub's X-Hub-Signature-256, GitLab's
 * signing token): every pair is compared in constant time with no early exit, so the time
 * taken says nothing about which secret or which signature came close. `given` must hold
 * digests of the HMAC's length (the callers check it from the headers), as
 * timingSafeEqual throws on unequal lengths.
 */
export function streamingHmac(hmacs: readonly Hmac[], given: readonly Buffer[]): StreamingHmac {
  let done = false;
  return {
    update: (chunk) => {
      for (const h of hmacs) h.update(chunk);
    },
    matches: () => {
      // An Hmac digests once; a second question is a bug of the caller's, answered no.
      if (done) return false;
      done = true;
      let matched = false;
      for (const h of hmacs) {
        const expected = h.digest();
        for (const signature of given) matched = timingSafeEqual(signature, expected) || matched;
      }
      return matched;
    },
  };
}
