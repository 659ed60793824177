import { z } from 'zod';
import { parseGitlabTag, planServiceTagging, renderImageTag, renderTemplate, stableBranchName } from '../core/gitlab-versions.js';
import type { GitlabRelease } from '../core/gitlab-versions.js';
import { AppError, TagConflictError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Platform } from '../platforms/platform.js';
import type { SelfHostedConfig, ServiceRepoConfig } from './self-hosted-config.js';
import type { RetagImage } from './types.js';

/** No secrets: the repo is named, its settings are read from the current config. */
export const taggingJobSchema = z.strictObject({
  release: z.string().min(1).max(255),
  platform: z.enum(['gitlab', 'github']),
  project: z.string().min(1).max(255),
  /** The commit the first attempt chose; later attempts tag that one, never a newer head. */
  pinnedSha: z.string().regex(/^[0-9a-f]{40,64}$/).optional(),
});
export type TaggingJobData = z.output<typeof taggingJobSchema>;

/** Deterministic and free of ':' (BullMQ refuses it); the same for the poll and the hook. */
export function taggingJobId(data: Pick<TaggingJobData, 'release' | 'platform' | 'project'>): string {
  return `tag-${data.platform}-${encodeURIComponent(data.project)}-${encodeURIComponent(data.release)}`;
}

export type TaggingOutcome = 'tagged' | 'exists' | 'conflict' | 'skipped';

export interface TaggingResult {
  readonly release: string;
  readonly repo: string;
  readonly tag: string | null;
  readonly sha: string | null;
  readonly outcome: TaggingOutcome;
  readonly reason?: string;
  readonly branch?: { readonly name: string; readonly result: 'created' | 'exists' };
  readonly image?: 'copied' | 'exists';
}

export interface TaggingDeps {
  readonly config: SelfHostedConfig;
  readonly platformFor: (repo: ServiceRepoConfig) => Promise<Platform>;
  /** null when no OCI retag is wired; a repo with `image:` then reports it in `reason`. */
  readonly retagImage: RetagImage | null;
  /** Stores the chosen commit in the job (job.updateData) before the first write. */
  readonly pin: (sha: string) => Promise<void>;
  readonly log: Pick<Logger, 'info' | 'warn'>;
}

export async function runTaggingJob(data: TaggingJobData, deps: TaggingDeps): Promise<TaggingResult> {
  const repoName = `${data.platform}/${data.project}`;
  const base = { release: data.release, repo: repoName };
  const repo = deps.config.repos.find((r) => r.platform === data.platform && r.project === data.project);
  if (repo === undefined) return { ...base, tag: null, sha: null, outcome: 'skipped', reason: 'the repo is no longer in the self-hosted config' };
  const parsed = parseGitlabTag(data.release);
  if (!parsed.ok) return { ...base, tag: null, sha: null, outcome: 'skipped', reason: parsed.reason };
  const release = parsed.release;
  const platform = await deps.platformFor(repo);

  const needsBranch = repo.model === 'stable-branch' && !release.prerelease;
  const defaultBranch = await platform.defaultBranch();
  const defaultHead = (await platform.resolveCommit(defaultBranch))?.sha ?? null;
  const rule = { tagTemplate: repo.tagTemplate, model: repo.model, stableBranchTemplate: repo.stableBranchTemplate };
  const branchName = needsBranch ? renderStable(release, repo) : null;
  const stableHead = branchName === null ? null : await platform.branchHead(branchName);
  const tagName = renderTag(release, repo);
  const existing = tagName === null ? null : ((await platform.getTag(tagName))?.sha ?? null);
  const stableTarget = await dotZeroTarget(platform, { release, defaultBranch, branchName, stableHead, existing, pinned: data.pinnedSha !== undefined }, deps.log);
  const plan = planServiceTagging(release, rule, { defaultBranch, defaultBranchHead: defaultHead, stableBranchHead: stableTarget, existingTag: existing, pinnedSha: data.pinnedSha ?? null });

  if (plan.outcome === 'skipped' && plan.waitingForBranch !== undefined) {
    // The .0 job that cuts the branch may still be queued or retrying: wait for it with
    // the job's backoff; when it never comes, the job fails with this reason.
    throw new AppError('forge-not-found', plan.reason, { retryable: true, details: { branch: plan.waitingForBranch } });
  }
  if (plan.outcome === 'skipped') return { ...base, tag: plan.tag, sha: null, outcome: 'skipped', reason: plan.reason };
  if (plan.outcome === 'conflict') return { ...base, tag: plan.tag, sha: plan.sha, outcome: 'conflict', reason: plan.reason };
  if (data.pinnedSha === undefined) await deps.pin(plan.sha);

  let outcome: TaggingOutcome = 'exists';
  let branch: TaggingResult['branch'];
  if (plan.outcome === 'act') {
    for (const action of plan.actions) {
      if (action.kind === 'ensure-branch') {
        branch = { name: action.branch, result: await platform.ensureBranch(action.branch, action.sha) };
      } else if (action.kind === 'ensure-tag') {
        try {
          outcome = (await platform.ensureTag(action.tag, action.sha, `GitLab ${release.tag}`)) === 'created' ? 'tagged' : 'exists';
        } catch (error) {
          // Someone made the tag between our read and our write: reported, never moved.
          if (error instanceof TagConflictError) return { ...base, tag: plan.tag, sha: plan.sha, outcome: 'conflict', reason: error.message, ...(branch === undefined ? {} : { branch }) };
          throw error;
        }
      }
    }
  }
  const done: TaggingResult = { ...base, tag: plan.tag, sha: plan.sha, outcome, ...(branch === undefined ? {} : { branch }) };
  return repo.image === null ? done : retag(done, release, repo, deps);
}

interface DotZeroFacts {
  readonly release: GitlabRelease;
  readonly defaultBranch: string;
  readonly branchName: string | null;
  readonly stableHead: string | null;
  readonly existing: string | null;
  readonly pinned: boolean;
}

/**
 * The commit the release's tag goes on when its stable branch already exists. A patch
 * release: the branch head. A .0 (a catch-up after downtime, or a branch someone cut by
 * hand): the commit the branch was cut from, its merge base with the default branch, as
 * GitLab's aigw-tagging.sh cuts the branch and tags .0 at one point; the head may already
 * hold backports meant for .1. A .0 tag already at the head (made before this rule) is
 * left as it is rather than reported as a conflict.
 */
async function dotZeroTarget(platform: Platform, f: DotZeroFacts, log: Pick<Logger, 'warn'>): Promise<string | null> {
  if (f.branchName === null || f.stableHead === null || f.release.patch !== 0 || f.pinned || f.existing === f.stableHead) return f.stableHead;
  const base = await platform.mergeBase(f.defaultBranch, f.branchName);
  if (base !== null) return base;
  // Unrelated histories: there is no cut point to find, so the head is the best guess.
  log.warn({ release: f.release.tag, branch: f.branchName }, 'the stable branch shares no commit with the default branch; tagging .0 at its head');
  return f.stableHead;
}

// A bad template reads nothing here; planServiceTagging reports why it skips.
function renderStable(release: GitlabRelease, repo: ServiceRepoConfig): string | null {
  const r = stableBranchName(release, repo.stableBranchTemplate);
  return r.ok ? r.value : null;
}

function renderTag(release: GitlabRelease, repo: ServiceRepoConfig): string | null {
  const r = renderTemplate(repo.tagTemplate, release);
  return r.ok ? r.value : null;
}

async function retag(done: TaggingResult, release: GitlabRelease, repo: ServiceRepoConfig, deps: TaggingDeps): Promise<TaggingResult> {
  const image = repo.image;
  if (image === null || done.sha === null) return done;
  const extra = { sha: done.sha, short_sha: done.sha.slice(0, 8) };
  const source = renderImageTag(image.sourceTag, release, extra);
  const target = renderImageTag(image.targetTag, release, extra);
  if (!source.ok || !target.ok) return { ...done, reason: `image not retagged: ${!source.ok ? source.reason : !target.ok ? target.reason : ''}` };
  if (deps.retagImage === null) return { ...done, reason: 'image not retagged: no OCI retag is wired into this worker' };
  // Errors propagate: the job is retried, the tag step then answers 'exists'.
  const result = await deps.retagImage({ registry: image.registry, repository: image.repository, sourceTag: source.value, targetTag: target.value, credentialsEnv: image.credentialsEnv });
  return { ...done, image: result };
}
