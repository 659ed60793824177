/**
 * What happened on a forge, in the core's words. Adapters map webhook payloads to
 * these (pure functions, no I/O) and return null for everything the bot ignores.
 * "Change request" is a GitLab merge request or a GitHub pull request.
 */
export type PlatformKind = 'gitlab' | 'github';

export interface RepoRef {
  readonly platform: PlatformKind;
  /** Stable id: GitLab project id, GitHub repository id, as decimal strings. */
  readonly id: string;
  /** Human path, e.g. `group/sub/project` or `owner/name`, for logs and reports. */
  readonly path: string;
  readonly defaultBranch: string | null;
}

export interface EventMeta {
  /** Delivery id (GitLab Idempotency-Key / X-Gitlab-Event-UUID, GitHub X-GitHub-Delivery). */
  readonly deliveryId: string;
  /** GitHub App installation id; null on GitLab. */
  readonly installationId: number | null;
}

export type RepoEvent =
  | {
      readonly kind: 'tag-pushed';
      readonly repo: RepoRef;
      readonly tag: string;
      /** The commit the tag points at (peeled for annotated tags). */
      readonly sha: string;
      /** GitLab's ref_protected; null when the payload does not say. */
      readonly protected: boolean | null;
      readonly meta: EventMeta;
    }
  | {
      readonly kind: 'branch-pushed';
      readonly repo: RepoRef;
      readonly branch: string;
      readonly sha: string;
      /** Subject and body of the head commit, when the payload carries it. */
      readonly headMessage: string | null;
      /**
       * A push to the default branch that touched a config file (true), or whose commit
       * list the forge cut short (null: it may have); absent otherwise. The sweep re-reads
       * the config of such a repository (core/config-files.ts).
       */
      readonly configTouched?: true | null;
      readonly meta: EventMeta;
    }
  | {
      readonly kind: 'change-request';
      readonly repo: RepoRef;
      readonly action: 'opened' | 'reopened' | 'updated' | 'recheck';
      /** GitLab MR iid, GitHub PR number. */
      readonly number: number;
      readonly sourceBranch: string;
      readonly targetBranch: string;
      readonly headSha: string;
      /** false when the change comes from a fork: its files are read at headSha all the same. */
      readonly sameRepo: boolean;
      readonly meta: EventMeta;
    };
