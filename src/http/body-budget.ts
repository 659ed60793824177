/**
 * The web process's budget for webhook bodies in flight: the bytes it holds, summed over
 * every request still being read or handled, across both forges' routes.
 *
 * Why: before authentication anyone who can reach the port can send a body, and each
 * body is held until its signature can be checked at its end. Without a process-wide
 * bound, 40 slow senders of 24 MiB each took the process from 94 MB to over 1 GB RSS,
 * and glibc kept most of it after they left. With it, what strangers can make the process
 * hold is this budget plus, for bodies too small to matter, one small body per connection
 * (bounded by the connection cap).
 *
 * A lease counts one request's bytes. A lease taken for a request that is already
 * authenticated by its headers (GitLab's X-Gitlab-Token) is counted but never refused:
 * the forge that holds the token is not the attacker the budget is for, and refusing it
 * would let strangers crowd it out. Small bodies (a declared length up to SMALL_BODY_BYTES)
 * are admitted the same way, so a forge's everyday deliveries keep being answered while a
 * stranger fills the budget with large ones.
 */
export interface BodyBudget {
  readonly limitBytes: number;
  /** Bytes currently held by every lease. */
  readonly inFlightBytes: number;
  lease(kind: 'metered' | 'admitted'): BodyLease;
}

export interface BodyLease {
  /** Counts `bytes` more; false (and nothing counted) when a metered lease would pass the budget. */
  grow(bytes: number): boolean;
  /** Gives every byte of the lease back; safe to call more than once. */
  release(): void;
}

/**
 * Deliveries this small are admitted past a full budget: about what a push of a few dozen
 * commits weighs, and per connection at most this much, so strangers can hold at most
 * the connection cap times this (256 x 64 KiB = 16 MiB by default) beyond the budget.
 */
export const SMALL_BODY_BYTES = 64 * 1024;

export function createBodyBudget(limitBytes: number): BodyBudget {
  let inFlight = 0;
  return {
    limitBytes,
    get inFlightBytes() {
      return inFlight;
    },
    lease(kind) {
      let held = 0;
      return {
        grow(bytes) {
          if (kind === 'metered' && inFlight + bytes > limitBytes) return false;
          held += bytes;
          inFlight += bytes;
          return true;
        },
        release() {
          inFlight -= held;
          held = 0;
        },
      };
    },
  };
}

/** No budget (tests and tools that serve one request at a time): every lease is admitted. */
export function unlimitedBodyBudget(): BodyBudget {
  return createBodyBudget(Number.POSITIVE_INFINITY);
}
