import type { ErrorCode } from '../errors.js';
import { readableJobs, UNREADABLE_JOB_TEXT } from '../jobs/readable-jobs.js';
import type { ListableQueue } from '../jobs/readable-jobs.js';
import { rateLimitedWait } from '../jobs/throttle.js';
import type { RateLimitedWait } from '../jobs/throttle.js';

/** The parts of a BullMQ job the release page reads. */
export interface JobLike {
  readonly id?: string | undefined;
  readonly data: unknown;
  readonly returnvalue: unknown;
  readonly failedReason?: string;
  readonly timestamp: number;
  readonly finishedOn?: number | undefined;
  readonly attemptsMade: number;
  /** Where a rate-limited job says until when it waits (jobs/throttle.ts). */
  readonly progress?: unknown;
}

export type ReleaseState = 'active' | 'waiting' | 'delayed' | 'prioritized' | 'completed' | 'failed';
const STATES: readonly ReleaseState[] = ['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'];

export type PublishQueueLike = ListableQueue<JobLike>;

export interface ReleaseFile {
  readonly filename: string;
  readonly registry: string;
  readonly outcome: string;
  readonly size: number;
}

export interface ReleaseRow {
  readonly jobId: string;
  readonly repo: string;
  readonly version: string;
  readonly tag: string | null;
  readonly sha: string;
  readonly registries: readonly string[];
  readonly state: ReleaseState;
  /** null on a job that cannot be read. */
  readonly createdAt: string | null;
  readonly finishedAt: string | null;
  readonly attempts: number;
  readonly files: readonly ReleaseFile[];
  /** A delayed job waiting out a forge's or an index's rate limit: why, and when it runs again. */
  readonly rateLimited: RateLimitedWait | null;
  /** Why the last attempt failed (also on a delayed job that will be retried). */
  readonly failure: { readonly code: string | null; readonly reason: string; readonly hint: string } | null;
  /** The job's stored data or options are not JSON: only its id and state are shown. */
  readonly unreadable?: true;
}

export interface RepoReleases {
  readonly repo: string;
  readonly releases: readonly ReleaseRow[];
}

/** One line an operator or maintainer can act on, per error code of errors.ts. */
export const FIX_HINTS: Partial<Record<ErrorCode, string>> = {
  'index-conflict': 'The index already holds a different file under this name, and files can never be replaced: bump the version and tag again.',
  'dist-mismatch': 'The built files do not match the release: make the name and version in pyproject.toml agree with the tag, then tag again.',
  'index-auth': 'The index refused our credentials: check PYRELEASE_REGISTRY_<NAME>_TOKEN (or PYRELEASE_PYPIRC) and that the token covers this project.',
  'index-refused': 'The index refused the files (a local version, a size limit, a second sdist): fix the release as the reason says.',
  'build-failed': 'The build failed: run `python -m build` at this commit and fix the error it prints.',
  'build-timeout': 'The build ran past PYRELEASE_BUILD_TIMEOUT_MS: make it faster or raise the limit.',
  'build-output-invalid': 'The build did not produce one sdist and wheels: check the build backend configuration.',
  'archive-unsafe': 'The source archive holds unsafe entries (absolute paths, "..", links leaving the tree): remove them from the repository.',
  'archive-too-large': 'The source archive is over the size limit: drop large files from the repository or the export (.gitattributes export-ignore).',
  'archive-invalid': 'The forge sent an unreadable archive: push the tag again to retry the release; if it persists, download the archive by hand to check it.',
  'registry-unknown': 'The repository names a registry this service does not know: fix `registries` in [tool.pyrelease] or add it to the server config.',
  'source-unavailable': 'The worker could not fetch the source: check the bot token can read this repository.',
  'config-invalid': 'The configuration is invalid: fix the setting named in the reason.',
  'job-invalid': 'The job data was refused: the job was made by another pyrelease version; push the tag again.',
  'tag-conflict': 'The tag already points at another commit: tags are never moved; tag a new version.',
  'forge-auth': 'The forge refused the bot token: renew GITLAB_TOKEN or the GitHub App key.',
  'index-unavailable': 'The index was unavailable: the job is retried by itself while attempts remain; once it has failed, push the tag again to run the release again.',
  network: 'A network error: the job is retried by itself while attempts remain; check connectivity, then push the tag again to run a failed release again.',
};

const DEFAULT_HINT = 'See the service log for this job id.';

/** Worker errors read `code: message` for our permanent failures (publish-worker toWorkerError). */
export function explainFailure(reason: string): { code: string | null; reason: string; hint: string } {
  const match = /^([a-z][a-z-]*): /.exec(reason);
  const code = match?.[1] ?? null;
  const hint = code !== null && code in FIX_HINTS ? (FIX_HINTS[code as ErrorCode] ?? DEFAULT_HINT) : DEFAULT_HINT;
  return { code: code !== null && code in FIX_HINTS ? code : null, reason, hint };
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
}

function filesOf(returnvalue: unknown): ReleaseFile[] {
  const files = (returnvalue as { files?: unknown } | null | undefined)?.files;
  if (!Array.isArray(files)) return [];
  return files.flatMap((f: unknown) => {
    const r = f as Record<string, unknown> | null;
    if (r === null || typeof r !== 'object') return [];
    return [{ filename: str(r['filename']) ?? '?', registry: str(r['registry']) ?? '?', outcome: str(r['outcome']) ?? '?', size: typeof r['size'] === 'number' ? r['size'] : 0 }];
  });
}

// Job data is read back from Redis: every field is checked, nothing is assumed.
export function toRow(job: JobLike, state: ReleaseState): ReleaseRow {
  const d = (typeof job.data === 'object' && job.data !== null ? job.data : {}) as Record<string, unknown>;
  const platform = str(d['platform']) ?? '?';
  const reason = job.failedReason ?? '';
  return {
    jobId: job.id ?? '?',
    repo: `${platform}:${str(d['repo']) ?? '?'}`,
    version: str(d['version']) ?? '?',
    tag: str(d['tag']),
    sha: str(d['sha']) ?? '',
    registries: Array.isArray(d['registries']) ? d['registries'].filter((r): r is string => typeof r === 'string') : [],
    state,
    createdAt: new Date(job.timestamp).toISOString(),
    finishedAt: job.finishedOn === undefined ? null : new Date(job.finishedOn).toISOString(),
    attempts: job.attemptsMade,
    files: filesOf(job.returnvalue),
    rateLimited: rateLimitedWait(state, job.progress),
    failure: reason !== '' && state !== 'completed' ? explainFailure(reason) : null,
  };
}

/** Where the jobs that cannot be read are grouped: they name no repository that could be trusted. */
export const UNREADABLE_GROUP = '(jobs that cannot be read)';
const UNREADABLE_HINT = 'Nothing in pyrelease writes such a job: someone or something wrote it into Redis by hand. Find out who can reach Redis; a worker fails the job once when it takes it, or remove it from /admin/queues.';

function unreadableRow(jobId: string, state: ReleaseState): ReleaseRow {
  return {
    jobId,
    repo: UNREADABLE_GROUP,
    version: '?',
    tag: null,
    sha: '',
    registries: [],
    state,
    createdAt: null,
    finishedAt: null,
    attempts: 0,
    files: [],
    rateLimited: null,
    failure: { code: null, reason: UNREADABLE_JOB_TEXT, hint: UNREADABLE_HINT },
    unreadable: true,
  };
}

/**
 * The newest `limit` publish jobs, grouped per repository (the repository with the
 * newest job first, its jobs newest first). One range read per state. Jobs that cannot
 * be read come first, in a group of their own, with their id and state only.
 */
export async function recentReleases(queue: PublishQueueLike, limit = 50): Promise<RepoReleases[]> {
  const perState = await Promise.all(STATES.map(async (state) => (await readableJobs(queue, [state], 0, limit - 1, false)).map((listed) => ({ listed, state }))));
  const unreadable: ReleaseRow[] = [];
  const readable: Array<{ job: JobLike; state: ReleaseState }> = [];
  for (const { listed, state } of perState.flat()) {
    if (listed.unreadable) unreadable.push(unreadableRow(listed.id, state));
    else readable.push({ job: listed.job, state });
  }
  const rows = readable
    .sort((a, b) => b.job.timestamp - a.job.timestamp)
    .slice(0, limit)
    .map(({ job, state }) => toRow(job, state));
  const groups = new Map<string, ReleaseRow[]>(unreadable.length === 0 ? [] : [[UNREADABLE_GROUP, unreadable]]);
  for (const row of rows) groups.set(row.repo, [...(groups.get(row.repo) ?? []), row]);
  return [...groups.entries()].map(([repo, releases]) => ({ repo, releases }));
}
