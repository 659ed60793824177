import { accessFindings } from './access-findings.js';
import type { PublishAccess } from './access-findings.js';
import { changelogFindings } from './changelog-check.js';
import type { ChangelogFact } from './changelog-check.js';
import { globMatch } from './branch-glob.js';
import { finding, hasErrors, quote, sortFindings } from './findings.js';
import type { Finding } from './findings.js';
import { canonicalizeVersion, compareVersions, hasLocal, isPrerelease, normalizeVersion, parseVersion, versionsEqual } from './pep440.js';
import type { Version } from './pep440.js';
import { DEFAULT_REPO_CONFIG } from './repo-config.js';
import type { RepoConfig, RepoConfigResult } from './repo-config.js';
import { classifyTag } from './tags.js';
import { nearestValidVersion } from './version-hint.js';

export { hasErrors };
export type { Finding, FindingCode, Severity } from './findings.js';

/**
 * The version checks: plain facts in, findings out. The service (or `pyrelease check`)
 * gathers the facts; this module never reads anything itself, so every rule is a table
 * test away.
 */
export type VersionFact =
  /** `file` and `line` say where it was read (version-layout.ts); pyproject.toml when omitted. */
  | { readonly kind: 'static'; readonly version: string; readonly file?: string; readonly line?: number | null }
  | { readonly kind: 'dynamic'; readonly provider: string }
  /** Only running the repository's code would say: the release goes ahead from the tag. */
  | { readonly kind: 'unreadable'; readonly file: string; readonly line: number | null; readonly reason: string }
  | { readonly kind: 'missing' };

/** "pyproject.toml", "src/pkg/__init__.py (line 8)": where a version was read, for messages. */
function placeOf(v: { readonly file?: string; readonly line?: number | null }): string {
  const file = v.file ?? 'pyproject.toml';
  return v.line === undefined || v.line === null ? file : `${file} (line ${v.line})`;
}

export interface PublishedVersions {
  /** Registry target name from the server config, e.g. `pypi`. */
  readonly registry: string;
  /** pypi.org and TestPyPI refuse local versions (`1.0+abc`). */
  readonly refusesLocal: boolean;
  /** Versions on the index as it spells them (may include legacy invalid ones). */
  readonly versions: readonly string[];
}

export interface ProjectProblem {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  /** Defaults to error: a pyproject.toml that cannot be read cannot be built. */
  readonly severity?: 'error' | 'warning';
}

export interface ChangeFacts {
  /** The change's branch, or the tagged commit. */
  readonly head: { readonly version: VersionFact };
  /** The target branch; null for a tag release or when it could not be read. */
  readonly target: { readonly version: VersionFact; readonly branch?: string } | null;
  /** Existing tag names in the repository. */
  readonly tags: readonly string[];
  /** The tag being released; for a commit-trigger release, the tag pyrelease will create. */
  readonly tag: string | null;
  /** One entry per target index, with what it already has. */
  readonly published: readonly PublishedVersions[];
  readonly config: RepoConfigResult;
  readonly projectProblems: readonly ProjectProblem[];
  /** The server's publish policy and who this repository is; omitted where there is no server (`pyrelease check`). */
  readonly access?: PublishAccess;
  /** The changelog at the head, read only when require-changelog is set and the version changes. */
  readonly changelog?: ChangelogFact;
}

type Kind = 'change' | 'release';

function configFindings(result: RepoConfigResult): { config: RepoConfig; findings: Finding[] } {
  if (result.ok) {
    const notes = result.notes.map((n) => finding('config-note', 'notice', n, null));
    return { config: result.config, findings: notes };
  }
  const findings = result.problems.map((p) => {
    const where = p.field === '' ? quote(p.file) : `${quote(p.field)} in ${quote(p.file)}`;
    const message = `${where} is invalid: ${p.message}.`.replace(/\.\.$/, '.');
    const fix = `Correct ${p.field === '' ? quote(p.file) : quote(p.field)}; until then pyrelease checks with the default settings and publishes nowhere.`;
    return finding('invalid-config', 'error', message, fix, p.field);
  });
  return { config: DEFAULT_REPO_CONFIG, findings };
}

function projectFindings(problems: readonly ProjectProblem[]): Finding[] {
  // The messages already say which file and field (pyproject.ts writes them so); they
  // are passed on as they are, ending in a period like ours.
  return problems.map((p) => {
    const message = /[.!?]$/.test(p.message) ? p.message : `${p.message}.`;
    return finding('project-problem', p.severity ?? 'error', message, null, p.field);
  });
}

/** The head's version parsed, or the findings that explain why there is none. */
function readStaticVersion(head: Extract<VersionFact, { kind: 'static' }>, kind: Kind, out: Finding[]): Version | null {
  const raw = head.version;
  const file = head.file ?? 'pyproject.toml';
  const version = parseVersion(raw);
  if (version === null) {
    const hint = nearestValidVersion(raw);
    const fix =
      hint === null
        ? 'Use a PEP 440 version such as `1.2.0`, `1.2.0rc1`, `1.2.0.post1` or `1.2.0.dev1`.'
        : `Use ${quote(hint)}.`;
    out.push(finding('invalid-version', 'error', `The version ${quote(raw)} in ${placeOf(head)} is not a valid PEP 440 version.`, fix, 'project.version'));
    return null;
  }
  const normalized = normalizeVersion(raw) ?? raw;
  if (normalized !== raw) {
    // Builds write the normalized spelling into the files, so the index shows that one.
    const message = `The version ${quote(raw)} is not spelled canonically; it will be published as ${quote(normalized)}.`;
    out.push(finding('non-canonical-version', kind === 'change' ? 'warning' : 'notice', message, `Write ${quote(normalized)} in ${file}.`, 'project.version'));
  }
  return version;
}

function missingVersion(kind: Kind): Finding {
  const fix = kind === 'change' ? 'Set `version` in `[project]`, or list "version" in `project.dynamic` with a plugin such as setuptools-scm.' : 'Set `version` in `[project]`, or list "version" in `project.dynamic`.';
  return finding('version-missing', 'error', 'No version is declared: pyproject.toml has neither `project.version` nor a dynamic version, and no setup.cfg or setup.py names one.', fix, 'project.version');
}

function unreadableNotice(head: Extract<VersionFact, { kind: 'unreadable' }>, kind: Kind): Finding {
  const then = kind === 'release' ? 'the tag is the version, and the built files must name it' : 'the version checks apply to the tag when it is pushed, and the built files must name it';
  const message = `The version in ${placeOf(head)} is only known by running code (${head.reason}), which pyrelease does not do: ${then}.`;
  return finding('version-unreadable', 'notice', message, null, 'project.version');
}

function dynamicNotice(provider: string, kind: Kind): Finding {
  const skipped = kind === 'release' ? 'the tag-versus-pyproject check is skipped' : 'the version checks apply to the tag when it is pushed';
  return finding('dynamic-version', 'notice', `The version is dynamic (${quote(provider)}): the tag is the version, so ${skipped}.`, null, 'project.dynamic');
}

/** Checks that apply to a version about to be released (or proposed for release). */
function releaseBoundFindings(version: Version, config: RepoConfig, published: readonly PublishedVersions[], kind: Kind): Finding[] {
  const out: Finding[] = [];
  const shown = quote(canonicalizeVersion(version, false));
  if (config.preReleases === 'forbid' && isPrerelease(version)) {
    out.push(finding('prerelease-forbidden', 'error', `${shown} is a pre-release, and this repository's config says pre-releases = "forbid".`, 'Use a final version, or set pre-releases = "allow".', 'pre-releases'));
  }
  const canonical = canonicalizeVersion(version);
  for (const index of published) {
    if (hasLocal(version) && index.refusesLocal) {
      out.push(finding('local-version-on-pypi', 'error', `${shown} has a local version label, which ${quote(index.registry)} refuses.`, `Drop the ${quote('+' + (version.local ?? []).join('.'))} part, or publish to an index that accepts local versions.`));
    }
    // PyPI identifies a release by its canonical version: 1.0 and 1.0.0 are the same.
    const same = index.versions.find((v) => canonicalizeVersion(v) === canonical);
    if (same !== undefined) {
      const as = same === canonicalizeVersion(version, false) ? '' : ` (as ${quote(same)})`;
      if (kind === 'change') {
        out.push(finding('version-already-published', 'error', `${shown} is already published on ${quote(index.registry)}${as}.`, fixAbove(index.versions)));
      } else {
        // A release is handled again after a redelivery, a sweep or a partial upload:
        // the publish job compares each file by name and sha256 and finishes the job,
        // or fails on a file with other content. Refusing here would strand it.
        out.push(finding('version-already-published', 'notice', `${shown} is already on ${quote(index.registry)}${as}: files with the same content are skipped, and a file with other content fails the release.`, null));
      }
    }
  }
  return out;
}

function fixAbove(versions: readonly string[]): string {
  let best: Version | null = null;
  for (const raw of versions) {
    const v = parseVersion(raw);
    if (v !== null && (best === null || compareVersions(v, best) > 0)) best = v;
  }
  return best === null ? 'Bump the version.' : `Bump the version above ${quote(canonicalizeVersion(best, false))}, the highest published one.`;
}

interface ReleaseTag {
  readonly tag: string;
  readonly version: Version;
}

function releaseTags(tags: readonly string[], config: RepoConfig): ReleaseTag[] {
  const policy = { prefixes: config.tagPrefixes, mode: config.tagMode };
  const out: ReleaseTag[] = [];
  for (const tag of tags) {
    const verdict = classifyTag(tag, policy);
    if (verdict.kind === 'release') out.push({ tag, version: verdict.version });
  }
  return out;
}

function latest(tags: readonly ReleaseTag[]): ReleaseTag | null {
  let best: ReleaseTag | null = null;
  for (const t of tags) if (best === null || compareVersions(t.version, best.version) > 0) best = t;
  return best;
}

function staticTarget(facts: ChangeFacts): Version | null {
  const v = facts.target?.version;
  return v?.kind === 'static' ? parseVersion(v.version) : null;
}

export function checkChange(facts: ChangeFacts): Finding[] {
  const { config, findings: out } = configFindings(facts.config);
  out.push(...projectFindings(facts.projectProblems));
  out.push(...accessFindings(config.registries, facts.access));
  const head = facts.head.version;
  if (head.kind === 'missing') {
    out.push(missingVersion('change'));
    return sortFindings(out);
  }
  if (head.kind === 'dynamic' || head.kind === 'unreadable') {
    out.push(head.kind === 'dynamic' ? dynamicNotice(head.provider, 'change') : unreadableNotice(head, 'change'));
    return sortFindings(out);
  }
  const version = readStaticVersion(head, 'change', out);
  if (version === null) return sortFindings(out);

  const target = staticTarget(facts);
  const branch = facts.target?.branch === undefined ? 'the target branch' : quote(facts.target.branch);
  const unchanged = target !== null && versionsEqual(version, target);
  if (unchanged) {
    // Most changes leave the version alone; that is only a problem when the repo says so.
    if (config.requireBump) {
      out.push(finding('version-not-bumped', 'error', `The version ${quote(head.version)} is the same as on ${branch}, and this repository requires every change to bump it.`, `Raise the version in ${head.file ?? 'pyproject.toml'}.`, 'require-bump'));
    }
    return sortFindings(out);
  }

  const shown = quote(head.version);
  const belowTarget = target !== null && compareVersions(version, target) < 0;
  if (belowTarget) {
    const targetRaw = facts.target?.version.kind === 'static' ? facts.target.version.version : '';
    out.push(finding('version-not-greater', 'error', `${shown} on this branch is lower than ${quote(targetRaw)} on ${branch}.`, `Use a version above ${quote(targetRaw)}.`, 'project.version'));
  }
  const tags = releaseTags(facts.tags, config);
  const top = latest(tags);
  // A maintenance branch (one of the config's release-branches) releases below the
  // latest tag by design (1.4.1 after 2.0.0): there, only repeating an existing tag is
  // wrong. Everywhere else the latest tag is the floor.
  const maintenance = facts.target?.branch !== undefined && config.releaseBranches.some((p) => globMatch(p, facts.target?.branch ?? ''));
  // A tag no higher than the target adds nothing to a below-the-target error.
  const tagAddsNews = top !== null && !(belowTarget && target !== null && compareVersions(top.version, target) <= 0);
  if (top !== null && tagAddsNews && !maintenance && compareVersions(version, top.version) <= 0) {
    const relation = compareVersions(version, top.version) === 0 ? 'the same as' : 'lower than';
    out.push(finding('version-not-greater', 'error', `${shown} on this branch is ${relation} the latest release tag ${quote(top.tag)}.`, `Use a version above ${quote(canonicalizeVersion(top.version, false))}.`, 'project.version'));
  } else if (maintenance) {
    const twin = tags.find((t) => versionsEqual(t.version, version));
    if (twin !== undefined) {
      out.push(finding('version-already-tagged', 'error', `${shown} is already released as tag ${quote(twin.tag)}.`, 'Bump the version to one that has no tag yet.', 'project.version'));
    }
  }
  out.push(...releaseBoundFindings(version, config, facts.published, 'change'));
  out.push(...changelogFindings(head.version, config, facts.changelog));
  return sortFindings(out);
}

export function checkRelease(facts: ChangeFacts): Finding[] {
  const { config, findings: out } = configFindings(facts.config);
  out.push(...projectFindings(facts.projectProblems));
  out.push(...accessFindings(config.registries, facts.access));
  if (config.registries.length === 0) {
    out.push(finding('no-registries', 'notice', 'No registries are configured: this release is checked only; nothing will be published.', 'List registry targets under `registries` in the pyrelease config to publish.', 'registries'));
  }

  let tagVersion: Version | null = null;
  if (facts.tag !== null) {
    const verdict = classifyTag(facts.tag, { prefixes: config.tagPrefixes, mode: config.tagMode });
    if (verdict.kind === 'release') tagVersion = verdict.version;
    else {
      const fix = verdict.kind === 'rejected' && verdict.fix !== undefined ? `Use the tag ${quote(verdict.fix)}.` : null;
      out.push(finding('tag-rejected', 'error', `The tag ${quote(facts.tag)} is not a release tag under this repository's tag policy: ${verdict.reason}.`, fix, 'tag-prefixes'));
    }
  }

  const head = facts.head.version;
  let headVersion: Version | null = null;
  if (head.kind === 'missing') {
    out.push(missingVersion('release'));
  } else if (head.kind === 'dynamic' || head.kind === 'unreadable') {
    out.push(head.kind === 'dynamic' ? dynamicNotice(head.provider, 'release') : unreadableNotice(head, 'release'));
    if (facts.tag === null) {
      const what = head.kind === 'dynamic' ? `dynamic (${quote(head.provider)})` : `computed by code in ${placeOf(head)}`;
      out.push(finding('version-unknown', 'error', `The version is ${what} and there is no tag, so nothing says which version to release.`, 'Release by pushing a tag.'));
    }
  } else {
    headVersion = readStaticVersion(head, 'release', out);
    if (headVersion !== null && tagVersion !== null && !versionsEqual(headVersion, tagVersion)) {
      const fix = head.file === undefined || head.file === 'pyproject.toml' ? 'Make the tag and `project.version` name the same version, then tag again.' : `Make the tag and the version in ${head.file} name the same version, then tag again.`;
      out.push(finding('tag-mismatch', 'error', `The tag ${quote(facts.tag ?? '')} says ${quote(canonicalizeVersion(tagVersion, false))} but ${placeOf(head)} says ${quote(head.version)}.`, fix, 'project.version'));
    }
  }

  // The tag is the release's version; without a tag (commit trigger), pyproject's is.
  const version = facts.tag !== null ? tagVersion : headVersion;
  if (version !== null) out.push(...releaseBoundFindings(version, config, facts.published, 'release'));
  return sortFindings(out);
}
