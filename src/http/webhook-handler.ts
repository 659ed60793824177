import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAppError } from '../errors.js';
import { leaseKind, unlimitedBodyBudget } from './body-budget.js';
import type { BodyLease } from './body-budget.js';
import { readBody } from './read-body.js';
import type { DeliveryFacts, Routed, WebhookOutcome, WebhookPipeline } from './webhook-pipeline.js';

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

const BUSY_RETRY_AFTER_SECONDS = '10';

/**
 * The webhook pipeline both forges share. Order: method (405) -> could the headers
 * authenticate at all (401 before a byte of the body is read) -> body within the limit
 * (413) and the process's budget (503 busy; both before it is all read) while its
 * signature and digest are computed as it streams -> authentication (401; nothing else
 * happens: no parse, nothing from the request in the logs) -> JSON (400) -> route
 * (forge-specific: map, or schedule) -> enqueue (503 when that fails, so the sender
 * retries; never 500) -> 200.
 *
 * An authenticated payload the forge's mapper cannot read is answered 200 `ignored`
 * and logged as a warning: re-sending the same payload cannot fix our mapper, and GitLab
 * disables hooks that keep failing. One log line per request: the delivery id, event
 * name, repository and outcome, never a header value, the body, a token or a signature.
 */
export function webhookHandler(p: WebhookPipeline): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const now = p.now ?? Date.now;
  const budget = p.budget ?? unlimitedBodyBudget();
  return async (req, res) => {
    const started = now();
    const finish = (fields: LogFields, body: Record<string, string>, extraHeaders: Record<string, string> = {}): void => {
      const level = fields.outcome === 'unmappable' || fields.outcome === 'unavailable' || fields.outcome === 'busy' ? 'warn' : 'info';
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

    let lease: BodyLease | undefined;
    try {
      if (req.method !== 'POST') {
        finish({ outcome: 'method', status: 405 }, { status: 'method not allowed' }, { allow: 'POST' });
        return;
      }
      const admission = p.admit(req, now());
      if (!admission.ok) {
        // Nothing of the body is read: `Connection: close` ends the socket once this is written.
        finish({ outcome: 'unauthorized', status: 401, reason: admission.reason }, { status: 'unauthorized' }, { connection: 'close' });
        return;
      }
      const declared = req.headers['content-length'];
      lease = budget.lease(leaseKind(admission.authenticated, declared === undefined ? undefined : Number(declared)));
      const digest = createHash('sha256');
      const read = await readBody(req, {
        maxBytes: p.maxBodyBytes,
        lease,
        onChunk: (chunk) => {
          admission.check.update(chunk);
          digest.update(chunk);
        },
      });
      if (!read.ok) {
        const outcome = read.status === 413 ? 'too-large' : read.status === 503 ? 'busy' : 'bad-request';
        const retry: Record<string, string> = read.status === 503 ? { 'retry-after': BUSY_RETRY_AFTER_SECONDS } : {};
        // Close the connection rather than drain a body we refused.
        finish({ outcome, status: read.status, reason: read.reason }, { status: 'rejected', reason: read.reason }, { connection: 'close', ...retry });
        return;
      }
      const auth = admission.check.result();
      if (!auth.ok) {
        finish({ outcome: 'unauthorized', status: 401, reason: auth.reason }, { status: 'unauthorized' });
        return;
      }
      const facts: DeliveryFacts = { bodyDigest: digest.digest('hex'), method: auth.method };
      await handleAuthenticated(p, req, read.body(), facts, finish, unavailable);
    } catch (error) {
      // A bug of ours: 503 so the sender retries later, rather than a 500 with a stack.
      if (!res.headersSent) unavailable({}, error);
    } finally {
      // The body and its parse are dropped with this request: its bytes go back to the budget.
      lease?.release();
    }
  };
}

type Finish = (fields: LogFields, body: Record<string, string>, extraHeaders?: Record<string, string>) => void;
type Unavailable = (fields: Omit<LogFields, 'outcome' | 'status'>, error: unknown) => void;

/** Parse, route and enqueue a delivery whose sender is proven. */
async function handleAuthenticated(p: WebhookPipeline, req: IncomingMessage, body: Buffer, facts: DeliveryFacts, finish: Finish, unavailable: Unavailable): Promise<void> {
  const delivery = p.deliveryId(req, facts);
  const event = p.eventName(req);
  const base = { delivery, ...(facts.method === undefined ? {} : { auth: facts.method }), ...(event.logged === undefined ? {} : { event: event.logged }) };

  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
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
      job = await p.enqueue(routed.event, facts);
    } catch (error) {
      unavailable({ ...base, repo }, error);
      return;
    }
  }
  if (job.created) finish({ ...base, repo, outcome: 'queued', status: 200 }, { status: 'queued', job: job.jobId });
  else finish({ ...base, repo, outcome: 'duplicate', status: 200 }, { status: 'duplicate' });
}
