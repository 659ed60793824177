/**
 * The files at the repository root that a repository's pyrelease config is read from
 * (repo-config.ts: `[tool.pyrelease]` in pyproject.toml, or .pyrelease.yml). A push that
 * touches neither cannot change which registries a repository names.
 */
export const REPO_CONFIG_FILES: readonly string[] = ['pyproject.toml', '.pyrelease.yml'];

/** The file lists of one pushed commit, as push webhooks carry them (paths from the root). */
export interface PushedCommitFiles {
  readonly added?: readonly string[] | null | undefined;
  readonly modified?: readonly string[] | null | undefined;
  readonly removed?: readonly string[] | null | undefined;
}

/**
 * Whether a push touched a config file: true when a listed commit did, null when the
 * list of commits is known to be incomplete (so it may have), false otherwise.
 */
export function pushTouchesConfig(commits: readonly PushedCommitFiles[], complete: boolean): boolean | null {
  for (const c of commits) {
    for (const list of [c.added, c.modified, c.removed]) {
      if (list?.some((path) => REPO_CONFIG_FILES.includes(path)) === true) return true;
    }
  }
  return complete ? false : null;
}
