import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RepoEvent } from '../../core/events.js';
import { deliveryIdFrom, singleHeader, webhookHandler } from '../../http/webhook-handler.js';
import type { WebhookOutcome } from '../../http/webhook-handler.js';
import type { Logger } from '../../logger.js';
import { mapGitlabWebhook } from './to-event.js';
import { authenticateGitlab } from './webhook-auth.js';
import type { GitlabAuthConfig } from './webhook-auth.js';

export interface GitlabReceiverDeps {
  readonly auth: GitlabAuthConfig;
  readonly maxBodyBytes: number;
  readonly botUserId: number | null;
  readonly botUsername: string | null;
  enqueue(event: RepoEvent): Promise<{ jobId: string; created: boolean }>;
  readonly log: Logger;
  /** Milliseconds since the epoch; Date.now by default. */
  readonly now?: () => number;
  /**
   * Deliveries from the upstream GitLab project that self-hosted tagging watches (a
   * release or tag push there): scheduled by this function, not mapped to repo events,
   * so pyrelease never treats GitLab's own tags as Python releases. Null: not upstream.
   */
  readonly upstream?: (eventHeader: string | undefined, payload: unknown) => Promise<{ jobId: string; created: boolean } | null>;
  /** Told about every request once, as it is logged (metrics). */
  readonly observe?: (outcome: GitlabWebhookOutcome, event: string | undefined, latencyMs: number) => void;
}

export type GitlabWebhookOutcome = WebhookOutcome;

/** Idempotency-Key (same across GitLab's retries, = webhook-id), else X-Gitlab-Event-UUID, else a digest of the body. */
export function deliveryId(req: IncomingMessage, body: Buffer): string {
  return deliveryIdFrom(req, body, ['idempotency-key', 'x-gitlab-event-uuid']);
}

/**
 * POST /webhooks/gitlab, on the shared pipeline (src/http/webhook-handler.ts): GitLab's
 * X-Gitlab-Token or signing-token check, then the upstream project's deliveries for
 * self-hosted tagging, then the mapping of project and group hooks to core events.
 */
export function gitlabWebhookHandler(deps: GitlabReceiverDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return webhookHandler({
    name: 'gitlab webhook',
    maxBodyBytes: deps.maxBodyBytes,
    log: deps.log,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(deps.observe === undefined ? {} : { observe: deps.observe }),
    authenticate: (req, body, nowMs) => authenticateGitlab(req.headers, body, deps.auth, Math.floor(nowMs / 1000)),
    eventName: (req) => {
      const raw = singleHeader(req.headers['x-gitlab-event']);
      return { raw, logged: raw?.slice(0, 64) };
    },
    deliveryId,
    enqueue: deps.enqueue,
    route: async (eventName, payload, delivery) => {
      const scheduled = deps.upstream === undefined ? null : await deps.upstream(eventName, payload);
      if (scheduled !== null) return { kind: 'scheduled', repo: 'upstream', ...scheduled };
      const mapping = mapGitlabWebhook(eventName, payload, { deliveryId: delivery, installationId: null }, { botUserId: deps.botUserId, botUsername: deps.botUsername });
      if (mapping.kind === 'event') return mapping;
      return mapping.kind === 'invalid' ? { kind: 'unmappable', reason: mapping.reason } : { kind: 'ignored', reason: mapping.reason };
    },
  });
}
