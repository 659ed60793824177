import { createHash } from 'node:crypto';
import type { OrgDefaults } from '../core/config-extends.js';
import { configOf } from '../core/decide.js';
import { extendsTarget, readRepoConfig } from '../core/repo-config.js';
import type { RepoEvent, RepoRef } from '../core/events.js';
import { canonicalizeVersion, compareVersions } from '../core/pep440.js';
import type { Version } from '../core/pep440.js';
import { classifyTag } from '../core/tags.js';
import type { Logger } from '../logger.js';
import type { Platform, RequestCost, Revalidated, TagInfo } from '../platforms/platform.js';
import { addCost, NO_COST } from '../platforms/rate-reading.js';
import { gatherChangeFacts } from './change-facts.js';
import type { ServiceDeps } from './handle-event.js';

export interface SweepSettings {
  /** Newest release tags per repository to look at. */
  readonly tagsPerRepo: number;
  /** Ignore tags whose commit is older than this, where the forge tells commit dates. */
  readonly maxAgeDays: number;
  readonly nowMs: number;
}

/**
 * What the sweep remembers of a repository between passes (jobs/sweep-state.ts keeps it
 * in Redis), so that a repository that did not change costs nothing.
 */
export interface RepoSweepState {
  /** When the last check started (epoch ms). */
  readonly checkedAt: number;
  /** The forge's changedAt (pushed_at, last_activity_at) the last check answered to. */
  readonly changedAt: string | null;
  /** A change the forge listed that is not checked yet (the budget ran out first). */
  readonly pending?: string;
  /** The tag listing's validator (ETags). */
  readonly tags?: string | null;
  /** The newest release tags, found on every target index at the last check. */
  readonly published?: readonly string[];
  /**
   * The config names no registry: nothing to do until a push touches a config file (the
   * event worker forgets this state) or the organisation defaults it was read with change.
   */
  readonly noRegistry?: { readonly orgDefaults: string; readonly extendsTarget: string | null };
  /** The last check queued releases (or failed): check again next pass, whatever changed. */
  readonly retry?: true;
  /** GitLab: the listing of the token's projects does not show this one (not a member). */
  readonly unlisted?: true;
}

export interface CheckResult {
  readonly events: RepoEvent[];
  /** What to remember; null when the repository cannot be swept at all. */
  readonly state: Omit<RepoSweepState, 'checkedAt' | 'changedAt'> | null;
  readonly cost: RequestCost;
}

type SweepDeps = Pick<ServiceDeps, 'publishedVersions' | 'orgDefaults'>;

/** A short fingerprint of what the organisation defaults were when a config was read. */
export function orgDefaultsFingerprint(defaults: OrgDefaults): string {
  if (defaults === null) return '-';
  const text = typeof defaults === 'string' ? defaults : `refused:${defaults.refused}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * The platform, counting what each call costs: one request (and one point) per call,
 * except the conditional listing, which says what it cost (a 304 is free on GitHub).
 */
function counting(platform: Platform): { platform: Platform; cost(): RequestCost; add(cost: RequestCost): void } {
  let total = NO_COST;
  const add = (cost: RequestCost): void => void (total = addCost(total, cost));
  const counted = new Proxy(platform, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      if (prop === 'listTagsIfChanged') {
        return async (...args: unknown[]) => {
          const answer = (await fn.apply(target, args)) as Revalidated<TagInfo[]>;
          add(answer.cost);
          return answer;
        };
      }
      return (...args: unknown[]) => {
        add({ requests: 1, points: 1, rate: null });
        return fn.apply(target, args);
      };
    },
  });
  return { platform: counted, cost: () => total, add };
}

/**
 * Checks one repository for release tags whose version is missing from a target index,
 * and returns a tag-pushed event for each, as if the webhook had come. Handling them goes
 * through the same checks and the same deterministic publish job ids, so a tag whose
 * webhook did arrive, or that the sweep saw before, is not published twice.
 *
 * With what the last check remembered, a repository costs as little as its forge allows:
 * its tags are revalidated (a 304 on GitHub costs nothing) and nothing else is read when
 * they did not change; the config is read only when there are tags to judge; tags found
 * on every index before are not asked about again. A config that names no registry is
 * remembered as such.
 */
export async function checkRepo(
  repo: RepoRef & { installationId: number | null },
  platform: Platform,
  deps: SweepDeps,
  settings: SweepSettings,
  previous: RepoSweepState | null,
  log: Logger,
  options: { readonly remember?: boolean } = {},
): Promise<CheckResult> {
  const meter = counting(platform);
  const p = meter.platform;
  const known = previous !== null && previous.noRegistry === undefined && previous.retry !== true && previous.published !== undefined ? previous : null;
  let tags: Revalidated<TagInfo[]> | null = null;
  if (known !== null) {
    tags = await p.listTagsIfChanged(known.tags ?? null);
    if (!tags.changed) return { events: [], state: { tags: tags.validator, published: known.published ?? [] }, cost: meter.cost() };
  }

  const defaultBranch = repo.defaultBranch ?? (await p.defaultBranch());
  // Each file and the organisation defaults are read once per check, whoever asks.
  const files = new Map<string, Promise<string | null>>();
  const readHeadFile = (path: string): Promise<string | null> => {
    let read = files.get(path);
    if (read === undefined) files.set(path, (read = p.readFile(path, defaultBranch)));
    return read;
  };
  const orgDefaults = deps.orgDefaults;
  const defaultsRead = new Map<string, Promise<OrgDefaults>>();
  const readOrgDefaults = (target: string | null): Promise<OrgDefaults> => {
    let read = defaultsRead.get(target ?? '');
    if (read === undefined) {
      defaultsRead.set(target ?? '', (read = orgDefaults === undefined ? Promise.resolve(null) : orgDefaults(repo, repo.installationId, target)));
    }
    return read;
  };

  // The config first (the files it lives in, and the defaults it extends): a repository
  // that names no registry costs nothing more, and is remembered as such.
  const [pyprojectToml, pyreleaseYml] = await Promise.all([readHeadFile('pyproject.toml'), readHeadFile('.pyrelease.yml')]);
  const target = extendsTarget({ pyprojectToml, pyreleaseYml });
  const defaults = orgDefaults === undefined ? null : await readOrgDefaults(target);
  const refused = defaults !== null && typeof defaults === 'object';
  const configRead = readRepoConfig({ pyprojectToml, pyreleaseYml, orgDefaultsYml: refused ? null : defaults, ...(refused ? { extendsRefused: defaults.refused } : {}) });
  if (!configRead.ok || configRead.config.registries.length === 0) {
    return { events: [], state: { noRegistry: { orgDefaults: orgDefaultsFingerprint(defaults), extendsTarget: target } }, cost: meter.cost() };
  }
  const gathered = await gatherChangeFacts(
    { readHeadFile, target: null, listTags: async () => [], ...(orgDefaults === undefined ? {} : { readOrgDefaults }) },
    null,
  );
  const config = configOf(gathered.facts);
  if (deps.publishedVersions === undefined) return { events: [], state: null, cost: meter.cost() };

  // Read afresh: with a validator to remember when there is somewhere to remember it.
  let listing: { readonly value: readonly TagInfo[]; readonly validator: string | null };
  if (tags !== null && tags.changed) listing = tags;
  else if (options.remember === true) {
    const fresh = await p.listTagsIfChanged(null);
    listing = fresh.changed ? fresh : { value: await p.listTags(), validator: null };
  } else listing = { value: await p.listTags(), validator: null };
  const policy = { prefixes: config.tagPrefixes, mode: config.tagMode };
  const oldest = settings.nowMs - settings.maxAgeDays * 24 * 3600 * 1000;
  const candidates: Array<{ tag: TagInfo; version: Version; normalized: string }> = [];
  for (const tag of listing.value) {
    const verdict = classifyTag(tag.name, policy);
    if (verdict.kind !== 'release') continue;
    const when = tag.committedAt === undefined || tag.committedAt === null ? null : Date.parse(tag.committedAt);
    if (when !== null && Number.isFinite(when) && when < oldest) continue;
    candidates.push({ tag, version: verdict.version, normalized: verdict.normalized });
  }
  candidates.sort((a, b) => compareVersions(b.version, a.version));
  const newest = candidates.slice(0, settings.tagsPerRepo);
  const before = new Set(known?.published ?? []);
  const unverified = newest.filter((c) => !before.has(c.tag.name));
  const verified = newest.filter((c) => before.has(c.tag.name)).map((c) => c.tag.name);
  if (unverified.length === 0) return { events: [], state: { tags: listing.validator, published: verified }, cost: meter.cost() };

  const published = await deps.publishedVersions(repo, config.registries, gathered.project.name);
  const events: RepoEvent[] = [];
  for (const { tag, normalized } of unverified) {
    const canonical = canonicalizeVersion(normalized);
    const missing = config.registries.filter((r) => !published.some((pv) => pv.registry === r && pv.versions.some((v) => canonicalizeVersion(v) === canonical)));
    if (missing.length === 0) {
      verified.push(tag.name);
      continue;
    }
    log.info({ repo: repo.path, tag: tag.name, missing }, 'sweep found a release tag that is not on every target index');
    events.push({
      kind: 'tag-pushed',
      repo: { platform: repo.platform, id: repo.id, path: repo.path, defaultBranch },
      tag: tag.name,
      sha: tag.sha,
      protected: null,
      // The repository is part of the id: a fork has the same tag at the same commit, and
      // the event inbox drops a delivery id it has seen.
      meta: { deliveryId: `sweep-${repo.platform}-${repo.id}-${tag.sha.slice(0, 12)}-${Buffer.from(tag.name).toString('hex').slice(0, 64)}`, installationId: repo.installationId },
    });
  }
  return { events, state: { tags: listing.validator, published: verified, ...(events.length > 0 ? { retry: true as const } : {}) }, cost: meter.cost() };
}

/** One repository, remembering nothing: the tag-pushed events for release tags missing from an index. */
export async function sweepRepo(repo: RepoRef & { installationId: number | null }, platform: Platform, deps: SweepDeps, settings: SweepSettings, log: Logger): Promise<RepoEvent[]> {
  return (await checkRepo(repo, platform, deps, settings, null, log)).events;
}
