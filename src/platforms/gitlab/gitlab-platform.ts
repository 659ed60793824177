import type { Gitlab } from '@gitbeaker/rest';
import type { z } from 'zod';
import type { CommentTarget, StatusState } from '../../core/actions.js';
import { STATUS_CONTEXT } from '../../core/actions.js';
import { AppError, TagConflictError } from '../../errors.js';
import type { CommitInfo, Platform, ReleaseInput, StatusInput, TagInfo } from '../platform.js';
import { branchOps } from './gitlab-branches.js';
import { createGitlabClient } from './gitlab-client.js';
import { ARCHIVE_DOWNLOAD_LIMIT, streamArchiveToFile, streamToText } from './gitlab-archive.js';
import { upsertNote } from './gitlab-comments.js';
import type { NoteStore, StoredNote } from './gitlab-comments.js';
import { gitlabStatus, orNull, translated, translateGitlabError } from './gitlab-errors.js';
import { releaseOps } from './gitlab-releases.js';
import { collectMergedChanges } from '../merged-changes.js';
import {
  commitSchema,
  compareSchema,
  discussionSchema,
  listedMergeRequestSchema,
  mergeRequestSchema,
  noteSchema,
  projectIdentitySchema,
  projectSchema,
  protectedTagSchema,
  refSchema,
  statusSchema,
  tagSchema,
  userSchema,
} from './gitlab-schemas.js';
import { hasDotSegment, isDotSegment } from '../path-guard.js';
import { conditionalPages } from '../conditional-pages.js';
import { createGitlabRest } from './gitlab-rest.js';
import type { GitlabRest } from './gitlab-rest.js';

export type GitlabApi = InstanceType<typeof Gitlab<false>>;

export interface GitlabPlatformOptions {
  /** A built client, or what to build one from (host is the instance's origin). */
  readonly api: GitlabApi | { readonly host: string; readonly token: string };
  /**
   * Plain GETs for conditional requests (listTagsIfChanged); built from `api` when that is
   * a host and token. Without it, listTagsIfChanged reads the tags every time.
   */
  readonly rest?: GitlabRest;
  /** Numeric id or full path (`group/project`); gitbeaker URL-encodes it. */
  readonly projectId: number | string;
  /** The bot's user id; read once from GET /user when omitted. */
  readonly botUserId?: number;
  readonly log?: { warn(obj: object, msg: string): void };
  readonly archiveLimit?: number;
}

/** GitLab's commit status description limit (the column is a varchar(255)). */
export const STATUS_DESCRIPTION_LIMIT = 255;
const FILE_LIMIT = 5 * 1024 * 1024;
// gitbeaker's RequestHelper.get honours `asStream` for every GET (it hands back the fetch
// body), but showRaw's declared options omit it.
const STREAMED = { asStream: true } as unknown as { lfs?: boolean };
const STATE: Record<StatusState, 'pending' | 'success' | 'failed'> = { pending: 'pending', success: 'success', failure: 'failed' };

export function parsed<S extends z.ZodType>(schema: S, value: unknown, action: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // A proxy's HTML page with a 200, or an API change: retry later, and say where.
  throw new AppError('forge-unavailable', `GitLab's answer to ${action} has an unexpected shape`, { retryable: true, details: { action } });
}

/** `.` and `..` would be collapsed by URL parsing into another route: no ref or path is called that. */

export function cutDescription(text: string): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= STATUS_DESCRIPTION_LIMIT ? chars.join('') : `${chars.slice(0, STATUS_DESCRIPTION_LIMIT - 1).join('')}…`;
}

export function createGitlabPlatform(options: GitlabPlatformOptions): Platform {
  const api: GitlabApi = 'host' in options.api && 'token' in options.api ? createGitlabClient({ host: options.api.host, token: options.api.token }) : (options.api as GitlabApi);
  const pid = options.projectId;
  const rest = options.rest ?? ('host' in options.api && 'token' in options.api ? createGitlabRest(options.api.host, options.api.token) : null);
  let botId: Promise<number> | null = options.botUserId === undefined ? null : Promise.resolve(options.botUserId);
  const whoAmI = (): Promise<number> => {
    botId ??= translated('read the bot user', () => api.Users.showCurrentUser()).then((u) => parsed(userSchema, u, 'GET /user').id);
    // A failed lookup is not cached: the next call asks again.
    botId.catch(() => (botId = null));
    return botId;
  };

  const getTag = async (name: string): Promise<TagInfo | null> => {
    if (isDotSegment(name)) return null;
    const tag = await orNull('read a tag', () => api.Tags.show(pid, name));
    if (tag === null) return null;
    const t = parsed(tagSchema, tag, 'read a tag');
    return { name: t.name, sha: t.commit.id };
  };

  const mergeRequestNotes = (iid: number): NoteStore => ({
    what: 'merge request note',
    list: async () => {
      const notes = await translated('list merge request notes', () => api.MergeRequestNotes.all(pid, iid, { perPage: 100, sort: 'asc', orderBy: 'created_at' }));
      return parsed(noteSchema.array(), notes, 'list merge request notes').map((n): StoredNote => ({ id: n.id, body: n.body, authorId: n.author.id }));
    },
    create: async (body) => {
      await api.MergeRequestNotes.create(pid, iid, body);
    },
    edit: (note, body) => translated('edit a merge request note', () => api.MergeRequestNotes.edit(pid, iid, note.id, { body }).then(() => undefined)),
    remove: async (note) => {
      await api.MergeRequestNotes.remove(pid, iid, note.id);
    },
  });

  // Commit comments (POST .../commits/:sha/comments) cannot be edited through the API
  // (doc/api/commits.md has no such route); commit discussions can
  // (doc/api/discussions.md, "Modify an existing commit thread note"), and they are the
  // same notes GitLab shows under the commit.
  const commitNotes = (sha: string): NoteStore => ({
    what: 'commit note',
    list: async () => {
      const all = await translated('list commit discussions', () => api.CommitDiscussions.all(pid, sha, { perPage: 100 }));
      return parsed(discussionSchema.array(), all, 'list commit discussions').flatMap((d) =>
        d.notes.map((n): StoredNote => ({ id: n.id, body: n.body, authorId: n.author.id, discussionId: d.id })),
      );
    },
    create: async (body) => {
      await api.CommitDiscussions.create(pid, sha, body);
    },
    edit: (note, body) =>
      translated('edit a commit note', () => api.CommitDiscussions.editNote(pid, sha, note.discussionId ?? '', note.id, { body }).then(() => undefined)),
    remove: async (note) => {
      await api.CommitDiscussions.removeNote(pid, sha, note.discussionId ?? '', note.id);
    },
  });

  const readProject = (): Promise<unknown> => translated('read the project', () => api.Projects.show(pid));

  return {
    identity: async () => {
      // Asked by whatever the instance was built with (a job's project id): GitLab answers
      // with that project's own id and its current full path.
      const project = parsed(projectIdentitySchema, await readProject(), 'read the project');
      return { id: String(project.id), path: project.path_with_namespace };
    },
    defaultBranch: async () => {
      const project = parsed(projectSchema, await readProject(), 'read the project');
      if (typeof project.default_branch !== 'string') throw new AppError('forge-not-found', 'the GitLab project has no default branch (empty repository)');
      return project.default_branch;
    },
    resolveCommit: async (ref): Promise<CommitInfo | null> => {
      if (isDotSegment(ref)) return null;
      const commit = await orNull('read a commit', () => api.Commits.show(pid, ref));
      if (commit === null) return null;
      const c = parsed(commitSchema, commit, 'read a commit');
      return { sha: c.id, message: c.message ?? '' };
    },
    readFile: async (path, ref) => {
      if (hasDotSegment(path) || isDotSegment(ref)) return null;
      const body = await orNull('read a file', () => api.RepositoryFiles.showRaw(pid, path, ref, STREAMED) as Promise<unknown>);
      if (body === null) return null;
      const text = await streamToText(body, FILE_LIMIT);
      if (text === null) throw new AppError('forge-refused', `${path} is larger than ${FILE_LIMIT} bytes`, { details: { path } });
      return text;
    },
    getTag,
    listTags: async () => {
      const tags = await translated('list tags', () => api.Tags.all(pid, { perPage: 100 }));
      return parsed(tagSchema.array(), tags, 'list tags').map(toTagInfo);
    },
    listTagsIfChanged: async (validator) => {
      if (rest === null) {
        // No way to send If-None-Match through gitbeaker: read them (one request a page).
        const value = parsed(tagSchema.array(), await translated('list tags', () => api.Tags.all(pid, { perPage: 100 })), 'list tags').map(toTagInfo);
        return { changed: true, value, validator: null, cost: { requests: Math.max(1, Math.ceil(value.length / 100)), points: Math.max(1, Math.ceil(value.length / 100)), rate: null } };
      }
      return conditionalPages(validator, async (page, etag) => {
        const answer = await rest.get(`projects/${encodeURIComponent(String(pid))}/repository/tags`, { per_page: '100', page: String(page) }, etag, 'list tags');
        const items = answer.status === 304 ? [] : parsed(tagSchema.array(), answer.body, 'list tags').map(toTagInfo);
        // Rack::Attack counts a 304 like any request.
        return { status: answer.status, etag: answer.etag, items, hasNext: answer.nextPage !== null, full: items.length >= 100, rate: answer.rate, points: 1 };
      });
    },
    ensureTag: async (name, sha, message) => {
      try {
        await api.Tags.create(pid, name, sha, message === '' ? {} : { message });
        return 'created';
      } catch (error) {
        // Decided by re-reading the tag, never by GitLab's words: a lost 502 retried by
        // gitbeaker comes back as "already exists" for a tag we did create.
        const existing = await getTag(name);
        if (existing === null) throw translateGitlabError(error, 'create a tag');
        if (existing.sha === sha) return 'exists';
        throw new TagConflictError(name, existing.sha, sha);
      }
    },
    isTagProtected: async (name) => {
      let patterns: string[];
      try {
        patterns = parsed(protectedTagSchema.array(), await api.ProtectedTags.all(pid, { perPage: 100 }), 'list protected tags').map((p) => p.name);
      } catch (error) {
        const status = gitlabStatus(error);
        if (status === 404) return false;
        // Listing protected tags needs the Maintainer role: a Developer bot cannot know.
        if (status === 403) return null;
        throw translateGitlabError(error, 'list protected tags');
      }
      return patterns.some((p) => refMatches(p, name));
    },
    branchesContaining: async (sha) => {
      const refs = await orNull('list refs of a commit', () => api.Commits.allReferences(pid, sha, { type: 'branch', perPage: 100 }));
      return refs === null ? [] : parsed(refSchema.array(), refs, 'list refs of a commit').filter((r) => r.type === 'branch').map((r) => r.name);
    },
    changeRequestsForCommit: async (sha) => {
      const mrs = await orNull('list merge requests of a commit', () => api.Commits.allMergeRequests(pid, sha));
      return mrs === null ? [] : parsed(mergeRequestSchema.array(), mrs, 'list merge requests of a commit').map((m) => m.iid);
    },
    // One compare, then commits/:sha/merge_requests (one page of 100) for each of the
    // newest 100 commits: at most 101 requests. GitLab lists the merge requests that contain the commit (its
    // diff's commits); only merged ones count.
    listMergedChanges: async (fromSha, toSha, limit) => {
      const raw = await translated('compare two commits', () => api.Repositories.compare(pid, fromSha, toSha));
      const commits = parsed(compareSchema, raw, 'compare two commits').commits;
      // Newest first, whatever order the answer has: by commit date, ties by position (later is newer).
      const newestFirst = commits
        .map((c, i) => ({ sha: c.id, at: Date.parse(c.committed_date ?? '') || 0, i }))
        .sort((a, b) => b.at - a.at || b.i - a.i)
        .map((c) => c.sha);
      return collectMergedChanges(newestFirst, true, limit, async (sha) => {
        const mrs = await translated('list merge requests of a commit', () => api.Commits.allMergeRequests(pid, sha, { perPage: 100, maxPages: 1 }));
        return parsed(listedMergeRequestSchema.array(), mrs, 'list merge requests of a commit')
          .filter((m) => m.state === 'merged')
          .sort((a, b) => b.iid - a.iid)
          .map((m) => ({ number: m.iid, title: m.title, url: m.web_url ?? null, author: m.author?.username ?? null }));
      });
    },
    upsertComment: async (target: CommentTarget, body, marker, upsertOptions) => {
      const store = target.kind === 'change-request' ? mergeRequestNotes(target.number) : commitNotes(target.sha);
      return upsertNote(store, await whoAmI(), body, marker, upsertOptions);
    },
    setStatus: async (sha, status: StatusInput) => {
      const state = STATE[status.state];
      const extra = { name: STATUS_CONTEXT, description: cutDescription(status.description), ...(status.targetUrl === undefined ? {} : { targetUrl: status.targetUrl }) };
      try {
        await api.Commits.editStatus(pid, sha, state, extra);
      } catch (error) {
        // Posting the state a pending/running status already has is a 400 ("Cannot
        // transition status via :enqueue from :pending"); a duplicate event or a retried
        // lost response does exactly that. Re-read: already in that state is done.
        if (gitlabStatus(error) !== 400) throw translateGitlabError(error, 'set a commit status');
        const list = await translated('read commit statuses', () => api.Commits.allStatuses(pid, sha, { name: STATUS_CONTEXT }));
        const latest = parsed(statusSchema.array(), list, 'read commit statuses').sort((a, b) => b.id - a.id)[0];
        // Never move a status backwards: a late duplicate delivery asking for 'pending'
        // while the publish job already runs it ('running') is done, not a failure.
        const alreadyThere = latest?.status === state || (state === 'pending' && latest?.status === 'running');
        if (!alreadyThere) throw translateGitlabError(error, 'set a commit status');
      }
    },
    downloadArchive: async (sha, destFile) => {
      const body = await translated('download the source archive', () => api.Repositories.showArchive(pid, { sha, fileType: 'tar.gz', asStream: true }) as Promise<unknown>);
      await streamArchiveToFile(body, destFile, options.archiveLimit ?? ARCHIVE_DOWNLOAD_LIMIT);
    },
    ensureRelease: (release: ReleaseInput) => releaseOps(api, pid).ensure(release),
    ...branchOps(api, pid),
  };
}

function toTagInfo(t: z.infer<typeof tagSchema>): TagInfo {
  return { name: t.name, sha: t.commit.id, committedAt: t.commit.committed_date ?? null };
}

/** GitLab's RefMatcher (lib/gitlab/ref_matcher.rb): `*` matches any characters, else an exact name. */
export function refMatches(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const body = pattern
    .split('*')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*?');
  return new RegExp(`^${body}$`).test(name);
}
