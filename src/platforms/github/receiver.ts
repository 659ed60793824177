import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RepoEvent } from '../../core/events.js';
import { deliveryIdFrom, singleHeader, webhookHandler } from '../../http/webhook-handler.js';
import type { WebhookOutcome } from '../../http/webhook-handler.js';
import type { Logger } from '../../logger.js';
import type { RecheckResolution } from './recheck.js';
import { mapGithubWebhook } from './to-event.js';
import type { GithubRecheck } from './to-event.js';
import { verifyGithubSignature } from './webhook-signature.js';

export interface GithubReceiverDeps {
  /** WEBHOOK_SECRET, split on commas: any one may sign (rotation). */
  readonly secrets: readonly string[];
  readonly maxBodyBytes: number;
  /** `${slug}[bot]`, to ignore our own comments. */
  readonly botLogin: string | null;
  readonly appId: number | null;
  enqueue(event: RepoEvent): Promise<{ jobId: string; created: boolean }>;
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
export function deliveryId(req: IncomingMessage, body: Buffer): string {
  return deliveryIdFrom(req, body, ['x-github-delivery']);
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
    log: deps.log,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(deps.observe === undefined ? {} : { observe: deps.observe }),
    authenticate: (req, body) => verifyGithubSignature(req.headers['x-hub-signature-256'], body, deps.secrets),
    eventName: (req) => {
      const raw = singleHeader(req.headers['x-github-event']);
      return { raw, logged: raw !== undefined && EVENT_NAME.test(raw) ? raw : undefined };
    },
    deliveryId,
    enqueue: deps.enqueue,
    route: async (eventName, payload, delivery) => {
      const mapping = mapGithubWebhook(eventName, payload, { deliveryId: delivery, installationId: null }, { botLogin: deps.botLogin, appId: deps.appId });
      if (mapping.kind === 'event') return mapping;
      if (mapping.kind !== 'recheck') return mapping.kind === 'invalid' ? { kind: 'unmappable', reason: mapping.reason } : { kind: 'ignored', reason: mapping.reason };
      const resolved = await deps.resolveRecheck(mapping);
      return resolved.kind === 'event' ? resolved : { kind: 'ignored', reason: resolved.reason, repo: mapping.repo.path };
    },
  });
}
