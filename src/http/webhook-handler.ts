import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RepoEvent } from '../core/events.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { readBody } from './read-body.js';

/**
 * The webhook pipeline both forges share. Order: method (405) -> body within the limit
 * (413, before it is all read) -> authentication (401; nothing else happens: no parse,
 * nothing from the request in the logs) -> JSON (400) -> route (forge-specific: map, or
 * schedule) -> enqueue (503 when that fails, so the sender retries; never 500) -> 200.
 *
 * An authenticated payload the forge's mapper cannot read is answered 200 `ignored`
 * and logged as a warning: re-sending the same payload cannot fix our mapper, and GitLab
 * disables hooks that keep failing. One log line per request: the delivery id, event
 * name, repository and outcome, never a header value, the body, a token or a signature.
 */
export type WebhookOutcome = 'queued' | 'duplicate' | 'ignored' | 'unmappable' | 'method' | 'too-large' | 'bad-request' | 'unauthorized' | 'malformed-json' | 'unavailable';

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
  readonly log: Logger;
  readonly now?: () => number;
  readonly observe?: (outcome: WebhookOutcome, event: string | undefined, latencyMs: number) => void;
  authenticate(req: IncomingMessage, body: Buffer, nowMs: number): { ok: true; method?: string } | { ok: false; reason: string };
  /** The event name header as sent (for the router) and as safe to log. */
  eventName(req: IncomingMessage): { raw: string | undefined; logged: string | undefined };
  deliveryId(req: IncomingMessage, body: Buffer): string;
  /** Throws (a forge read timed out, Redis is away): 503. */
  route(eventName: string | undefined, payload: unknown, deliveryId: string): Promise<Routed>;
  enqueue(event: RepoEvent): Promise<{ jobId: string; created: boolean }>;
}

interface LogFields {
  outcome: WebhookOutcome;
  status: number;
  delivery?: string;
  event?: string;
  repo?: string;
  reason?: string;
  auth?: string;
  error?: string;
}

// Delivery ids end up in job ids and log lines: only short, plain ones are taken as given.
const SAFE_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The first header of `names` holding a safe id, else a digest of the body. */
export function deliveryIdFrom(req: IncomingMessage, body: Buffer, names: readonly string[]): string {
  for (const name of names) {
    const value = singleHeader(req.headers[name]);
    if (value !== undefined && SAFE_ID.test(value)) return value;
  }
  return `sha256-${createHash('sha256').update(body).digest('hex')}`;
}

export function singleHeader(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

// Class and code only: an error message may quote a URL, a token or a payload.
function describe(error: unknown): string {
  if (isAppError(error)) return `${error.name}:${error.code}`;
  return error instanceof Error ? error.name : typeof error;
}

function send(res: ServerResponse, status: number, body: Record<string, string>, extraHeaders: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...extraHeaders,
  });
  res.end(text);
}

export function webhookHandler(p: WebhookPipeline): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const now = p.now ?? Date.now;
  return async (req, res) => {
    const started = now();
    const finish = (fields: LogFields, body: Record<string, string>, extraHeaders: Record<string, string> = {}): void => {
      const level = fields.outcome === 'unmappable' || fields.outcome === 'unavailable' ? 'warn' : 'info';
      const latencyMs = now() - started;
      // The answer first: the log line's write and the metrics need not delay the sender.
      try {
        send(res, fields.status, body, extraHeaders);
      } finally {
        p.log[level]({ ...fields, latencyMs }, p.name);
        p.observe?.(fields.outcome, fields.event, latencyMs);
      }
    };
    const unavailable = (fields: Omit<LogFields, 'outcome' | 'status'>, error: unknown): void =>
      finish({ ...fields, outcome: 'unavailable', status: 503, error: describe(error) }, { status: 'unavailable' }, { 'retry-after': '60' });

    try {
      if (req.method !== 'POST') {
        finish({ outcome: 'method', status: 405 }, { status: 'method not allowed' }, { allow: 'POST' });
        return;
      }
      const read = await readBody(req, p.maxBodyBytes);
      if (!read.ok) {
        const outcome = read.status === 413 ? 'too-large' : 'bad-request';
        // Close the connection rather than drain a body we refused.
        finish({ outcome, status: read.status, reason: read.reason }, { status: 'rejected', reason: read.reason }, { connection: 'close' });
        return;
      }
      const auth = p.authenticate(req, read.body, now());
      if (!auth.ok) {
        finish({ outcome: 'unauthorized', status: 401, reason: auth.reason }, { status: 'unauthorized' });
        return;
      }

      const delivery = p.deliveryId(req, read.body);
      const event = p.eventName(req);
      const base = { delivery, ...(auth.method === undefined ? {} : { auth: auth.method }), ...(event.logged === undefined ? {} : { event: event.logged }) };

      let payload: unknown;
      try {
        payload = JSON.parse(read.body.toString('utf8'));
      } catch {
        finish({ ...base, outcome: 'malformed-json', status: 400 }, { status: 'invalid', reason: 'malformed JSON' });
        return;
      }

      let routed: Routed;
      try {
        routed = await p.route(event.raw, payload, delivery);
      } catch (error) {
        unavailable(base, error);
        return;
      }
      if (routed.kind === 'ignored' || routed.kind === 'unmappable') {
        finish({ ...base, ...(routed.repo === undefined ? {} : { repo: routed.repo }), outcome: routed.kind, status: 200, reason: routed.reason }, { status: 'ignored', reason: routed.reason });
        return;
      }
      let job: { jobId: string; created: boolean };
      let repo: string;
      if (routed.kind === 'scheduled') {
        job = routed;
        repo = routed.repo;
      } else {
        repo = routed.event.repo.path;
        try {
          job = await p.enqueue(routed.event);
        } catch (error) {
          unavailable({ ...base, repo }, error);
          return;
        }
      }
      if (job.created) finish({ ...base, repo, outcome: 'queued', status: 200 }, { status: 'queued', job: job.jobId });
      else finish({ ...base, repo, outcome: 'duplicate', status: 200 }, { status: 'duplicate' });
    } catch (error) {
      // A bug of ours: 503 so the sender retries later, rather than a 500 with a stack.
      if (!res.headersSent) unavailable({}, error);
    }
  };
}
