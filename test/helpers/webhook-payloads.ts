import { readFileSync } from 'node:fs';
import examples from '@octokit/webhooks-examples' with { type: 'json' };
import type { FakeRepo } from '../fakes/fake-github-state.js';
import type { FakeProject } from '../fakes/fake-gitlab-state.js';
import { INSTALLATION_ID } from './github-service.js';

// Webhook bodies built from GitLab's documented examples and @octokit/webhooks-examples,
// pointed at the fakes' project / repository: shared by the e2e and fault suites.
type Example = Record<string, unknown>;
const gitlabFixture = (name: string): Example => JSON.parse(readFileSync(new URL(`../fixtures/gitlab/${name}.json`, import.meta.url), 'utf8')) as Example;
const byEvent = (name: string): Example[] => (examples as unknown as Array<{ name: string; examples: Example[] }>).find((e) => e.name === name)?.examples ?? [];

export const sha = (c: string): string => c.repeat(40);

function projectBlock(p: FakeProject): Example {
  return { ...(gitlabFixture('tag-push')['project'] as Example), id: p.id, path_with_namespace: p.pathWithNamespace, default_branch: 'main' };
}

export function gitlabTagPush(p: FakeProject, tag: string, at: string): Example {
  return { ...gitlabFixture('tag-push'), ref: `refs/tags/${tag}`, before: '0'.repeat(40), after: at, checkout_sha: at, project_id: p.id, ref_protected: true, project: projectBlock(p) };
}

export function gitlabMergeRequest(p: FakeProject, iid: number, head: string): Example {
  const base = gitlabFixture('merge-request');
  const attrs = base['object_attributes'] as Example;
  return {
    ...base,
    project: projectBlock(p),
    object_attributes: { ...attrs, iid, action: 'open', oldrev: null, source_branch: 'feature', target_branch: 'main', source_project_id: p.id, target_project_id: p.id, last_commit: { ...(attrs['last_commit'] as Example), id: head } },
  };
}

/** A Release Hook with no self-hosted tagging configured: authenticated, answered 200 `ignored`. */
export function gitlabIgnored(p: FakeProject): Example {
  return { ...gitlabFixture('release'), project: projectBlock(p) };
}

function repository(r: FakeRepo): Example {
  const base = (byEvent('push')[0]?.['repository'] ?? {}) as Example;
  return { ...base, id: r.id, name: r.name, full_name: `${r.owner}/${r.name}`, default_branch: 'main', owner: { ...(base['owner'] as Example), login: r.owner } };
}

// Two GitHub events are never byte-identical: each carries the time it happened (a
// push's head_commit.timestamp, a pull request's updated_at), and the service drops a
// signed body it has seen under another delivery id as a replay. So each call stamps a
// time of its own; a delivery sent again reuses its payload, as a redelivery does.
let eventClock = Date.UTC(2026, 0, 1);
const nextEventTime = (): string => new Date((eventClock += 1000)).toISOString();

export function githubTagPush(r: FakeRepo, tag: string, at: string): Example {
  const base = byEvent('push')[0] ?? {};
  return {
    ...base,
    ref: `refs/tags/${tag}`,
    before: '0'.repeat(40),
    after: at,
    created: true,
    deleted: false,
    base_ref: null,
    commits: [],
    head_commit: { ...(base['head_commit'] as Example), id: at, message: 'release', timestamp: nextEventTime() },
    repository: repository(r),
    installation: { id: INSTALLATION_ID, node_id: 'x' },
  };
}

export function githubPullRequest(r: FakeRepo, number: number, head: string): Example {
  const base = byEvent('pull_request').find((e) => e['action'] === 'opened') ?? {};
  const pr = base['pull_request'] as Example;
  const repo = repository(r);
  return {
    ...base,
    action: 'opened',
    number,
    pull_request: { ...pr, number, updated_at: nextEventTime(), head: { ...(pr['head'] as Example), ref: 'feature', sha: head, repo }, base: { ...(pr['base'] as Example), ref: 'main', repo } },
    repository: repo,
    installation: { id: INSTALLATION_ID, node_id: 'x' },
  };
}

/** A label added to a pull request: the service answers 200 `ignored` and queues nothing. */
export function githubIgnored(r: FakeRepo): Example {
  return { ...githubPullRequest(r, 999, sha('f')), action: 'labeled' };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
