import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { eventually } from '../../helpers/gitlab-service.js';
import { arrangeReleaseAndChanges } from './arrange.js';
import type { Answer, BothForges } from './both-forges.js';
import { githubPullRequest, githubTagPush, gitlabMergeRequest, gitlabTagPush, sha } from '../../helpers/webhook-payloads.js';

/** One webhook delivery as a forge would send it, with its own delivery id. */
export interface Delivery {
  readonly forge: 'gitlab' | 'github';
  readonly event: string;
  readonly payload: unknown;
  readonly id: string;
}

/** Both forges' tag pushes of v1.4.0, the release arrangeReleaseAndChanges prepares. */
export function releaseDeliveries(s: BothForges): Delivery[] {
  return [
    { forge: 'gitlab', event: 'Tag Push Hook', payload: gitlabTagPush(s.project, 'v1.4.0', sha('a')), id: randomUUID() },
    { forge: 'github', event: 'push', payload: githubTagPush(s.repo, 'v1.4.0', sha('1')), id: randomUUID() },
  ];
}

/** One delivery per change request 1..changes on each forge, alternating, each with a new id. */
export function changeDeliveries(s: BothForges, changes: number): Delivery[] {
  const out: Delivery[] = [];
  for (let n = 1; n <= changes; n++) {
    out.push({ forge: 'gitlab', event: 'Merge Request Hook', payload: gitlabMergeRequest(s.project, n, sha('b')), id: randomUUID() });
    out.push({ forge: 'github', event: 'pull_request', payload: githubPullRequest(s.repo, n, sha('2')), id: randomUUID() });
  }
  return out;
}

/** Both releases, then `changes` change requests on each forge. */
export function deliveriesFor(s: BothForges, changes: number): Delivery[] {
  return [...releaseDeliveries(s), ...changeDeliveries(s, changes)];
}

/** Sends one delivery to the service once. */
export const send = (s: BothForges, d: Delivery): Promise<Answer> => (d.forge === 'gitlab' ? s.sendGitlab(d.event, d.payload, d.id) : s.sendGithub(d.event, d.payload, d.id));

/** Sends until a 2xx, as GitLab (and a redelivering GitHub App) would, at most `tries` times. */
export async function deliver(s: BothForges, d: Delivery, tries = 40): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < tries; i++) {
    const a = await send(s, d);
    answers.push(a);
    if (a.status < 300) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return answers;
}

/**
 * Both releases and `changes` change requests arranged, the first 8 deliveries accepted,
 * and a publish job running: the busy moment scenarios 3, 3b and 9 break Redis in.
 * Returns every delivery and the ones still to send.
 */
export async function busyWithARelease(s: BothForges, changes: number): Promise<{ deliveries: Delivery[]; second: Delivery[] }> {
  await arrangeReleaseAndChanges(s, changes);
  const deliveries = deliveriesFor(s, changes);
  const [first, second] = [deliveries.slice(0, 8), deliveries.slice(8)];
  const accepted = await Promise.all(first.map((d) => deliver(s, d)));
  expect(accepted.map((r) => r.at(-1)?.status)).toEqual(first.map(() => 200));
  await eventually(async () => ((await s.jobs('publish')).some((j) => j.state === 'active') ? true : undefined), 30_000, 'a running publish job');
  return { deliveries, second };
}

/**
 * Sends the deliveries one every 40 ms, each resent until accepted (`tries`). Counts those
 * answered 200 at the first try until `freeze()`: the ones a fault that comes next must not
 * lose, since they are never resent.
 */
export function trickle(s: BothForges, deliveries: readonly Delivery[], tries?: number): { readonly answers: Promise<Answer[][]>; acceptedAtOnce(): number; freeze(): void } {
  let frozen = false;
  let accepted = 0;
  const answers = Promise.all(
    deliveries.map(async (d, i) => {
      await new Promise((r) => setTimeout(r, i * 40));
      const seen = await deliver(s, d, tries);
      if (!frozen && seen.length === 1 && seen[0]?.status === 200) accepted += 1;
      return seen;
    }),
  );
  return { answers, acceptedAtOnce: () => accepted, freeze: () => void (frozen = true) };
}
