import { changelogEntry } from '../core/changelog-entry.js';
import { entryMarkdown } from '../core/release-notes.js';
import type { ReleaseNotes } from '../core/release-notes.js';
import { readRepoConfig } from '../core/repo-config.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Platform } from '../platforms/platform.js';
import { readChangelog } from './changelog-source.js';

/**
 * The release notes for a published version: its changelog entry, read at the release
 * commit through the forge's file API. The `changelog` key comes from the repository's
 * own pyproject.toml or .pyrelease.yml at that commit (organisation defaults are not
 * read here: a changelog path is a repository's own). No entry: null, and the release
 * keeps the description it always had. A transient forge error is thrown (the publish
 * job retries its report, and everything before it is idempotent); anything else only
 * costs the notes.
 */
export async function releaseNotesAt(platform: Platform, at: { readonly sha: string; readonly path: string; readonly version: string }, log: Logger): Promise<ReleaseNotes | null> {
  try {
    const read = (path: string): Promise<string | null> => platform.readFile(path, at.sha);
    const [pyprojectToml, pyreleaseYml] = await Promise.all([read('pyproject.toml'), read('.pyrelease.yml')]);
    const config = readRepoConfig({ pyprojectToml, pyreleaseYml });
    const fact = await readChangelog(read, config.ok ? config.config.changelog : null, at.path);
    if (fact.kind !== 'found') {
      log.info({ changelog: fact.kind }, 'no changelog for the release notes');
      return null;
    }
    const entry = changelogEntry(fact.text, fact.file, at.version);
    if (entry === null) {
      log.info({ changelog: fact.file }, 'the changelog has no entry for this version');
      return null;
    }
    return { markdown: entryMarkdown(entry), file: fact.file };
  } catch (error) {
    if (isAppError(error) && error.retryable) throw error;
    log.warn({ code: isAppError(error) ? error.code : 'unexpected' }, 'could not read the changelog for the release notes');
    return null;
  }
}
