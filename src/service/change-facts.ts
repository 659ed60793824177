import type { ChangeFacts, PublishedVersions, VersionFact } from '../core/checks.js';
import type { ProjectFacts } from '../core/pyproject.js';
import { resolveProjectFacts } from '../core/version-layout.js';
import type { ResolvedProject, ResolvedVersion } from '../core/version-layout.js';
import { extendsTarget, readRepoConfig } from '../core/repo-config.js';
import type { RepoConfigResult } from '../core/repo-config.js';
import type { OrgDefaults } from '../core/config-extends.js';
import { changelogForChange } from './changelog-source.js';

/**
 * Reads what the checks need through small functions, so the same gathering serves a
 * local checkout (`pyrelease check`), a GitLab merge request and a GitHub pull request.
 * A reader returns null for a file that does not exist.
 */
export interface FactSources {
  readHeadFile(path: string): Promise<string | null>;
  /** null when there is no target (a tag release, or no target branch to compare with). */
  readonly target: { readonly branch: string; readFile(path: string): Promise<string | null> } | null;
  listTags(): Promise<readonly string[]>;
  /**
   * Organisation defaults (GitHub: `.github/pyrelease.yml` of the organisation's `.github`
   * repository, or of the repository the config's `_extends` names, when the server
   * allows it: core/config-extends.ts); null when none.
   */
  readOrgDefaults?(extendsTarget: string | null): Promise<OrgDefaults>;
  /** Versions on each target index; omitted where the indexes cannot be asked. */
  publishedVersions?(registries: readonly string[], project: string | null): Promise<readonly PublishedVersions[]>;
}

export interface GatheredFacts {
  readonly facts: ChangeFacts;
  /** What the build configuration declares, with the name the layout reading found. */
  readonly project: ProjectFacts;
  /** Where the head's version was read: file and line, or why it cannot be read. */
  readonly version: ResolvedVersion;
  readonly config: RepoConfigResult;
}

// `path = "./sub/"` and `sub` name the same directory; the forges refuse `.` segments.
function projectFile(dir: string, name: string): string {
  return [...dir.split('/'), name].filter((segment) => segment !== '' && segment !== '.').join('/');
}

function toVersionFact(v: ResolvedVersion, dir: string): VersionFact {
  // Messages name files as the repository has them, so a `path` project's files carry it.
  const file = (f: string): string => projectFile(dir, f);
  if (v.kind === 'static') return { kind: 'static', version: v.version, file: file(v.file), line: v.line };
  if (v.kind === 'scm') return { kind: 'dynamic', provider: v.provider };
  if (v.kind === 'unreadable') return { kind: 'unreadable', file: file(v.file), line: v.line, reason: v.reason };
  return { kind: 'missing' };
}

/**
 * The project's layout read through `read`: pyproject.toml and setup.cfg first, then
 * whatever they (or setup.py) name, a few files at most (core/version-layout.ts).
 */
function readProject(read: (path: string) => Promise<string | null>, dir: string): Promise<ResolvedProject> {
  return resolveProjectFacts((path) => read(projectFile(dir, path)));
}

export async function gatherChangeFacts(sources: FactSources, tag: string | null): Promise<GatheredFacts> {
  // The config sits at the repository root; the Python project may sit below it (`path`).
  const [rootPyproject, pyreleaseYml] = await Promise.all([sources.readHeadFile('pyproject.toml'), sources.readHeadFile('.pyrelease.yml')]);
  const orgDefaults = sources.readOrgDefaults === undefined ? null : await sources.readOrgDefaults(extendsTarget({ pyprojectToml: rootPyproject, pyreleaseYml }));
  const refused = orgDefaults !== null && typeof orgDefaults === 'object';
  const config = readRepoConfig({
    pyprojectToml: rootPyproject,
    pyreleaseYml,
    orgDefaultsYml: refused ? null : orgDefaults,
    ...(refused ? { extendsRefused: orgDefaults.refused } : {}),
  });
  const dir = config.ok ? config.config.path : '.';

  const [project, targetProject, tags] = await Promise.all([
    readProject(sources.readHeadFile, dir),
    sources.target === null ? Promise.resolve(null) : readProject(sources.target.readFile, dir),
    sources.listTags(),
  ]);
  const registries = config.ok ? config.config.registries : [];
  const published = sources.publishedVersions === undefined || registries.length === 0 ? [] : await sources.publishedVersions(registries, project.name);
  const changelog = await changelogForChange(sources.readHeadFile, config, project.version, targetProject?.version ?? null);

  const facts: ChangeFacts = {
    head: { version: toVersionFact(project.version, dir) },
    target: sources.target === null || targetProject === null ? null : { version: toVersionFact(targetProject.version, dir), branch: sources.target.branch },
    tags,
    tag,
    published,
    config,
    projectProblems: project.problems.map((p) => ({ code: p.code, message: p.message, ...(p.field === undefined ? {} : { field: p.field }) })),
    ...(changelog === undefined ? {} : { changelog }),
  };
  return { facts, project: { ...project.declared, name: project.name }, version: project.version, config };
}
