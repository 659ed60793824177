import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RepoEvent } from '../../core/events.js';
import { isAppError } from '../../errors.js';
import { readBody } from '../../http/read-body.js';
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

export type GitlabWebhookOutcome = Outcome;
type Outcome = 'queued' | 'duplicate' | 'ignored' | 'unmappable' | 'method' | 'too-large' | 'bad-request' | 'unauthorized' | 'malformed-json' | 'unavailable';

interface LogFields {
  outcome: Outcome;
  status: number;
  delivery?: string;
  event?: string;
  project?: string;
  reason?: string;
  auth?: string;
  error?: string;
}

// Delivery ids end up in job ids and log lines: only short, plain ones are taken as
// given (GitLab sends UUIDs); anything else falls through to the next source.
const SAFE_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * POST /webhooks/gitlab. Order: method (405) -> body within the limit (413) ->
 * authentication (401; nothing else happens: no parse, no body in the logs) -> JSON
 * (400) -> map -> enqueue (503 on failure so GitLab retries; never 500) -> 200.
 *
 * An authenticated payload we cannot map is answered 200 `ignored` and logged as a
 * warning: GitLab disables a hook after repeated 4xx/5xx, and re-sending the same
 * payload cannot fix our mapper. Only malformed JSON (a broken delivery) is a 400.
 * One log line per request; never a header value other than the delivery id and
 * event name, never the body, never a token.
 */
export function gitlabWebhookHandler(deps: GitlabReceiverDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const now = deps.now ?? Date.now;

  return async (req, res) => {
    const started = now();
    const finish = (fields: LogFields, body: Record<string, string>, extraHeaders: Record<string, string> = {}): void => {
      const level = fields.outcome === 'unmappable' || fields.outcome === 'unavailable' ? 'warn' : 'info';
      const latencyMs = now() - started;
      deps.log[level]({ ...fields, latencyMs }, 'gitlab webhook');
      deps.observe?.(fields.outcome, fields.event, latencyMs);
      send(res, fields.status, body, extraHeaders);
    };

    try {
      if (req.method !== 'POST') {
        finish({ outcome: 'method', status: 405 }, { status: 'method not allowed' }, { allow: 'POST' });
        return;
      }
      const read = await readBody(req, deps.maxBodyBytes);
      if (!read.ok) {
        const outcome = read.status === 413 ? 'too-large' : 'bad-request';
        // Close the connection rather than drain a body we refused.
        finish({ outcome, status: read.status, reason: read.reason }, { status: 'rejected', reason: read.reason }, { connection: 'close' });
        return;
      }
      const auth = authenticateGitlab(req.headers, read.body, deps.auth, Math.floor(now() / 1000));
      if (!auth.ok) {
        finish({ outcome: 'unauthorized', status: 401, reason: auth.reason }, { status: 'unauthorized' });
        return;
      }

      const delivery = deliveryId(req, read.body);
      const eventHeader = single(req.headers['x-gitlab-event']);
      const event = eventHeader?.slice(0, 64);
      const base = { delivery, auth: auth.method, ...(event === undefined ? {} : { event }) };

      let payload: unknown;
      try {
        payload = JSON.parse(read.body.toString('utf8'));
      } catch {
        finish({ ...base, outcome: 'malformed-json', status: 400 }, { status: 'invalid', reason: 'malformed JSON' });
        return;
      }

      if (deps.upstream !== undefined) {
        let scheduled: { jobId: string; created: boolean } | null;
        try {
          scheduled = await deps.upstream(eventHeader, payload);
        } catch (error) {
          finish({ ...base, outcome: 'unavailable', status: 503, error: describe(error) }, { status: 'unavailable' }, { 'retry-after': '60' });
          return;
        }
        if (scheduled !== null) {
          finish({ ...base, project: 'upstream', outcome: scheduled.created ? 'queued' : 'duplicate', status: 200 }, scheduled.created ? { status: 'queued', job: scheduled.jobId } : { status: 'duplicate' });
          return;
        }
      }

      const mapping = mapGitlabWebhook(eventHeader, payload, { deliveryId: delivery, installationId: null }, {
        botUserId: deps.botUserId,
        botUsername: deps.botUsername,
      });
      if (mapping.kind !== 'event') {
        const outcome = mapping.kind === 'invalid' ? 'unmappable' : 'ignored';
        finish({ ...base, outcome, status: 200, reason: mapping.reason }, { status: 'ignored', reason: mapping.reason });
        return;
      }

      const project = mapping.event.repo.path;
      let job: { jobId: string; created: boolean };
      try {
        job = await deps.enqueue(mapping.event);
      } catch (error) {
        finish({ ...base, project, outcome: 'unavailable', status: 503, error: describe(error) }, { status: 'unavailable' }, { 'retry-after': '60' });
        return;
      }
      if (job.created) {
        finish({ ...base, project, outcome: 'queued', status: 200 }, { status: 'queued', job: job.jobId });
      } else {
        finish({ ...base, project, outcome: 'duplicate', status: 200 }, { status: 'duplicate' });
      }
    } catch (error) {
      // A bug of ours: 503 so GitLab retries later, rather than a 500.
      if (!res.headersSent) finish({ outcome: 'unavailable', status: 503, error: describe(error) }, { status: 'unavailable' });
    }
  };
}

/** Idempotency-Key (same across GitLab's retries, = webhook-id), else X-Gitlab-Event-UUID, else a digest of the body. */
export function deliveryId(req: IncomingMessage, body: Buffer): string {
  for (const name of ['idempotency-key', 'x-gitlab-event-uuid']) {
    const value = single(req.headers[name]);
    if (value !== undefined && SAFE_ID.test(value)) return value;
  }
  return `sha256-${createHash('sha256').update(body).digest('hex')}`;
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

// Class and code only: an error message may quote a connection string or a payload.
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
