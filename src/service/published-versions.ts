import type { PublishedVersions } from '../core/checks.js';
import { parseSdistFilename, parseWheelFilename } from '../core/dist-filenames.js';
import { formatVersion } from '../core/pep440.js';
import type { RepoRef } from '../core/events.js';
import type { Logger } from '../logger.js';
import type { Credentials } from '../publishing/credentials.js';
import { listIndexFiles } from '../publishing/index-lookup.js';
import { resolveTargets } from '../publishing/registries.js';
import type { RegistryEntry } from '../publishing/registries.js';

export interface PublishedVersionsDeps {
  readonly registries: Readonly<Record<string, RegistryEntry>>;
  readonly gitlabUrl?: string | undefined;
  /** Registry credentials when the worker has them (private indexes need them to be read). */
  credentials(registry: string): Promise<Credentials | null>;
  readonly log: Logger;
}

/** The versions of a file name, as the index spells them in its files. */
export function versionOfFilename(filename: string): string | null {
  const parsed = filename.endsWith('.whl') ? parseWheelFilename(filename) : parseSdistFilename(filename);
  return parsed.ok ? formatVersion(parsed.version) : null;
}

/**
 * Asks each of the repository's target indexes which versions of the project they
 * have, for the "already published" check. An index that cannot be asked is left out
 * (and logged): the check then says nothing about it rather than failing the change.
 */
export async function publishedVersions(deps: PublishedVersionsDeps, repo: RepoRef, names: readonly string[], project: string | null): Promise<PublishedVersions[]> {
  if (project === null) return [];
  const context = { gitlabProjectId: repo.platform === 'gitlab' ? Number(repo.id) : undefined, gitlabUrl: deps.gitlabUrl };
  let targets;
  try {
    targets = resolveTargets(names, deps.registries, context);
  } catch (error) {
    deps.log.warn({ err: (error as Error).message }, 'cannot resolve registries for the published-version check');
    return [];
  }
  const results: PublishedVersions[] = [];
  for (const target of targets) {
    try {
      const auth = await deps.credentials(target.name);
      const files = await listIndexFiles(target.simpleUrl, project, { ...(auth === null ? {} : { auth }), timeoutMs: 15_000 });
      const versions = [...new Set(files.map((f) => versionOfFilename(f.filename)).filter((v): v is string => v !== null))];
      results.push({ registry: target.name, refusesLocal: target.rules.refusesLocalVersions, versions });
    } catch (error) {
      deps.log.warn({ registry: target.name, err: (error as Error).message }, 'index not reachable for the published-version check');
    }
  }
  return results;
}
