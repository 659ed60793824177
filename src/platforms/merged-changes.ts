import type { MergedChange, MergedChanges } from './platform.js';
import { MERGED_CHANGE_COMMIT_LOOKUPS } from './platform.js';

/**
 * The part of listMergedChanges both adapters share: given the commits of a comparison
 * (newest first) and whether the forge returned all of them, ask for the change requests
 * of each commit in turn (at most MERGED_CHANGE_COMMIT_LOOKUPS of them) and keep each
 * merged one once, in the order first seen, up to `limit`.
 */
export async function collectMergedChanges(
  commitsNewestFirst: readonly string[],
  allCommits: boolean,
  limit: number,
  mergedFor: (sha: string) => Promise<MergedChange[]>,
): Promise<MergedChanges> {
  const changes: MergedChange[] = [];
  const seen = new Set<number>();
  const looked = commitsNewestFirst.slice(0, MERGED_CHANGE_COMMIT_LOOKUPS);
  const complete = allCommits && looked.length === commitsNewestFirst.length;
  for (const sha of looked) {
    for (const change of await mergedFor(sha)) {
      if (seen.has(change.number)) continue;
      if (changes.length >= limit) return { changes, complete: false };
      seen.add(change.number);
      changes.push(change);
    }
  }
  return { changes, complete };
}
