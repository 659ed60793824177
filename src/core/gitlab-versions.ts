// GitLab release tags -> self-hosted tag names, stable branches and the pure tagging
// decision for one service repository. GitLab's own convention (gitlab-org/gitlab and
// scripts/aigw-tagging.sh): `vX.Y.Z-ee` releases, `vX.Y.Z-rcN-ee` release candidates;
// CE mirrors (gitlab-foss) tag the same versions without the suffix. Versions are SemVer
// here, not PEP 440: GitLab's versions are not Python versions.
import semver from 'semver';
import { unsafeTagReason } from './tags.js';

export type Edition = 'ee' | 'ce';

export interface GitlabRelease {
  readonly tag: string;
  /** SemVer, without `v` and edition: `18.4.0`, `18.5.0-rc42`. */
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly edition: Edition | null;
  readonly prerelease: boolean;
  readonly rc: number | null;
}

export type ParseResult = { readonly ok: true; readonly release: GitlabRelease } | { readonly ok: false; readonly tag: string; readonly reason: string };

// Digits without leading zeros, as SemVer and GitLab's VERSION file spell them.
const NUM = '(0|[1-9]\\d{0,8})';
const GITLAB_TAG = new RegExp(`^v${NUM}\\.${NUM}\\.${NUM}(?:-rc(0|[1-9]\\d{0,5}))?(?:-(ee|ce))?$`);

export function parseGitlabTag(tag: string): ParseResult {
  const unsafe = unsafeTagReason(tag);
  if (unsafe !== null) return { ok: false, tag, reason: unsafe };
  const m = GITLAB_TAG.exec(tag);
  if (m === null) return { ok: false, tag, reason: `\`${tag}\` is not a GitLab release tag (vX.Y.Z, vX.Y.Z-rcN, optionally -ee or -ce)` };
  const [, major = '0', minor = '0', patch = '0', rc, edition] = m;
  const version = `${major}.${minor}.${patch}${rc === undefined ? '' : `-rc${rc}`}`;
  return {
    ok: true,
    release: {
      tag,
      version,
      major: Number(major),
      minor: Number(minor),
      patch: Number(patch),
      edition: edition === 'ee' || edition === 'ce' ? edition : null,
      prerelease: rc !== undefined,
      rc: rc === undefined ? null : Number(rc),
    },
  };
}

// SemVer compares `rc10` and `rc2` as strings (rc10 < rc2); GitLab numbers its RCs, so
// comparisons use `rc.N`, whose numeric identifier compares as a number.
function sortable(version: string): string {
  return version.replace(/-rc(\d+)$/, '-rc.$1');
}

/** SemVer order (RCs by number); for equal versions CE sorts before `-ee`, so the order is total. */
export function compareReleases(a: GitlabRelease, b: GitlabRelease): number {
  return semver.compare(sortable(a.version), sortable(b.version)) || (a.edition ?? '').localeCompare(b.edition ?? '') || a.tag.localeCompare(b.tag);
}

export type TemplateValues = Readonly<Record<string, string>>;

export type RenderResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

export function releaseValues(release: GitlabRelease): TemplateValues {
  return {
    tag: release.tag,
    version: release.version,
    major: String(release.major),
    minor: String(release.minor),
    patch: String(release.patch),
    edition: release.edition ?? '',
  };
}

/** Replaces `{name}` placeholders; an unknown placeholder or a stray brace is refused. */
export function substitute(template: string, values: TemplateValues): RenderResult {
  let unknown: string | null = null;
  const out = template.replace(/\{([a-z_]*)\}/g, (whole, name: string) => {
    const v = Object.hasOwn(values, name) ? values[name] : undefined;
    if (v === undefined) unknown ??= whole;
    return v ?? '';
  });
  if (unknown !== null) return { ok: false, reason: `the template ${JSON.stringify(template)} uses the unknown placeholder ${unknown}` };
  if (/[{}]/.test(out)) return { ok: false, reason: `the template ${JSON.stringify(template)} has an unmatched brace` };
  return { ok: true, value: out };
}

/** A git tag or branch name from a template; refused when the result would be unsafe. */
export function renderTemplate(template: string, release: GitlabRelease, extra: TemplateValues = {}): RenderResult {
  const r = substitute(template, { ...releaseValues(release), ...extra });
  if (!r.ok) return r;
  const unsafe = unsafeTagReason(r.value);
  return unsafe === null ? r : { ok: false, reason: `the template ${JSON.stringify(template)} gives ${JSON.stringify(r.value)}: ${unsafe}` };
}

export const DEFAULT_TAG_TEMPLATE = 'self-hosted-{tag}';
export const DEFAULT_STABLE_BRANCH_TEMPLATE = 'stable-{major}-{minor}-ee';

export function stableBranchName(release: GitlabRelease, template = DEFAULT_STABLE_BRANCH_TEMPLATE): RenderResult {
  return renderTemplate(template, release);
}

// OCI distribution spec: a tag is [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** An image tag from a template (`{sha}` and `{short_sha}` come in `extra`). */
export function renderImageTag(template: string, release: GitlabRelease, extra: TemplateValues = {}): RenderResult {
  const r = substitute(template, { ...releaseValues(release), ...extra });
  if (!r.ok) return r;
  return OCI_TAG.test(r.value) ? r : { ok: false, reason: `the image tag template ${JSON.stringify(template)} gives ${JSON.stringify(r.value)}, which is not a valid OCI tag` };
}

export interface SelectOptions {
  /** SemVer; releases below it are never acted on (first start with a long history). */
  readonly minVersion: string;
  /** When set, only these upstream tags (still subject to prereleases). */
  readonly allow: readonly string[] | null;
  readonly includePrereleases: boolean;
}

export interface Selection {
  readonly selected: readonly GitlabRelease[];
  readonly ignored: ReadonlyArray<{ readonly tag: string; readonly reason: string }>;
}

/** Which upstream tags to act on, oldest first (so stable branches are cut before their patches). */
export function selectReleases(tags: readonly string[], options: SelectOptions): Selection {
  const ignored: Array<{ tag: string; reason: string }> = [];
  const chosen = new Map<string, GitlabRelease>();
  const min = semver.valid(sortable(options.minVersion));
  for (const tag of tags) {
    const parsed = parseGitlabTag(tag);
    if (!parsed.ok) ignored.push({ tag, reason: parsed.reason });
    else if (options.allow !== null && !options.allow.includes(tag)) ignored.push({ tag, reason: 'not in the allow list' });
    else if (parsed.release.prerelease && !options.includePrereleases) ignored.push({ tag, reason: 'a release candidate (prereleases are off)' });
    // `18.4.0-rc1` < `18.4.0` in SemVer, so an RC of the minimum release is below it.
    else if (min === null || semver.lt(sortable(parsed.release.version), min)) ignored.push({ tag, reason: `older than the minimum version ${options.minVersion}` });
    else chosen.set(tag, parsed.release);
  }
  return { selected: [...chosen.values()].sort(compareReleases), ignored };
}

export interface ServiceTagRule {
  readonly tagTemplate: string;
  readonly model: 'default-branch' | 'stable-branch';
  readonly stableBranchTemplate: string;
}

export interface ServiceFacts {
  readonly defaultBranch: string;
  readonly defaultBranchHead: string | null;
  /** null when the stable branch does not exist (or the model does not use one). */
  readonly stableBranchHead: string | null;
  /** The commit the service tag already points at, or null. */
  readonly existingTag: string | null;
  /** The commit chosen by an earlier attempt of the same job: retries never move the target. */
  readonly pinnedSha: string | null;
}

export type ServiceAction = { readonly kind: 'ensure-branch'; readonly branch: string; readonly sha: string } | { readonly kind: 'ensure-tag'; readonly tag: string; readonly sha: string };

export type ServicePlan =
  | { readonly outcome: 'act'; readonly tag: string; readonly sha: string; readonly actions: readonly ServiceAction[] }
  | { readonly outcome: 'exists'; readonly tag: string; readonly sha: string }
  | { readonly outcome: 'conflict'; readonly tag: string; readonly sha: string; readonly reason: string }
  | { readonly outcome: 'skipped'; readonly tag: string | null; readonly reason: string; readonly waitingForBranch?: string };

/** Names the stable branch a release needs, or null when it is tagged on the default branch. */
export function stableBranchFor(release: GitlabRelease, rule: ServiceTagRule): RenderResult | null {
  // A release candidate precedes its .0, which is what cuts the stable branch (aigw-tagging.sh).
  return rule.model === 'stable-branch' && !release.prerelease ? stableBranchName(release, rule.stableBranchTemplate) : null;
}

export function planServiceTagging(release: GitlabRelease, rule: ServiceTagRule, facts: ServiceFacts): ServicePlan {
  const tag = renderTemplate(rule.tagTemplate, release);
  if (!tag.ok) return { outcome: 'skipped', tag: null, reason: tag.reason };
  const branch = stableBranchFor(release, rule);
  if (branch !== null && !branch.ok) return { outcome: 'skipped', tag: tag.value, reason: branch.reason };

  const actions: ServiceAction[] = [];
  let sha: string | null;
  if (branch === null) {
    sha = facts.pinnedSha ?? facts.defaultBranchHead;
    if (sha === null) return { outcome: 'skipped', tag: tag.value, reason: `the default branch ${facts.defaultBranch} has no commit` };
  } else if (facts.stableBranchHead !== null) {
    sha = facts.pinnedSha ?? facts.stableBranchHead;
  } else if (release.patch === 0) {
    sha = facts.pinnedSha ?? facts.defaultBranchHead;
    if (sha === null) return { outcome: 'skipped', tag: tag.value, reason: `the default branch ${facts.defaultBranch} has no commit` };
    actions.push({ kind: 'ensure-branch', branch: branch.value, sha });
  } else {
    // Transient when the .0 job has not run yet; the caller decides whether to wait.
    return {
      outcome: 'skipped',
      tag: tag.value,
      reason: `the stable branch ${branch.value} does not exist; the ${release.major}.${release.minor}.0 release creates it`,
      waitingForBranch: branch.value,
    };
  }

  if (facts.existingTag === sha) return actions.length === 0 ? { outcome: 'exists', tag: tag.value, sha } : { outcome: 'act', tag: tag.value, sha, actions };
  if (facts.existingTag !== null) {
    return { outcome: 'conflict', tag: tag.value, sha, reason: `tag ${tag.value} already points at ${facts.existingTag}, not ${sha}; it is never moved` };
  }
  actions.push({ kind: 'ensure-tag', tag: tag.value, sha });
  return { outcome: 'act', tag: tag.value, sha, actions };
}
