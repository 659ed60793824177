import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RepoEvent } from '../../core/events.js';
import type { BodyBudget } from '../../http/body-budget.js';
import { deliveryIdFrom, singleHeader } from '../../http/delivery-id-from.js';
import { webhookHandler } from '../../http/webhook-handler.js';
import type { DeliveryFacts, WebhookOutcome } from '../../http/webhook-pipeline.js';
import type { Logger } from '../../logger.js';
import type { RecheckResolution } from './recheck.js';
import { mapGithubWebhook } from './to-event.js';
import type { GithubRecheck } from './to-event.js';
import { startGithubSignature } from './webhook-signature.js';

export interface GithubReceiverDeps {
  /** WEBHOOK_SECRET, split on commas: any one may sign (rotation). */
  readonly secrets: readonly string[];
  readonly maxBodyBytes: number;
  /** The process's budget for bodies in flight, shared with the other forge's route; none: unlimited. */
  readonly budget?: BodyBudget;
  /** `${slug}[bot]`, to ignore our own comments. */
  readonly botLogin: string | null;
  readonly appId: number | null;
  /**
   * Stores the event once. `sameAs`: the body's digest, a second name it is deduplicated
   * by (event-inbox.ts): the signature covers the body but not X-GitHub-Delivery, so a
   * captured delivery replayed under a new delivery id must still be a duplicate.
   */
  enqueue(event: RepoEvent, dedup: { readonly sameAs: readonly string[] }): Promise<{ jobId: string; created: boolean }>;
  /** Reads the pull request of a `/pyrelease check` comment (recheck.ts with the installation's Octokit), with a timeout. */
  resolveRecheck(request: GithubRecheck): Promise<RecheckResolution>;
  readonly log: Logger;
  /** Milliseconds since the epoch; Date.now by default. */
  readonly now?: () => number;
  /** Told about every request once, as it is logged (metrics). */
  readonly observe?: (outcome: GithubWebhookOutcome, event: string | undefined, latencyMs: number) => void;
}

export type GithubWebhookOutcome = WebhookOutcome;

const EVENT_NAME = /^[a-z_]{1,64}$/;

/** X-GitHub-Delivery (kept on a manual redelivery), else a digest of the body. */
export function deliveryId(req: IncomingMessage, facts: DeliveryFacts): string {
  return deliveryIdFrom(req, facts.bodyDigest, ['x-github-delivery']);
}

/** The body's second name in the inbox: any delivery of these exact bytes is the same delivery. */
export function bodyDedupName(facts: DeliveryFacts): string {
  return `github-body-sha256-${facts.bodyDigest}`;
}

/**
 * POST /api/github/webhooks, in front of (not through) Probot, on the shared pipeline
 * (src/http/webhook-handler.ts): the X-Hub-Signature-256 check, the mapping, and for
 * `/pyrelease check` comments a read of the pull request's head (within a timeout; a
 * failure is a 503: GitHub does not retry, but the sweep asks for a redelivery).
 */
export function githubWebhookHandler(deps: GithubReceiverDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return webhookHandler({
    name: 'github webhook',
    maxBodyBytes: deps.maxBodyBytes,
    ...(deps.budget === undefined ? {} : { budget: deps.budget }),
    log: deps.log,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(deps.observe === undefined ? {} : { observe: deps.observe }),
    // Nothing in the headers proves the sender: every signed-looking body is metered.
    admit: (req) => {
      const started = startGithubSignature(req.headers['x-hub-signature-256'], deps.secrets);
      return started.ok ? { ok: true, authenticated: false, check: started.check } : started;
    },
    eventName: (req) => {
      const raw = singleHeader(req.headers['x-github-event']);
      return { raw, logged: raw !== undefined && EVENT_NAME.test(raw) ? raw : undefined };
    },
    deliveryId,
    enqueue: (event, facts) => deps.enqueue(event, { sameAs: [bodyDedupName(facts)] }),
    route: async (eventName, payload, delivery) => {
      const mapping = mapGithubWebhook(eventName, payload, { deliveryId: delivery, installationId: null }, { botLogin: deps.botLogin, appId: deps.appId });
      if (mapping.kind === 'event') return mapping;
      if (mapping.kind !== 'recheck') return mapping.kind === 'invalid' ? { kind: 'unmappable', reason: mapping.reason } : { kind: 'ignored', reason: mapping.reason };
      const resolved = await deps.resolveRecheck(mapping);
      return resolved.kind === 'event' ? resolved : { kind: 'ignored', reason: resolved.reason, repo: mapping.repo.path };
    },
  });
}
