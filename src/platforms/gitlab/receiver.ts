import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RepoEvent } from '../../core/events.js';
import type { BodyBudget } from '../../http/body-budget.js';
import { deliveryIdFrom, isSafeId, singleHeader } from '../../http/delivery-id-from.js';
import { webhookHandler } from '../../http/webhook-handler.js';
import type { DeliveryFacts, WebhookOutcome } from '../../http/webhook-pipeline.js';
import type { Logger } from '../../logger.js';
import { mapGitlabWebhook } from './to-event.js';
import { startGitlabAuth } from './webhook-auth.js';
import type { GitlabAuthConfig } from './webhook-auth.js';

export interface GitlabReceiverDeps {
  readonly auth: GitlabAuthConfig;
  readonly maxBodyBytes: number;
  /** The process's budget for bodies in flight, shared with the other forge's route; none: unlimited. */
  readonly budget?: BodyBudget;
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

/**
 * A signed delivery's id is its `webhook-id`, the one header the signature covers (GitLab
 * sends the same value as Idempotency-Key and keeps it across retries): a captured
 * delivery replayed within the timestamp tolerance under a new Idempotency-Key is then
 * still a duplicate. An unsafe webhook-id is named by its digest, still one name per id.
 * Otherwise (a token, which proves the sender and so its headers): Idempotency-Key, else
 * X-Gitlab-Event-UUID, else a digest of the body.
 */
export function deliveryId(req: IncomingMessage, facts: DeliveryFacts): string {
  if (facts.method === 'signature') {
    const id = singleHeader(req.headers['webhook-id']) ?? '';
    return isSafeId(id) ? id : `webhook-id-sha256-${createHash('sha256').update(id).digest('hex')}`;
  }
  return deliveryIdFrom(req, facts.bodyDigest, ['idempotency-key', 'x-gitlab-event-uuid']);
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
    ...(deps.budget === undefined ? {} : { budget: deps.budget }),
    log: deps.log,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(deps.observe === undefined ? {} : { observe: deps.observe }),
    admit: (req, nowMs) => startGitlabAuth(req.headers, deps.auth, Math.floor(nowMs / 1000)),
    eventName: (req) => {
      const raw = singleHeader(req.headers['x-gitlab-event']);
      return { raw, logged: raw?.slice(0, 64) };
    },
    deliveryId,
    enqueue: (event) => deps.enqueue(event),
    route: async (eventName, payload, delivery) => {
      const scheduled = deps.upstream === undefined ? null : await deps.upstream(eventName, payload);
      if (scheduled !== null) return { kind: 'scheduled', repo: 'upstream', ...scheduled };
      const mapping = mapGitlabWebhook(eventName, payload, { deliveryId: delivery, installationId: null }, { botUserId: deps.botUserId, botUsername: deps.botUsername });
      if (mapping.kind === 'event') return mapping;
      return mapping.kind === 'invalid' ? { kind: 'unmappable', reason: mapping.reason } : { kind: 'ignored', reason: mapping.reason };
    },
  });
}
