/**
 * What the service should do, decided by the core from an event and its facts. The
 * executor carries them out through the Platform port; every one is idempotent.
 */
export type StatusState = 'pending' | 'success' | 'failure';

export type CommentTarget = { readonly kind: 'change-request'; readonly number: number } | { readonly kind: 'commit'; readonly sha: string };

export type Action =
  | {
      readonly kind: 'set-status';
      readonly sha: string;
      readonly state: StatusState;
      readonly description: string;
      /**
       * Only when the enqueue-publish before it made a new job: a redelivered tag must not
       * turn a finished release's status back to pending (the existing job reports).
       */
      readonly onlyForNewJob?: boolean;
    }
  | {
      readonly kind: 'upsert-comment';
      readonly target: CommentTarget;
      readonly body: string;
      /** Only edit an existing comment; never start one (nothing worth a new comment). */
      readonly onlyIfExists?: boolean;
    }
  | { readonly kind: 'ensure-tag'; readonly tag: string; readonly sha: string; readonly message: string }
  | {
      readonly kind: 'enqueue-publish';
      readonly version: string;
      readonly tag: string;
      readonly sha: string;
      readonly project: string | null;
      readonly registries: readonly string[];
      readonly buildTool: 'build' | 'poetry';
      readonly path: string;
    }
  | { readonly kind: 'ignore'; readonly reason: string };

/** Context name of the commit status / check run. */
export const STATUS_CONTEXT = 'pyrelease';
