import { changelogEntry } from '../core/changelog-entry.js';
import { MERGED_CHANGES_LIMIT, mergedChangesMarkdown } from '../core/merged-changes-notes.js';
import { previousReleaseTag } from '../core/previous-release.js';
import { entryMarkdown } from '../core/release-notes.js';
import type { ReleaseNotes } from '../core/release-notes.js';
import { readRepoConfig } from '../core/repo-config.js';
import { DEFAULT_TAG_POLICY } from '../core/tags.js';
import type { TagPolicy } from '../core/tags.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Platform } from '../platforms/platform.js';
import { readChangelog } from './changelog-source.js';

type At = { readonly sha: string; readonly path: string; readonly version: string; readonly platform: string };

/**
 * No changelog entry: the change requests merged since the previous release tag of the
 * same package (the highest release tag below the version under the repository's tag
 * policy), read through the forge. Null when there is no previous release or nothing
 * was merged since.
 */
async function mergedSincePrevious(platform: Platform, at: At, policy: TagPolicy, log: Logger): Promise<ReleaseNotes | null> {
  const previous = previousReleaseTag(await platform.listTags(), at.version, policy);
  if (previous === null) {
    log.info({}, 'no changelog entry and no earlier release tag: the release notes stay as they were');
    return null;
  }
  const merged = await platform.listMergedChanges(previous.sha, at.sha, MERGED_CHANGES_LIMIT);
  log.info({ previousTag: previous.tag, changes: merged.changes.length, complete: merged.complete }, 'no changelog entry: listing the change requests merged since the previous release');
  if (merged.changes.length === 0) return null;
  const forge = at.platform === 'github' ? 'github' : 'gitlab';
  return { markdown: mergedChangesMarkdown({ version: at.version, previousTag: previous.tag, changes: merged.changes, complete: merged.complete, forge }), file: null };
}

/**
 * The release notes for a published version: its changelog entry, read at the release
 * commit through the forge's file API, or without one the change requests merged since
 * the previous release tag. The `changelog` key and the tag policy come from the
 * repository's own pyproject.toml or .pyrelease.yml at that commit (organisation
 * defaults are not read here: a changelog path is a repository's own). Neither: null,
 * and the release keeps the description it always had. A transient forge error is
 * thrown (the publish job retries its report, and everything before it is idempotent);
 * anything else only costs the notes.
 */
export async function releaseNotesAt(platform: Platform, at: At, log: Logger): Promise<ReleaseNotes | null> {
  try {
    const read = (path: string): Promise<string | null> => platform.readFile(path, at.sha);
    const [pyprojectToml, pyreleaseYml] = await Promise.all([read('pyproject.toml'), read('.pyrelease.yml')]);
    const config = readRepoConfig({ pyprojectToml, pyreleaseYml });
    const policy: TagPolicy = config.ok ? { prefixes: config.config.tagPrefixes, mode: config.config.tagMode } : DEFAULT_TAG_POLICY;
    const fact = await readChangelog(read, config.ok ? config.config.changelog : null, at.path);
    if (fact.kind !== 'found') {
      log.info({ changelog: fact.kind }, 'no changelog for the release notes');
      return await mergedSincePrevious(platform, at, policy, log);
    }
    const entry = changelogEntry(fact.text, fact.file, at.version);
    if (entry === null) {
      log.info({ changelog: fact.file }, 'the changelog has no entry for this version');
      return await mergedSincePrevious(platform, at, policy, log);
    }
    return { markdown: entryMarkdown(entry), file: fact.file };
  } catch (error) {
    if (isAppError(error) && error.retryable) throw error;
    log.warn({ code: isAppError(error) ? error.code : 'unexpected' }, 'could not read the changelog or the merged changes for the release notes');
    return null;
  }
}
