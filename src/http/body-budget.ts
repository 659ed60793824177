/**
 * The web process's budget for webhook bodies in flight: the bytes it holds, summed over
 * every request still being read or handled, across both forges' routes.
 *
 * Why: before authentication anyone who can reach the port can send a body, and each
 * body is held until its signature can be checked at its end. Without a process-wide
 * bound, 40 slow senders of 24 MiB each took the process from 94 MB to over 1 GB RSS,
 * and glibc kept most of it after they left. With it, what strangers can make the process
 * hold in bodies is the budget, whatever the number of connections.
 *
 * A lease counts one request's bytes, in one of three kinds:
 * - `large` (a declared length over SMALL_BODY_BYTES, or none: chunked) may fill the
 *   budget up to its last SMALL_RESERVE_BYTES;
 * - `small` (a declared length up to SMALL_BODY_BYTES) may also use that reserve. A
 *   forge's everyday deliveries are small, so they keep being answered while strangers
 *   fill the rest with large bodies;
 * - `authenticated` (GitLab's X-Gitlab-Token proved the sender from the headers) is
 *   counted but never refused: the forge holding the token is not whom the budget is
 *   for, and refusing it would let strangers crowd it out.
 */
export type LeaseKind = 'large' | 'small' | 'authenticated';

export interface BodyBudget {
  readonly limitBytes: number;
  /** Bytes currently held by every lease. */
  readonly inFlightBytes: number;
  lease(kind: LeaseKind): BodyLease;
}

export interface BodyLease {
  /** Counts `bytes` more; false (and nothing counted) when that would pass what the lease's kind may use. */
  grow(bytes: number): boolean;
  /** Gives every byte of the lease back; safe to call more than once. */
  release(): void;
}

/** A declared length up to this is a small body: about a push of a few dozen commits. */
export const SMALL_BODY_BYTES = 64 * 1024;
/** The end of the budget only small bodies may use: 64 of the largest small ones. */
export const SMALL_RESERVE_BYTES = 4 * 1024 * 1024;

export function leaseKind(authenticated: boolean, declaredLength: number | undefined): LeaseKind {
  if (authenticated) return 'authenticated';
  return declaredLength !== undefined && declaredLength <= SMALL_BODY_BYTES ? 'small' : 'large';
}

export function createBodyBudget(limitBytes: number): BodyBudget {
  let inFlight = 0;
  const ceiling = (kind: LeaseKind): number => (kind === 'authenticated' ? Number.POSITIVE_INFINITY : kind === 'small' ? limitBytes : limitBytes - SMALL_RESERVE_BYTES);
  return {
    limitBytes,
    get inFlightBytes() {
      return inFlight;
    },
    lease(kind) {
      let held = 0;
      return {
        grow(bytes) {
          if (inFlight + bytes > ceiling(kind)) return false;
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

/** No budget (tests and tools that serve one request at a time): every lease fits. */
export function unlimitedBodyBudget(): BodyBudget {
  return createBodyBudget(Number.POSITIVE_INFINITY);
}
