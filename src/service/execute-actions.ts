import type { Action } from '../core/actions.js';
import { REPORT_MARKER } from '../core/report.js';
import { isAppError } from '../errors.js';
import type { EnqueueResult } from '../jobs/queues.js';
import type { Logger } from '../logger.js';
import type { Platform } from '../platforms/platform.js';

export interface ActionOutcome {
  readonly action: Action['kind'];
  readonly result: string;
}

export interface ExecuteDeps {
  readonly platform: Platform;
  /** Queues the publish job; returns its deterministic id. */
  enqueuePublish(action: Extract<Action, { kind: 'enqueue-publish' }>): Promise<EnqueueResult>;
  readonly log: Logger;
}

/**
 * Carries out the core's actions in order through the Platform. Every action is
 * idempotent, so a redelivered event or a retried job repeats them safely. A tag that
 * exists at another commit stops the release: it is reported, never moved.
 */
export async function executeActions(actions: readonly Action[], deps: ExecuteDeps): Promise<ActionOutcome[]> {
  const outcomes: ActionOutcome[] = [];
  let newJob = true;
  for (const action of actions) {
    if (action.kind === 'set-status' && action.onlyForNewJob === true && !newJob) {
      outcomes.push({ action: action.kind, result: 'skipped: the publish job already existed' });
      continue;
    }
    const result = await executeOne(action, deps);
    if (action.kind === 'enqueue-publish') newJob = result.startsWith('queued');
    outcomes.push({ action: action.kind, result });
    deps.log.info({ action: action.kind, result }, `action ${action.kind}: ${result}`);
    if (result === 'tag-conflict') break;
  }
  return outcomes;
}

async function executeOne(action: Action, deps: ExecuteDeps): Promise<string> {
  const { platform } = deps;
  switch (action.kind) {
    case 'set-status':
      await platform.setStatus(action.sha, { state: action.state, description: action.description });
      return action.state;
    case 'upsert-comment':
      return platform.upsertComment(action.target, action.body, REPORT_MARKER, { createIfMissing: action.onlyIfExists !== true });
    case 'ensure-tag':
      try {
        return await platform.ensureTag(action.tag, action.sha, action.message);
      } catch (error) {
        if (!isAppError(error) || error.code !== 'tag-conflict') throw error;
        await platform.setStatus(action.sha, { state: 'failure', description: `tag ${action.tag} already exists at another commit; not moved` });
        return 'tag-conflict';
      }
    case 'enqueue-publish': {
      const { jobId, created, retried } = await deps.enqueuePublish(action);
      if (retried === true) return `queued ${jobId} again: it had failed`;
      return created ? `queued ${jobId}` : `already queued ${jobId}`;
    }
    case 'ignore':
      return action.reason;
  }
}
