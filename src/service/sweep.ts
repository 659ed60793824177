import { configOf } from '../core/decide.js';
import type { RepoEvent, RepoRef } from '../core/events.js';
import { canonicalizeVersion, compareVersions } from '../core/pep440.js';
import type { Version } from '../core/pep440.js';
import { classifyTag } from '../core/tags.js';
import type { Logger } from '../logger.js';
import type { Platform, TagInfo } from '../platforms/platform.js';
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
 * Finds release tags whose version is missing from a target index and returns a
 * tag-pushed event for each, as if the webhook had come. Handling them goes through
 * the same checks and the same deterministic publish job ids, so a tag whose webhook
 * did arrive, or that the sweep saw before, is not published twice.
 */
export async function sweepRepo(repo: RepoRef & { installationId: number | null }, platform: Platform, deps: Pick<ServiceDeps, 'publishedVersions' | 'orgDefaults'>, settings: SweepSettings, log: Logger): Promise<RepoEvent[]> {
  const defaultBranch = repo.defaultBranch ?? (await platform.defaultBranch());
  const orgDefaults = deps.orgDefaults;
  const gathered = await gatherChangeFacts(
    {
      readHeadFile: (p) => platform.readFile(p, defaultBranch),
      target: null,
      listTags: async () => [],
      ...(orgDefaults === undefined ? {} : { readOrgDefaults: (target: string | null) => orgDefaults(repo, repo.installationId, target) }),
    },
    null,
  );
  const config = configOf(gathered.facts);
  if (config.registries.length === 0 || deps.publishedVersions === undefined) return [];

  const policy = { prefixes: config.tagPrefixes, mode: config.tagMode };
  const oldest = settings.nowMs - settings.maxAgeDays * 24 * 3600 * 1000;
  const candidates: Array<{ tag: TagInfo; version: Version; normalized: string }> = [];
  for (const tag of await platform.listTags()) {
    const verdict = classifyTag(tag.name, policy);
    if (verdict.kind !== 'release') continue;
    const when = tag.committedAt === undefined || tag.committedAt === null ? null : Date.parse(tag.committedAt);
    if (when !== null && Number.isFinite(when) && when < oldest) continue;
    candidates.push({ tag, version: verdict.version, normalized: verdict.normalized });
  }
  candidates.sort((a, b) => compareVersions(b.version, a.version));
  const newest = candidates.slice(0, settings.tagsPerRepo);
  if (newest.length === 0) return [];

  const published = await deps.publishedVersions(repo, config.registries, gathered.project.name);
  const events: RepoEvent[] = [];
  for (const { tag, normalized } of newest) {
    const canonical = canonicalizeVersion(normalized);
    const missing = config.registries.filter((r) => !published.some((p) => p.registry === r && p.versions.some((v) => canonicalizeVersion(v) === canonical)));
    if (missing.length === 0) continue;
    log.info({ repo: repo.path, tag: tag.name, missing }, 'sweep found a release tag that is not on every target index');
    events.push({
      kind: 'tag-pushed',
      repo: { platform: repo.platform, id: repo.id, path: repo.path, defaultBranch },
      tag: tag.name,
      sha: tag.sha,
      protected: null,
      meta: { deliveryId: `sweep-${tag.sha.slice(0, 12)}-${Buffer.from(tag.name).toString('hex').slice(0, 64)}`, installationId: repo.installationId },
    });
  }
  return events;
}
