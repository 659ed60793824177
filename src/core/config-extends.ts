import { globMatch } from './branch-glob.js';

/**
 * Where a GitHub repository's organisation defaults may come from. `_extends` is read
 * from the commit being checked, which for a pull request is the contributor's head: if
 * it could name any repository, a pull request could make the bot read another
 * repository of the installation and quote it in a comment. So it may name only the
 * owner's `.github` repository or a repository the operator allows (server config
 * `extends`), and only a YAML file there.
 */
export type ExtendsVerdict =
  | { readonly kind: 'read'; /** owner/name */ readonly repo: string; readonly file: string }
  | { readonly kind: 'refused'; readonly reason: string };

const DEFAULT_FILE = '.github/pyrelease.yml';

export function resolveExtends(repoPath: string, target: string | null, allowed: readonly string[]): ExtendsVerdict {
  const owner = repoPath.split('/')[0] ?? '';
  const orgRepo = `${owner}/.github`;
  if (target === null) return { kind: 'read', repo: orgRepo, file: DEFAULT_FILE };
  const colon = target.indexOf(':');
  const where = colon === -1 ? target : target.slice(0, colon);
  const file = colon === -1 ? DEFAULT_FILE : target.slice(colon + 1);
  const repo = where === '' ? orgRepo : where.includes('/') ? where : `${owner}/${where}`;
  const segments = repo.split('/');
  if (segments.length !== 2 || segments.some((s) => s === '' || s === '.' || s === '..')) {
    return { kind: 'refused', reason: `\`_extends\` must name a repository as \`name\` or \`owner/name\`` };
  }
  if (!/\.ya?ml$/.test(file) || file.split('/').some((s) => s === '' || s === '..')) {
    return { kind: 'refused', reason: `\`_extends\` may name only a YAML file (\`.yml\` or \`.yaml\`)` };
  }
  const lower = repo.toLowerCase();
  if (lower === orgRepo.toLowerCase() || allowed.some((pattern) => globMatch(pattern.toLowerCase(), lower))) {
    return { kind: 'read', repo, file };
  }
  return {
    kind: 'refused',
    reason: `\`_extends\` may name only the owner's \`.github\` repository or a repository the operator lists under \`extends\` in the server config, so \`${repo}\` was not read`,
  };
}

/** What reading the organisation defaults gave: the file's text, none, or a refusal to read where `_extends` pointed. */
export type OrgDefaults = string | null | { readonly refused: string };
