import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * Per-repository configuration: `[tool.pyrelease]` in pyproject.toml or a
 * `.pyrelease.yml` at the repository root. Keys are kebab-case in both files, as
 * Python tools (ruff, black, setuptools) spell theirs; the parsed value is camelCase.
 *
 * The schema is strict: an unknown key is an error, because a typo such as
 * `registry = ["pypi"]` would otherwise silently publish nowhere.
 */
const registryName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a registry name from the server config (a-z, 0-9, _ and -)');

const branchPattern = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._\-/*]+$/, 'must be a branch name or a glob using only letters, digits, . _ - / and *');

const tagPrefix = z
  .string()
  .max(32)
  .regex(/^[A-Za-z0-9._\-/]*$/, 'may use only letters, digits, . _ - and /');

export const repoConfigFileSchema = z.strictObject({
  'tag-prefixes': z.array(tagPrefix).min(1).max(16).default(['v', 'v-', '']),
  'tag-mode': z.enum(['strict', 'lenient']).default('strict'),
  /** Defaults to the first of tag-prefixes. */
  'tag-prefix': tagPrefix.optional(),
  'commit-trigger': z.boolean().default(true),
  registries: z.array(registryName).max(16).default([]),
  'pre-releases': z.enum(['allow', 'forbid']).default('allow'),
  'build-tool': z.enum(['auto', 'build', 'poetry']).default('auto'),
  'require-bump': z.boolean().default(false),
  'release-branches': z.array(branchPattern).max(32).default([]),
  'require-protected-tag': z.boolean().default(false),
  path: z
    .string()
    .max(255)
    .regex(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._\-/]*$/, 'must be a relative path inside the repository')
    .default('.'),
  /** The changelog whose entry becomes the release notes; looked for under the usual names when unset. */
  changelog: z
    .string()
    .min(1)
    .max(255)
    .regex(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._\-/]*[A-Za-z0-9._-]$/, 'must be a file path inside the repository')
    .optional(),
  'require-changelog': z.boolean().default(false),
});

export interface RepoConfig {
  /** Prefixes that mark a release tag, tried longest first. */
  readonly tagPrefixes: readonly string[];
  /** strict: the version in a tag must be canonical; lenient: any valid spelling. */
  readonly tagMode: 'strict' | 'lenient';
  /** Prefix of the tags pyrelease creates itself (commit-message trigger). */
  readonly tagPrefix: string;
  readonly commitTrigger: boolean;
  /** Registry target names defined by the server; empty means check only. */
  readonly registries: readonly string[];
  readonly preReleases: 'allow' | 'forbid';
  readonly buildTool: 'auto' | 'build' | 'poetry';
  readonly requireBump: boolean;
  /** Branches besides the default branch whose commits may be released. */
  readonly releaseBranches: readonly string[];
  readonly requireProtectedTag: boolean;
  /** Directory of the Python project inside the repository. */
  readonly path: string;
  /** The changelog file (from the repository root); null: CHANGELOG.md, CHANGES.rst, ... are looked for. */
  readonly changelog: string | null;
  /** A change request that changes the version must add its changelog entry. */
  readonly requireChangelog: boolean;
}

export type ConfigSource = 'pyproject.toml' | '.pyrelease.yml' | '.github/pyrelease.yml (organisation)' | 'defaults';

const ORG_DEFAULTS: ConfigSource = '.github/pyrelease.yml (organisation)';

export interface ConfigProblem {
  readonly file: ConfigSource;
  /** Dotted path of the offending field, e.g. `tool.pyrelease.tag-mode`; '' for the whole file. */
  readonly field: string;
  readonly message: string;
}

export type RepoConfigResult =
  | { readonly ok: true; readonly config: RepoConfig; readonly source: ConfigSource; readonly notes: readonly string[] }
  | { readonly ok: false; readonly source: ConfigSource; readonly problems: readonly ConfigProblem[] };

type FileShape = z.output<typeof repoConfigFileSchema>;

function toRepoConfig(f: FileShape): RepoConfig {
  return Object.freeze({
    tagPrefixes: Object.freeze([...f['tag-prefixes']]),
    tagMode: f['tag-mode'],
    tagPrefix: f['tag-prefix'] ?? f['tag-prefixes'][0] ?? 'v',
    commitTrigger: f['commit-trigger'],
    registries: Object.freeze([...f.registries]),
    preReleases: f['pre-releases'],
    buildTool: f['build-tool'],
    requireBump: f['require-bump'],
    releaseBranches: Object.freeze([...f['release-branches']]),
    requireProtectedTag: f['require-protected-tag'],
    path: f.path,
    changelog: f.changelog ?? null,
    requireChangelog: f['require-changelog'],
  });
}

export const DEFAULT_REPO_CONFIG: RepoConfig = toRepoConfig(repoConfigFileSchema.parse({}));

/** Keys come from the repository: keep them printable and short before they reach a report. */
function safeKey(key: string): string {
  const printable = key.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 64 ? `${printable.slice(0, 63)}…` : printable;
}

function fieldPath(base: string, path: readonly PropertyKey[]): string {
  return [base, ...path.map((p) => safeKey(String(p)))].filter((p) => p !== '').join('.');
}

function problemsOf(issue: z.core.$ZodIssue, file: ConfigSource, base: string): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    // One problem per unknown key, at its own path, so a report can point at the line.
    const known = Object.keys(repoConfigFileSchema.shape).join(', ');
    return issue.keys.map((key) => ({ file, field: fieldPath(base, [...issue.path, key]), message: `unknown field (known fields: ${known})` }));
  }
  return [{ file, field: fieldPath(base, issue.path), message: issue.message }];
}

function validate(raw: unknown, file: ConfigSource, base: string): RepoConfigResult {
  const parsed = repoConfigFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    return { ok: false, source: file, problems: parsed.error.issues.flatMap((issue) => problemsOf(issue, file, base)) };
  }
  const config = toRepoConfig(parsed.data);
  // Tags pyrelease creates must be tags it recognizes, or a commit-trigger release
  // would make a tag that is then ignored.
  if (!config.tagPrefixes.includes(config.tagPrefix)) {
    return {
      ok: false,
      source: file,
      problems: [{ file, field: fieldPath(base, ['tag-prefix']), message: `must be one of tag-prefixes (${config.tagPrefixes.map((p) => JSON.stringify(p)).join(', ')})` }],
    };
  }
  return { ok: true, config, source: file, notes: [] };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type RawConfig =
  | { readonly kind: 'absent' }
  | { readonly kind: 'raw'; readonly raw: Record<string, unknown>; readonly file: ConfigSource; readonly base: string }
  | { readonly kind: 'error'; readonly result: RepoConfigResult };

function firstLine(e: unknown, fallback: string): string {
  return e instanceof Error ? (e.message.split('\n')[0] ?? fallback) : fallback;
}

function rawFromPyproject(text: string): RawConfig {
  let doc: unknown;
  try {
    doc = parseToml(text);
  } catch (e) {
    return { kind: 'error', result: { ok: false, source: 'pyproject.toml', problems: [{ file: 'pyproject.toml', field: '', message: `invalid TOML: ${firstLine(e, 'invalid TOML')}` }] } };
  }
  const tool = isPlainObject(doc) ? doc['tool'] : undefined;
  if (!isPlainObject(tool) || !('pyrelease' in tool)) return { kind: 'absent' };
  const raw = tool['pyrelease'];
  if (!isPlainObject(raw)) return { kind: 'error', result: { ok: false, source: 'pyproject.toml', problems: [{ file: 'pyproject.toml', field: 'tool.pyrelease', message: 'must be a table of settings' }] } };
  return { kind: 'raw', raw, file: 'pyproject.toml', base: 'tool.pyrelease' };
}

function rawFromYaml(text: string, file: ConfigSource): RawConfig {
  let doc: unknown;
  try {
    // maxAliasCount guards against "billion laughs" alias bombs in a hostile repo.
    doc = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (e) {
    return { kind: 'error', result: { ok: false, source: file, problems: [{ file, field: '', message: `invalid YAML: ${firstLine(e, 'invalid YAML')}` }] } };
  }
  if (doc === null || doc === undefined) return { kind: 'raw', raw: {}, file, base: '' };
  if (!isPlainObject(doc)) return { kind: 'error', result: { ok: false, source: file, problems: [{ file, field: '', message: 'must be a mapping of settings' }] } };
  return { kind: 'raw', raw: doc, file, base: '' };
}

/** `_extends` (Probot's convention) names where organisation defaults come from; it is not a setting. */
function withoutExtends(raw: Record<string, unknown>): Record<string, unknown> {
  const { _extends: _ignored, ...rest } = raw;
  return rest;
}

/** Where a repository's `_extends` points (`repo`, `owner/repo`, optionally `:path`), or null. */
export function extendsTarget(files: { pyprojectToml?: string | null; pyreleaseYml?: string | null }): string | null {
  const chosen = files.pyreleaseYml != null ? rawFromYaml(files.pyreleaseYml, '.pyrelease.yml') : files.pyprojectToml != null ? rawFromPyproject(files.pyprojectToml) : null;
  const value = chosen?.kind === 'raw' ? chosen.raw['_extends'] : undefined;
  return typeof value === 'string' && /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?(:[A-Za-z0-9_./-]+)?$/.test(value) && !value.includes('..') ? value : null;
}

/**
 * Reads the repository's config from whichever files exist, over the organisation's
 * defaults when there are any (GitHub: `.github/pyrelease.yml` in the organisation's
 * `.github` repository, Probot's convention; the repository's own keys win).
 * `.pyrelease.yml` wins over `[tool.pyrelease]` when both carry settings, and the result
 * notes that the other was ignored, so that nobody edits the file that does nothing.
 */
export function readRepoConfig(files: { pyprojectToml?: string | null; pyreleaseYml?: string | null; orgDefaultsYml?: string | null; extendsRefused?: string }): RepoConfigResult {
  const fromToml = files.pyprojectToml != null ? rawFromPyproject(files.pyprojectToml) : ({ kind: 'absent' } as const);
  const fromYml = files.pyreleaseYml != null ? rawFromYaml(files.pyreleaseYml, '.pyrelease.yml') : ({ kind: 'absent' } as const);
  const notes: string[] = [];
  let repo: RawConfig = fromYml.kind !== 'absent' ? fromYml : fromToml;
  if (fromYml.kind === 'raw' && fromToml.kind === 'raw') {
    notes.push('both .pyrelease.yml and [tool.pyrelease] exist; .pyrelease.yml is used and [tool.pyrelease] is ignored');
  }
  if (repo.kind === 'error') return repo.result;
  // `_extends` named a repository the server does not let configs extend: without the
  // defaults it meant to inherit, the config is not the one its authors wrote.
  if (files.extendsRefused !== undefined && repo.kind === 'raw') {
    return { ok: false, source: repo.file, problems: [{ file: repo.file, field: fieldPath(repo.base, ['_extends']), message: files.extendsRefused }] };
  }

  let org: Record<string, unknown> = {};
  if (files.orgDefaultsYml != null) {
    const parsed = rawFromYaml(files.orgDefaultsYml, ORG_DEFAULTS);
    if (parsed.kind === 'error') return parsed.result;
    if (parsed.kind === 'raw') {
      // Checked on their own first, so a problem names the organisation's file.
      const alone = validate(withoutExtends(parsed.raw), ORG_DEFAULTS, '');
      if (!alone.ok) return alone;
      org = withoutExtends(parsed.raw);
      notes.push('organisation defaults from .github/pyrelease.yml apply under this repository\'s settings');
    }
  }
  if (repo.kind === 'absent') {
    if (Object.keys(org).length === 0) return { ok: true, config: DEFAULT_REPO_CONFIG, source: 'defaults', notes };
    repo = { kind: 'raw', raw: {}, file: ORG_DEFAULTS, base: '' };
  }
  const result = validate({ ...org, ...withoutExtends(repo.raw) }, repo.file, repo.base);
  return result.ok ? { ...result, notes } : result;
}
