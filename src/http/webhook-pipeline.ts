import type { IncomingMessage } from 'node:http';
import type { RepoEvent } from '../core/events.js';
import type { Logger } from '../logger.js';
import type { BodyBudget } from './body-budget.js';

/**
 * What a forge gives the shared webhook pipeline (webhook-handler.ts): how to tell from the
 * headers whether a request could authenticate, how to check its body as it streams, how
 * to name the delivery, and where to route it.
 */

/** What became of one request, as logged and counted (`busy`: over the body budget). */
export type WebhookOutcome = 'queued' | 'duplicate' | 'ignored' | 'unmappable' | 'method' | 'too-large' | 'busy' | 'bad-request' | 'unauthorized' | 'malformed-json' | 'unavailable';

export type AuthCheck = { readonly ok: true; readonly method?: string } | { readonly ok: false; readonly reason: string };

/** A signature computed while the body streams: fed every chunk, asked once at the end. */
export interface BodyCheck {
  update(chunk: Buffer): void;
  result(): AuthCheck;
}

/**
 * What the headers alone say: the request cannot authenticate (refused before its body is
 * read), or it may, and then how its body is checked. `authenticated`: the headers
 * already prove the sender (a shared token), so its body is not held against the budget.
 */
export type Admission = { readonly ok: false; readonly reason: string } | { readonly ok: true; readonly authenticated: boolean; readonly check: BodyCheck };

/** What the pipeline learnt of an authenticated body: its digest (hex SHA-256) and how it was authenticated. */
export interface DeliveryFacts {
  readonly bodyDigest: string;
  readonly method: string | undefined;
}

/** What the forge's router made of an authenticated, parsed delivery. */
export type Routed =
  | { readonly kind: 'event'; readonly event: RepoEvent }
  /** Already queued by the router itself (self-hosted tagging's upstream deliveries). */
  | { readonly kind: 'scheduled'; readonly repo: string; readonly jobId: string; readonly created: boolean }
  | { readonly kind: 'ignored'; readonly reason: string; readonly repo?: string }
  | { readonly kind: 'unmappable'; readonly reason: string; readonly repo?: string };

export interface WebhookPipeline {
  /** `gitlab webhook` / `github webhook` in the logs. */
  readonly name: string;
  readonly maxBodyBytes: number;
  /** Shared by every webhook route of the process; none: unlimited (tests). */
  readonly budget?: BodyBudget;
  readonly log: Logger;
  readonly now?: () => number;
  readonly observe?: (outcome: WebhookOutcome, event: string | undefined, latencyMs: number) => void;
  admit(req: IncomingMessage, nowMs: number): Admission;
  /** The event name header as sent (for the router) and as safe to log. */
  eventName(req: IncomingMessage): { raw: string | undefined; logged: string | undefined };
  deliveryId(req: IncomingMessage, facts: DeliveryFacts): string;
  /** Throws (a forge read timed out, Redis is away): 503. */
  route(eventName: string | undefined, payload: unknown, deliveryId: string): Promise<Routed>;
  enqueue(event: RepoEvent, facts: DeliveryFacts): Promise<{ jobId: string; created: boolean }>;
}
