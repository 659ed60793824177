import type { Action, CommentTarget } from './actions.js';
import { globMatch } from './branch-glob.js';
import { checkChange, checkRelease } from './checks.js';
import type { ChangeFacts } from './checks.js';
import type { RepoEvent } from './events.js';
import { finding, hasErrors, quote, sortFindings } from './findings.js';
import type { Finding } from './findings.js';
import type { BuildBackend } from './pyproject.js';
import { DEFAULT_REPO_CONFIG } from './repo-config.js';
import type { RepoConfig } from './repo-config.js';
import { renderReport, statusLine } from './report.js';
import { classifyTag, tagForVersion, versionFromCommitMessage } from './tags.js';

/**
 * decideRelease and decideChangeRequest: (event, facts) -> Action[]. Pure: the
 * service gathers the facts through the Platform port and carries the actions out.
 */
export interface ReleaseFacts {
  readonly change: ChangeFacts;
  readonly projectName: string | null;
  readonly backend: BuildBackend;
  readonly defaultBranch: string;
  /** Branches whose history contains the release commit. */
  readonly branchesWithCommit: readonly string[];
  readonly tagProtected: boolean | null;
}

export interface ChangeRequestFacts {
  readonly change: ChangeFacts;
  readonly projectName: string | null;
}

export type TagEvent = Extract<RepoEvent, { kind: 'tag-pushed' }>;
export type PushEvent = Extract<RepoEvent, { kind: 'branch-pushed' }>;
export type ChangeRequestEvent = Extract<RepoEvent, { kind: 'change-request' }>;

export function configOf(change: ChangeFacts): RepoConfig {
  return change.config.ok ? change.config.config : DEFAULT_REPO_CONFIG;
}

/** `auto` builds with PEP 517 `build`, except for the old poetry backend, which needs poetry itself. */
export function buildToolFor(config: RepoConfig, backend: BuildBackend): 'build' | 'poetry' {
  if (config.buildTool !== 'auto') return config.buildTool;
  return backend === 'poetry' ? 'poetry' : 'build';
}

/**
 * The release a default-branch push asks for through its commit subject, if any. The
 * service calls this before gathering facts, to know which tag to check.
 */
export function commitTriggerRelease(event: PushEvent, config: RepoConfig, defaultBranch: string): { tag: string; version: string } | null {
  if (!config.commitTrigger || event.branch !== defaultBranch || event.headMessage === null) return null;
  const found = versionFromCommitMessage(event.headMessage);
  return found === null ? null : { tag: tagForVersion(found.normalized, config.tagPrefix), version: found.normalized };
}

/** Is the tag one this repository releases from at all? Other tags are ignored quietly. */
export function isReleaseTagCandidate(tag: string, config: RepoConfig): boolean {
  return classifyTag(tag, { prefixes: config.tagPrefixes, mode: config.tagMode }).kind !== 'not-a-release';
}

function placementFindings(facts: ReleaseFacts, config: RepoConfig): Finding[] {
  const out: Finding[] = [];
  const allowed = facts.branchesWithCommit.some((b) => b === facts.defaultBranch || config.releaseBranches.some((p) => globMatch(p, b)));
  if (!allowed) {
    out.push(
      finding(
        'release-branch',
        'error',
        `The release commit is not on ${quote(facts.defaultBranch)}${config.releaseBranches.length > 0 ? ' or a release branch' : ''}.`,
        'Tag a commit that is on the default branch, or list its branch under `release-branches`.',
        'release-branches',
      ),
    );
  }
  if (config.requireProtectedTag && facts.tagProtected !== true) {
    out.push(finding('tag-unprotected', 'error', `The tag ${quote(facts.change.tag ?? '')} is not protected, and this repository releases only protected tags.`, 'Protect release tags (for example `v*`) in the repository settings, then push the tag again.', 'require-protected-tag'));
  }
  return out;
}

function releaseVersion(facts: ReleaseFacts, config: RepoConfig): string | null {
  const tag = facts.change.tag;
  if (tag === null) return null;
  const verdict = classifyTag(tag, { prefixes: config.tagPrefixes, mode: config.tagMode });
  return verdict.kind === 'release' ? verdict.normalized : null;
}

/** A pushed release tag, or a default-branch commit whose subject names a version. */
export function decideRelease(event: TagEvent | PushEvent, facts: ReleaseFacts): Action[] {
  const config = configOf(facts.change);
  const tag = facts.change.tag;
  if (tag === null) return [{ kind: 'ignore', reason: 'no release tag' }];
  if (event.kind === 'tag-pushed' && !isReleaseTagCandidate(tag, config)) {
    return [{ kind: 'ignore', reason: `tag ${tag} is not a release tag under this repository's tag policy` }];
  }
  const findings = sortFindings([...checkRelease(facts.change), ...placementFindings(facts, config)]);
  const version = releaseVersion(facts, config);
  const subject = `release ${tag}`;
  const status = statusLine(findings);
  const commitComment: CommentTarget = { kind: 'commit', sha: event.sha };
  if (hasErrors(findings) || version === null) {
    return [
      { kind: 'set-status', sha: event.sha, state: 'failure', description: status.description },
      { kind: 'upsert-comment', target: commitComment, body: renderReport({ findings, subject }) },
    ];
  }
  const actions: Action[] = [];
  if (event.kind === 'branch-pushed') actions.push({ kind: 'ensure-tag', tag, sha: event.sha, message: `Release ${version}` });
  if (config.registries.length === 0) {
    actions.push({ kind: 'set-status', sha: event.sha, state: 'success', description: `${version} passes the checks; no registries configured, nothing published` });
    return actions;
  }
  actions.push(
    {
      kind: 'enqueue-publish',
      version,
      tag,
      sha: event.sha,
      project: facts.projectName,
      registries: config.registries,
      buildTool: buildToolFor(config, facts.backend),
      path: config.path,
    },
    { kind: 'set-status', sha: event.sha, state: 'pending', description: `publishing ${version} to ${config.registries.join(', ')}`, onlyForNewJob: true },
  );
  return actions;
}

/**
 * A change request: one comment, edited in place, and a status on the head commit.
 * The comment is created only when there is something to say (an error or warning);
 * once it exists it is kept up to date, and says so when everything is fixed.
 */
export function decideChangeRequest(event: ChangeRequestEvent, facts: ChangeRequestFacts): Action[] {
  const findings = checkChange(facts.change);
  const status = statusLine(findings);
  const version = facts.change.head.version.kind === 'static' ? ` ${facts.change.head.version.version}` : '';
  const subject = `${facts.projectName ?? 'this project'}${version}`;
  const worthSaying = findings.some((f) => f.severity !== 'notice');
  const target: CommentTarget = { kind: 'change-request', number: event.number };
  return [
    { kind: 'set-status', sha: event.headSha, state: status.state, description: status.description },
    worthSaying
      ? { kind: 'upsert-comment', target, body: renderReport({ findings, subject }) }
      : { kind: 'upsert-comment', target, body: renderReport({ findings, subject, previouslyFailing: true }), onlyIfExists: true },
  ];
}
