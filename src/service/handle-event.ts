import type { Action } from '../core/actions.js';
import type { PublishedVersions } from '../core/checks.js';
import { commitTriggerRelease, configOf, decideChangeRequest, decideRelease, isReleaseTagCandidate } from '../core/decide.js';
import type { ChangeRequestEvent, PushEvent, TagEvent } from '../core/decide.js';
import type { EventMeta, RepoEvent, RepoRef } from '../core/events.js';
import type { ChangeFacts } from '../core/checks.js';
import type { PublishPolicy } from '../core/publish-policy.js';
import type { OrgDefaults } from '../core/config-extends.js';
import type { Logger } from '../logger.js';
import type { Platform } from '../platforms/platform.js';
import { gatherChangeFacts } from './change-facts.js';
import type { FactSources } from './change-facts.js';
import { executeActions } from './execute-actions.js';
import type { ActionOutcome, ExecuteDeps } from './execute-actions.js';

export interface ServiceDeps {
  /** The repository's Platform; GitHub needs the App installation the event came through. */
  platformFor(repo: RepoRef, installationId: number | null): Promise<Platform>;
  /** Versions already on the repository's target indexes; omitted: not checked. */
  publishedVersions?(repo: RepoRef, registries: readonly string[], project: string | null): Promise<readonly PublishedVersions[]>;
  /** Organisation defaults for the repository's config (GitHub's `.github` repository); omitted: none. */
  orgDefaults?(repo: RepoRef, installationId: number | null, extendsTarget: string | null): Promise<OrgDefaults>;
  /** Who may publish what, where: the checks report a target or name the server would refuse. Omitted: not checked. */
  readonly publishPolicy?: PublishPolicy;
  /** `retryFailed`: a release whose publish job failed for good runs it again (queues.ts enqueuePublish). */
  enqueuePublish(repo: RepoRef, action: Parameters<ExecuteDeps['enqueuePublish']>[0], meta: EventMeta, options: { retryFailed: boolean }): ReturnType<ExecuteDeps['enqueuePublish']>;
  readonly log: Logger;
}

export interface HandledEvent {
  readonly actions: readonly Action[];
  readonly outcomes: readonly ActionOutcome[];
}

/**
 * What the checks read, at one ref. `configOnly` reads just enough to know the repo's
 * config (most tags and pushes are decided by it alone); the full set adds tags, the
 * target branch and the indexes.
 */
function sourcesAt(event: RepoEvent, platform: Platform, ref: string, deps: ServiceDeps, scope: { configOnly: true } | { configOnly: false; target?: FactSources['target'] }): FactSources {
  const { repo } = event;
  const orgDefaults = deps.orgDefaults;
  return {
    readHeadFile: (path) => platform.readFile(path, ref),
    target: scope.configOnly ? null : (scope.target ?? null),
    listTags: async () => (scope.configOnly ? [] : (await platform.listTags()).map((t) => t.name)),
    ...(orgDefaults === undefined ? {} : { readOrgDefaults: (target: string | null) => orgDefaults(repo, event.meta.installationId, target) }),
    ...(scope.configOnly || deps.publishedVersions === undefined ? {} : { publishedVersions: (registries, project) => deps.publishedVersions!(repo, registries, project) }),
  };
}

/**
 * One event reads the same few files more than once (the config first, to see whether
 * the event matters at all, then everything); a per-event memo keeps that to one request.
 */
function withMemoizedReads(platform: Platform): Platform {
  const reads = new Map<string, Promise<string | null>>();
  const readFile = (path: string, ref: string): Promise<string | null> => {
    const key = `${ref}\u0000${path}`;
    let read = reads.get(key);
    if (read === undefined) {
      read = platform.readFile(path, ref);
      reads.set(key, read);
    }
    return read;
  };
  // A proxy rather than a spread: adapters may be classes whose methods live on the prototype.
  return new Proxy(platform, {
    get(target, prop, receiver) {
      if (prop === 'readFile') return readFile;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function withMemoizedOrgDefaults(deps: ServiceDeps): ServiceDeps {
  const read = deps.orgDefaults;
  if (read === undefined) return deps;
  const cache = new Map<string, Promise<OrgDefaults>>();
  return {
    ...deps,
    orgDefaults: (repo, installationId, target) => {
      const key = target ?? '';
      let text = cache.get(key);
      if (text === undefined) {
        text = read(repo, installationId, target);
        cache.set(key, text);
      }
      return text;
    },
  };
}

/** gather facts through the Platform -> decide (pure) -> execute through the Platform. */
export async function handleEvent(event: RepoEvent, deps: ServiceDeps): Promise<HandledEvent> {
  const log = deps.log.child({ deliveryId: event.meta.deliveryId, repo: event.repo.path, event: event.kind });
  const platform = withMemoizedReads(await deps.platformFor(event.repo, event.meta.installationId));
  const actions = await decide(event, platform, withMemoizedOrgDefaults(deps));
  const outcomes = await executeActions(actions, {
    platform,
    // A new push of a release tag is how a maintainer retries a release that failed (the
    // same delivery again is dropped before it gets here). A branch push or a change
    // request never re-runs a failed release.
    enqueuePublish: (action) => deps.enqueuePublish(event.repo, action, event.meta, { retryFailed: event.kind === 'tag-pushed' }),
    log,
  });
  return { actions, outcomes };
}

async function decide(event: RepoEvent, platform: Platform, deps: ServiceDeps): Promise<Action[]> {
  switch (event.kind) {
    case 'tag-pushed':
      return decideTag(event, platform, deps);
    case 'branch-pushed':
      return decidePush(event, platform, deps);
    case 'change-request':
      return decideChange(event, platform, deps);
  }
}

async function releaseFacts(event: TagEvent | PushEvent, tag: string, platform: Platform, deps: ServiceDeps, defaultBranch: string) {
  const gathered = await gatherChangeFacts(sourcesAt(event, platform, event.sha, deps, { configOnly: false }), tag);
  const config = configOf(gathered.facts);
  const [branchesWithCommit, tagProtected] = await Promise.all([
    platform.branchesContaining(event.sha),
    config.requireProtectedTag ? (event.kind === 'tag-pushed' && event.protected !== null ? event.protected : platform.isTagProtected(tag)) : null,
  ]);
  return { change: withAccess(gathered.facts, event.repo, gathered.project.name, deps), projectName: gathered.project.name, backend: gathered.project.backend, defaultBranch, branchesWithCommit, tagProtected };
}

async function decideTag(event: TagEvent, platform: Platform, deps: ServiceDeps): Promise<Action[]> {
  // Read the config alone first: most tags in most repos are not release tags.
  const configOnly = await gatherChangeFacts(sourcesAt(event, platform, event.sha, deps, { configOnly: true }), event.tag);
  if (!isReleaseTagCandidate(event.tag, configOf(configOnly.facts))) {
    return [{ kind: 'ignore', reason: `tag ${event.tag} is not a release tag` }];
  }
  const defaultBranch = event.repo.defaultBranch ?? (await platform.defaultBranch());
  return decideRelease(event, await releaseFacts(event, event.tag, platform, deps, defaultBranch));
}

async function decidePush(event: PushEvent, platform: Platform, deps: ServiceDeps): Promise<Action[]> {
  const defaultBranch = event.repo.defaultBranch ?? (await platform.defaultBranch());
  if (event.branch !== defaultBranch) return [{ kind: 'ignore', reason: `push to ${event.branch}, not the default branch` }];
  const message = event.headMessage ?? (await platform.resolveCommit(event.sha))?.message ?? null;
  const configOnly = await gatherChangeFacts(sourcesAt(event, platform, event.sha, deps, { configOnly: true }), null);
  const release = commitTriggerRelease({ ...event, headMessage: message }, configOf(configOnly.facts), defaultBranch);
  if (release === null) return [{ kind: 'ignore', reason: 'the head commit does not start with a version, or the commit trigger is off' }];
  return decideRelease(event, await releaseFacts(event, release.tag, platform, deps, defaultBranch));
}

async function decideChange(event: ChangeRequestEvent, platform: Platform, deps: ServiceDeps): Promise<Action[]> {
  const target = { branch: event.targetBranch, readFile: (path: string) => platform.readFile(path, event.targetBranch) };
  const gathered = await gatherChangeFacts(sourcesAt(event, platform, event.headSha, deps, { configOnly: false, target }), null);
  return decideChangeRequest(event, { change: withAccess(gathered.facts, event.repo, gathered.project.name, deps), projectName: gathered.project.name });
}

function withAccess(facts: ChangeFacts, repo: RepoRef, project: string | null, deps: ServiceDeps): ChangeFacts {
  if (deps.publishPolicy === undefined) return facts;
  return { ...facts, access: { policy: deps.publishPolicy, publisher: { platform: repo.platform, id: repo.id, path: repo.path }, project } };
}
