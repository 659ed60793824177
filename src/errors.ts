/**
 * Errors are told apart by class and `code`, never by message text. `retryable` says
 * whether the same work may succeed later (a 503, a reset connection), which decides
 * between a BullMQ retry and an UnrecoverableError.
 */
export type ErrorCode =
  | 'archive-unsafe'
  | 'archive-too-large'
  | 'archive-invalid'
  | 'build-failed'
  | 'build-timeout'
  | 'build-output-invalid'
  | 'dist-mismatch'
  | 'dist-invalid'
  | 'index-conflict'
  | 'index-refused'
  | 'index-unavailable'
  | 'index-auth'
  | 'network'
  | 'config-invalid'
  | 'registry-unknown'
  /** The server config does not let this repository publish this name to this target. */
  | 'publish-forbidden'
  | 'source-unavailable'
  | 'job-invalid'
  | 'tag-conflict'
  | 'forge-unavailable'
  | 'forge-auth'
  | 'forge-not-found'
  | 'forge-refused'
  | 'webhook-invalid';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** Facts for logs and reports; never a secret. */
  readonly details: Readonly<Record<string, string | number | boolean | null>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown; details?: Record<string, string | number | boolean | null> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Unknown errors (bugs, unexpected library failures) are retried: they may be transient. */
export function isRetryable(error: unknown): boolean {
  return isAppError(error) ? error.retryable : true;
}

/**
 * The details of a rate-limit answer (a 429, GitHub's rate-limit 403): the service is
 * up and asked us to come back later. The job queue waits such an answer out without
 * spending an attempt (jobs/throttle.ts); `retryAfterSeconds` is what the service asked
 * for, null when it did not say.
 */
export function rateLimitDetails(retryAfterSeconds: number | null): { rateLimited: true; retryAfterSeconds: number | null } {
  return { rateLimited: true, retryAfterSeconds };
}

/** A tag exists at another commit: never moved silently. */
export class TagConflictError extends AppError {
  readonly tag: string;
  readonly existingSha: string;
  readonly wantedSha: string;

  constructor(tag: string, existingSha: string, wantedSha: string) {
    super('tag-conflict', `tag ${JSON.stringify(tag)} already points at ${existingSha}, not ${wantedSha}`, {
      details: { tag, existingSha, wantedSha },
    });
    this.name = 'TagConflictError';
    this.tag = tag;
    this.existingSha = existingSha;
    this.wantedSha = wantedSha;
  }
}
