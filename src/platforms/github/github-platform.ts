import { AppError, TagConflictError } from '../../errors.js';
import type { CommitInfo, Platform, TagInfo } from '../platform.js';
import { ARCHIVE_DOWNLOAD_LIMIT, downloadTarball } from './github-archive.js';
import { githubBranchOps } from './github-branches.js';
import { setCheckRun } from './github-checks.js';
import { upsertGithubComment } from './github-comments.js';
import { orNull, translated, translateGithubError } from './github-errors.js';
import type { GithubOctokit, RepoRef } from './github-octokit.js';
import { listMergedPulls } from './github-merged-changes.js';
import { ensureGithubRelease } from './github-releases.js';
import { tagProtectedByRulesets } from './github-rulesets.js';
import { branchSchema, commitSchema, compareSchema, contentFileSchema, parsed, pullSchema, refSchema, repoIdentitySchema, repoSchema, repoTagSchema, tagObjectSchema } from './github-schemas.js';
import { hasDotSegment, isDotSegment } from '../path-guard.js';
import { conditionalPages } from '../conditional-pages.js';
import { githubPage } from './github-conditional.js';

export interface GithubPlatformOptions {
  /** An installation's Octokit (ProbotOctokit: throttling, retry, paginate). */
  readonly octokit: GithubOctokit;
  readonly owner: string;
  readonly repo: string;
  /** The app's bot login, `<app slug>[bot]`; null/absent: any app's Bot (see github-comments.ts). */
  readonly botLogin?: string | null;
  readonly log?: { warn(obj: object, msg: string): void };
  readonly archiveLimit?: number;
}

/** The contents API inlines files up to 1 MB; pyproject.toml and friends are far smaller. */
const FILE_LIMIT = 1024 * 1024;
/** Compares in flight at once for branchesContaining. */
const COMPARE_CONCURRENCY = 4;

/** `.` and `..` would be collapsed by URL parsing into another route: no ref or path is called that. */

async function mapLimited<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await run(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function createGithubPlatform(options: GithubPlatformOptions): Platform {
  const { octokit } = options;
  const repo: RepoRef = { owner: options.owner, repo: options.repo };
  const botLogin = options.botLogin ?? null;
  const apiBaseUrl = octokit.request.endpoint.DEFAULTS.baseUrl;

  /** A tag ref's sha, peeled through annotated tag objects to the commit. */
  const getTag = async (name: string): Promise<TagInfo | null> => {
    if (isDotSegment(name)) return null;
    const res = await orNull('read a tag', () => octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { ...repo, ref: `tags/${name}` }));
    if (res === null) return null;
    let object = parsed(refSchema, res.data, 'read a tag').object;
    for (let depth = 0; object.type === 'tag' && depth < 5; depth++) {
      const sha = object.sha;
      const tag = await translated('read a tag object', () => octokit.request('GET /repos/{owner}/{repo}/git/tags/{tag_sha}', { ...repo, tag_sha: sha }));
      object = parsed(tagObjectSchema, tag.data, 'read a tag object').object;
    }
    if (object.type !== 'commit') throw new AppError('forge-refused', `tag ${JSON.stringify(name)} does not point at a commit`, { details: { tag: name, type: object.type } });
    return { name, sha: object.sha };
  };

  const contains = async (branch: string, headSha: string, sha: string): Promise<boolean> => {
    if (headSha === sha) return true;
    // compare/{branch}...{sha}: "behind" or "identical" means sha is in branch's history.
    const res = await orNull('compare a branch with a commit', () => octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', { ...repo, basehead: `${branch}...${sha}`, per_page: 1 }), [404, 422]);
    if (res === null) return false;
    const status = parsed(compareSchema, res.data, 'compare a branch with a commit').status;
    return status === 'behind' || status === 'identical';
  };

  return {
    ...githubBranchOps(octokit, repo, isDotSegment),
    identity: async () => {
      // Asked by owner/name (how this adapter addresses everything): GitHub answers with
      // the repository's id, and its current full name (a renamed repository redirects).
      const res = await translated('read the repository', () => octokit.request('GET /repos/{owner}/{repo}', { ...repo }));
      const found = parsed(repoIdentitySchema, res.data, 'read the repository');
      return { id: String(found.id), path: found.full_name };
    },
    defaultBranch: async () => {
      const res = await translated('read the repository', () => octokit.request('GET /repos/{owner}/{repo}', { ...repo }));
      const branch = parsed(repoSchema, res.data, 'read the repository').default_branch;
      if (typeof branch !== 'string' || branch === '') throw new AppError('forge-not-found', 'the GitHub repository has no default branch (empty repository)');
      return branch;
    },
    resolveCommit: async (ref): Promise<CommitInfo | null> => {
      if (isDotSegment(ref)) return null;
      // An unknown ref is a 422 "No commit found for SHA" on this route, a 404 elsewhere.
      const res = await orNull('read a commit', () => octokit.request('GET /repos/{owner}/{repo}/commits/{ref}', { ...repo, ref }), [404, 422]);
      if (res === null) return null;
      const c = parsed(commitSchema, res.data, 'read a commit');
      return { sha: c.sha, message: c.commit.message };
    },
    readFile: async (path, ref) => {
      if (hasDotSegment(path) || isDotSegment(ref)) return null;
      const res = await orNull('read a file', () => octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { ...repo, path, ref }));
      if (res === null || Array.isArray(res.data)) return null;
      const file = parsed(contentFileSchema, res.data, 'read a file');
      if (file.type !== 'file') return null;
      if (file.encoding !== 'base64' || file.content === undefined || (file.size ?? 0) > FILE_LIMIT) {
        throw new AppError('forge-refused', `${path} is larger than ${FILE_LIMIT} bytes`, { details: { path } });
      }
      return Buffer.from(file.content.replace(/\s+/g, ''), 'base64').toString('utf8');
    },
    getTag,
    listTags: async () => {
      // GET /repos/{o}/{r}/tags names each tag's commit, annotated tags already peeled.
      const all = await translated('list tags', () => octokit.paginate('GET /repos/{owner}/{repo}/tags', { ...repo, per_page: 100 }));
      return parsed(repoTagSchema.array(), all, 'list tags').map((t) => ({ name: t.name, sha: t.commit.sha }));
    },
    listTagsIfChanged: (validator) =>
      conditionalPages(validator, (page, etag) =>
        githubPage(octokit, 'GET /repos/{owner}/{repo}/tags', { ...repo }, page, etag, 'list tags', (data) =>
          parsed(repoTagSchema.array(), data, 'list tags').map((t): TagInfo => ({ name: t.name, sha: t.commit.sha })),
        ),
      ),
    ensureTag: async (name, sha) => {
      // A lightweight tag: one write (an annotated tag needs a tag object first, which
      // a failure between the two writes would orphan).
      try {
        await octokit.request('POST /repos/{owner}/{repo}/git/refs', { ...repo, ref: `refs/tags/${name}`, sha });
        return 'created';
      } catch (error) {
        // Decided by re-reading the ref, never by GitHub's words: an existing ref is a 422,
        // and so is a create whose lost response plugin-retry sent again.
        const existing = await getTag(name);
        if (existing === null) throw translateGithubError(error, 'create a tag');
        if (existing.sha === sha) return 'exists';
        throw new TagConflictError(name, existing.sha, sha);
      }
    },
    isTagProtected: (name) => tagProtectedByRulesets(octokit, repo, name),
    branchesContaining: async (sha) => {
      if (isDotSegment(sha)) return [];
      const all = await translated('list branches', () => octokit.paginate('GET /repos/{owner}/{repo}/branches', { ...repo, per_page: 100 }));
      const branches = parsed(branchSchema.array(), all, 'list branches');
      const hits = await mapLimited(branches, COMPARE_CONCURRENCY, (b) => contains(b.name, b.commit.sha, sha));
      return branches.filter((_, i) => hits[i] === true).map((b) => b.name);
    },
    changeRequestsForCommit: async (sha) => {
      if (isDotSegment(sha)) return [];
      const pulls = await orNull('list pull requests of a commit', () => octokit.paginate('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', { ...repo, commit_sha: sha, per_page: 100 }), [404, 422]);
      if (pulls === null) return [];
      return parsed(pullSchema.array(), pulls, 'list pull requests of a commit')
        .filter((p) => p.state === 'open' || (p.merged_at ?? null) !== null)
        .map((p) => p.number);
    },
    listMergedChanges: (fromSha, toSha, limit) =>
      isDotSegment(fromSha) || isDotSegment(toSha) ? Promise.resolve({ changes: [], complete: true }) : listMergedPulls(octokit, repo, fromSha, toSha, limit),
    upsertComment: (target, body, marker, upsert) => upsertGithubComment(octokit, repo, botLogin, target, body, marker, upsert),
    setStatus: (sha, status) => setCheckRun(octokit, repo, sha, status),
    downloadArchive: (sha, destFile) => downloadTarball(octokit, repo, apiBaseUrl, sha, destFile, options.archiveLimit ?? ARCHIVE_DOWNLOAD_LIMIT),
    ensureRelease: (release) => ensureGithubRelease(octokit, repo, release),
  };
}
