import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RepoEvent } from '../../core/events.js';
import { isAppError } from '../../errors.js';
import { readBody } from '../../http/read-body.js';
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

export type GithubWebhookOutcome = Outcome;
type Outcome = 'queued' | 'duplicate' | 'ignored' | 'unmappable' | 'method' | 'too-large' | 'bad-request' | 'unauthorized' | 'malformed-json' | 'unavailable';

interface LogFields {
  outcome: Outcome;
  status: number;
  delivery?: string;
  event?: string;
  repo?: string;
  reason?: string;
  error?: string;
}

// Delivery ids end up in job ids and log lines: only short, plain ones are taken as
// given (GitHub sends GUIDs); anything else is replaced by a digest of the body.
const SAFE_ID = /^[A-Za-z0-9._-]{1,128}$/;
const EVENT_NAME = /^[a-z_]{1,64}$/;

/**
 * POST /api/github/webhooks, in front of (not through) Probot. Order: method (405) ->
 * body within the limit (413, before it is all read) -> X-Hub-Signature-256 (401;
 * nothing else happens: no parse, nothing from the request in the logs) -> JSON (400)
 * -> map -> for `/pyrelease check`, read the pull request -> enqueue (503 when that
 * fails: GitHub does not retry, but a failed delivery can be redelivered) -> 200.
 *
 * An authenticated payload we cannot map is answered 200 `ignored` and logged as a
 * warning: re-sending the same payload cannot fix our mapper. One log line per
 * request; never a header value other than the delivery id and event name, never the
 * body, never a secret or signature.
 */
export function githubWebhookHandler(deps: GithubReceiverDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const now = deps.now ?? Date.now;

  return async (req, res) => {
    const started = now();
    const finish = (fields: LogFields, body: Record<string, string>, extraHeaders: Record<string, string> = {}): void => {
      const level = fields.outcome === 'unmappable' || fields.outcome === 'unavailable' ? 'warn' : 'info';
      const latencyMs = now() - started;
      deps.log[level]({ ...fields, latencyMs }, 'github webhook');
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
      const signature = verifyGithubSignature(req.headers['x-hub-signature-256'], read.body, deps.secrets);
      if (!signature.ok) {
        finish({ outcome: 'unauthorized', status: 401, reason: signature.reason }, { status: 'unauthorized' });
        return;
      }

      const delivery = deliveryId(req, read.body);
      const eventHeader = single(req.headers['x-github-event']);
      const event = eventHeader !== undefined && EVENT_NAME.test(eventHeader) ? eventHeader : undefined;
      const base = { delivery, ...(event === undefined ? {} : { event }) };

      let payload: unknown;
      try {
        payload = JSON.parse(read.body.toString('utf8'));
      } catch {
        // Also what a hook set to application/x-www-form-urlencoded gets.
        finish({ ...base, outcome: 'malformed-json', status: 400 }, { status: 'invalid', reason: 'malformed JSON' });
        return;
      }

      const mapping = mapGithubWebhook(eventHeader, payload, { deliveryId: delivery, installationId: null }, { botLogin: deps.botLogin, appId: deps.appId });
      if (mapping.kind === 'ignored' || mapping.kind === 'invalid') {
        const outcome = mapping.kind === 'invalid' ? 'unmappable' : 'ignored';
        finish({ ...base, outcome, status: 200, reason: mapping.reason }, { status: 'ignored', reason: mapping.reason });
        return;
      }

      let repoEvent: RepoEvent;
      if (mapping.kind === 'recheck') {
        let resolved: RecheckResolution;
        try {
          resolved = await deps.resolveRecheck(mapping);
        } catch (error) {
          finish({ ...base, repo: mapping.repo.path, outcome: 'unavailable', status: 503, error: describe(error) }, { status: 'unavailable' }, { 'retry-after': '60' });
          return;
        }
        if (resolved.kind === 'ignored') {
          finish({ ...base, repo: mapping.repo.path, outcome: 'ignored', status: 200, reason: resolved.reason }, { status: 'ignored', reason: resolved.reason });
          return;
        }
        repoEvent = resolved.event;
      } else {
        repoEvent = mapping.event;
      }

      const repo = repoEvent.repo.path;
      let job: { jobId: string; created: boolean };
      try {
        job = await deps.enqueue(repoEvent);
      } catch (error) {
        finish({ ...base, repo, outcome: 'unavailable', status: 503, error: describe(error) }, { status: 'unavailable' }, { 'retry-after': '60' });
        return;
      }
      if (job.created) finish({ ...base, repo, outcome: 'queued', status: 200 }, { status: 'queued', job: job.jobId });
      else finish({ ...base, repo, outcome: 'duplicate', status: 200 }, { status: 'duplicate' });
    } catch (error) {
      // A bug of ours: 503 rather than a 500 with a stack.
      if (!res.headersSent) finish({ outcome: 'unavailable', status: 503, error: describe(error) }, { status: 'unavailable' });
    }
  };
}

/** X-GitHub-Delivery (kept on a manual redelivery), else a digest of the body. */
export function deliveryId(req: IncomingMessage, body: Buffer): string {
  const value = single(req.headers['x-github-delivery']);
  if (value !== undefined && SAFE_ID.test(value)) return value;
  return `sha256-${createHash('sha256').update(body).digest('hex')}`;
}

function single(value: string | string[] | undefined): string | undefined {
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
