import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RepoEvent } from '../core/events.js';

/** GitLab's events (and any event job queued before GitHub's had a queue of their own). */
export const EVENT_QUEUE = 'events';
/**
 * GitHub's events, apart: GitHub asks for an installation's new comments 3 s apart, and a
 * job waits for that pacing in its worker slot. On one queue a burst of pull requests
 * held every slot and GitLab's events waited behind it (docs/reliability.md, scenario 1).
 */
export const GITHUB_EVENT_QUEUE = 'github-events';
export const EVENT_QUEUES = [EVENT_QUEUE, GITHUB_EVENT_QUEUE] as const;
export type EventQueueName = (typeof EVENT_QUEUES)[number];

export function eventQueueFor(platform: string | undefined): EventQueueName {
  return platform === 'github' ? GITHUB_EVENT_QUEUE : EVENT_QUEUE;
}

/**
 * The webhook receiver only verifies, maps and enqueues; the work (reading files,
 * commenting, tagging) happens in a worker from this queue. Events are validated
 * again on the way out of Redis.
 */
const sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/);
const repo = z.strictObject({
  platform: z.enum(['gitlab', 'github']),
  id: z.string().min(1).max(64),
  path: z.string().min(1).max(512),
  defaultBranch: z.string().max(255).nullable(),
});
const meta = z.strictObject({ deliveryId: z.string().min(1).max(200), installationId: z.number().int().nullable() });
const ref = z.string().min(1).max(1024);

export const repoEventSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('tag-pushed'), repo, tag: ref, sha, protected: z.boolean().nullable(), meta }),
  z.strictObject({ kind: z.literal('branch-pushed'), repo, branch: ref, sha, headMessage: z.string().max(100_000).nullable(), configTouched: z.literal(true).nullable().optional(), meta }).transform(({ configTouched, ...rest }) => (configTouched === undefined ? rest : { ...rest, configTouched })),
  z.strictObject({
    kind: z.literal('change-request'),
    repo,
    action: z.enum(['opened', 'reopened', 'updated', 'recheck']),
    number: z.number().int().positive(),
    sourceBranch: ref,
    targetBranch: ref,
    headSha: sha,
    sameRepo: z.boolean(),
    meta,
  }),
]);

export interface EventJobData {
  readonly event: RepoEvent;
}

/** One job per delivery: GitLab's Idempotency-Key and GitHub's delivery id survive redelivery. */
export function eventJobId(event: RepoEvent): string {
  const digest = createHash('sha256').update(JSON.stringify([event.repo.platform, event.repo.id, event.meta.deliveryId])).digest('hex');
  return `event-${event.repo.platform}-${digest.slice(0, 32)}`;
}
