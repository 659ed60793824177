import { compareVersions, parseVersion } from './pep440.js';
import type { Version } from './pep440.js';
import { classifyTag } from './tags.js';
import type { TagPolicy } from './tags.js';

export interface PreviousRelease {
  readonly tag: string;
  readonly sha: string;
  readonly normalized: string;
}

/**
 * The release before `version`: among the tags that are releases under the repository's
 * tag policy (classifyTag with its tag-prefixes and mode), the one with the highest
 * PEP 440 version below `version`. Tags that are not releases, or rejected, are skipped.
 * Two tags of one version (`v1.2.0` and `1.2.0`) pick the one whose prefix comes first in
 * the policy, then the name, so the answer does not depend on the listing's order.
 * Null when `version` is not valid or nothing is below it.
 */
export function previousReleaseTag(tags: ReadonlyArray<{ readonly name: string; readonly sha: string }>, version: string, policy: TagPolicy): PreviousRelease | null {
  const current = parseVersion(version);
  if (current === null) return null;
  let best: { tag: string; sha: string; normalized: string; version: Version; rank: number } | null = null;
  for (const t of tags) {
    const verdict = classifyTag(t.name, policy);
    if (verdict.kind !== 'release' || compareVersions(verdict.version, current) >= 0) continue;
    const rank = policy.prefixes.indexOf(verdict.prefix);
    const order = best === null ? 1 : compareVersions(verdict.version, best.version);
    const better = order > 0 || (best !== null && order === 0 && (rank < best.rank || (rank === best.rank && t.name < best.tag)));
    if (better) best = { tag: t.name, sha: t.sha, normalized: verdict.normalized, version: verdict.version, rank };
  }
  return best === null ? null : { tag: best.tag, sha: best.sha, normalized: best.normalized };
}
