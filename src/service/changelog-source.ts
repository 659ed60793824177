import { CHANGELOG_NAMES } from '../core/changelog-check.js';
import type { ChangelogFact } from '../core/changelog-check.js';
import { isAppError } from '../errors.js';

/**
 * Finds a repository's changelog through a file reader (the forge's file API at a ref,
 * or a checkout): the file the config's `changelog` key names, or the first of the usual
 * names (core/changelog-check.ts) in the project's directory, its docs/, the top level
 * and docs/. One read per candidate, stopping at the first file that exists: a
 * repository without a changelog costs eight reads (sixteen for a `path` project).
 * A forge that refuses the file (larger than the adapter reads) makes it unreadable; a
 * transient error is thrown, for the caller's retry.
 */
export function changelogCandidates(configured: string | null, dir: string): string[] {
  if (configured !== null) return [configured];
  const project = dir.split('/').filter((s) => s !== '' && s !== '.').join('/');
  const dirs = [...new Set([project, project === '' ? 'docs' : `${project}/docs`, '', 'docs'])];
  return dirs.flatMap((d) => CHANGELOG_NAMES.map((name) => (d === '' ? name : `${d}/${name}`)));
}

export async function readChangelog(read: (path: string) => Promise<string | null>, configured: string | null, dir: string): Promise<ChangelogFact> {
  for (const file of changelogCandidates(configured, dir)) {
    let text: string | null;
    try {
      text = await read(file);
    } catch (error) {
      if (isAppError(error) && !error.retryable) return { kind: 'unreadable', file, reason: error.code === 'forge-refused' ? 'larger than pyrelease reads' : error.code };
      throw error;
    }
    if (text !== null) return { kind: 'found', file, text };
  }
  return { kind: 'absent', configured };
}

/**
 * The changelog fact for a change request's checks: read only when the config sets
 * require-changelog and the head's version differs from the target's (or the target's
 * is unknown), so that no other change request costs a read.
 */
export async function changelogForChange(
  read: (path: string) => Promise<string | null>,
  config: { readonly ok: boolean; readonly config?: { readonly requireChangelog: boolean; readonly changelog: string | null; readonly path: string } },
  head: { readonly kind: string; readonly version?: string },
  target: { readonly kind: string; readonly version?: string } | null,
): Promise<ChangelogFact | undefined> {
  if (!config.ok || config.config?.requireChangelog !== true || head.kind !== 'static') return undefined;
  if (target !== null && target.kind === 'static' && target.version === head.version) return undefined;
  return readChangelog(read, config.config.changelog, config.config.path);
}
