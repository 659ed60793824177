import { createHash } from 'node:crypto';
import { z } from 'zod';
import { formatVersion, parseVersion } from '../core/pep440.js';

export const PUBLISH_QUEUE = 'publish';

/**
 * What a publish job carries. Validated on enqueue and again in the worker (Redis is
 * outside the process). It never holds a secret: BullMQ stores job data in clear text,
 * so credentials are looked up by registry name in the worker.
 */
const canonicalVersion = z.string().refine((v) => {
  const parsed = parseVersion(v);
  return parsed !== null && formatVersion(parsed) === v;
}, 'must be a canonical PEP 440 version');

export const sourceSchema = z.discriminatedUnion('kind', [
  /** The forge adapter downloads the archive at `sha`. */
  z.strictObject({ kind: z.literal('forge') }),
  /** A .tar.gz on the worker's disk (the CLI and the tests). */
  z.strictObject({ kind: z.literal('archive'), path: z.string().min(1) }),
]);

export const publishJobSchema = z.strictObject({
  platform: z.enum(['gitlab', 'github', 'local']),
  /** Forge-side id: GitLab project id, GitHub repository id. */
  repo: z.string().min(1).max(255),
  /** Human path (`group/project`, `owner/name`): GitHub's API addresses repositories by it. */
  repoPath: z.string().min(1).max(512).optional(),
  /** GitLab project id, for `kind: gitlab` registries. */
  gitlabProjectId: z.number().int().positive().optional(),
  /** GitHub App installation that can act on the repository. */
  installationId: z.number().int().positive().optional(),
  version: canonicalVersion,
  /** The expected project name (from pyproject), checked against the built files. */
  project: z.string().min(1).max(255).nullable(),
  tag: z.string().max(255).nullable(),
  sha: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be a full commit sha'),
  path: z.string().max(255).default('.'),
  registries: z.array(z.string()).max(16),
  buildTool: z.enum(['build', 'poetry']),
  dryRun: z.boolean().default(false),
  source: sourceSchema,
  /** Delivery that caused the job, for the logs. */
  deliveryId: z.string().max(128).nullable().default(null),
});

export type PublishJobData = z.output<typeof publishJobSchema>;
export type PublishJobInput = z.input<typeof publishJobSchema>;

/**
 * Which sources a publish worker builds. The service's workers build only what they
 * download from the forge themselves: anyone who could write to Redis could otherwise
 * have them build an archive of their choosing and upload it with the service's tokens
 * (issue 14: a build's setup.py wrote such a job). Local archives are for the tests and
 * tools that start a publish worker of their own; nothing in the service passes it.
 */
export type SourcePolicy = 'forge-only' | 'forge-or-local';

/** Why a worker with this policy refuses the job, or null when it may build it. Quotes nothing of the job. */
export function sourceRefusal(data: Pick<PublishJobData, 'platform' | 'source' | 'repo' | 'gitlabProjectId'>, policy: SourcePolicy): string | null {
  // The source is downloaded by gitlabProjectId, while grants and bindings are read for
  // `repo`: the service queues both as the same project, so a job where they differ was
  // not queued by it (it would build one project's code under another's grant).
  if (data.platform === 'gitlab' && data.gitlabProjectId !== undefined && String(data.gitlabProjectId) !== data.repo) {
    return 'job-refused: the job names two different GitLab projects (repo and gitlabProjectId), so it was not run';
  }
  if (policy === 'forge-or-local' || (data.platform !== 'local' && data.source.kind === 'forge')) return null;
  return 'job-refused: this worker builds only sources it downloads from the forge, and the job names a local archive or platform, so it was not run';
}

/**
 * Why the forge's own answer about the job's repository refuses the job, or null when it
 * agrees. Each forge is addressed by one of the two names a job carries and authorised
 * by the other: GitLab sources are downloaded by id while grants match the path; GitHub
 * sources are downloaded by path while bindings and the ledger match the id. A job that
 * pairs one repository's path with another's id was not queued by the service (it takes
 * both from one webhook payload), and would publish one repository's code under the
 * other's grant or names. Paths compare case-insensitively, as grants do. Quotes nothing
 * of the job or of the forge's answer.
 */
export function repositoryRefusal(data: Pick<PublishJobData, 'platform' | 'repo' | 'repoPath'>, forge: { readonly id: string; readonly path: string }): string | null {
  if (data.platform === 'local') return null;
  if (forge.id === data.repo && data.repoPath !== undefined && forge.path.toLowerCase() === data.repoPath.toLowerCase()) return null;
  const [forgeName, askedBy] = data.platform === 'gitlab' ? ['GitLab', 'project id'] : ['GitHub', 'path'];
  return `job-refused: the job's repository id and path are not one ${forgeName} repository (${forgeName} asked by the ${askedBy} says otherwise), so it was not run`;
}

/**
 * One job per (platform, repo, version, commit): a webhook delivered twice, or a tag and
 * a commit-trigger push for the same release, add the same id and BullMQ keeps one.
 * Hashed because ids must not contain ':' and repo names may hold anything; the prefix
 * keeps them readable in dashboards.
 */
export function publishJobId(data: Pick<PublishJobData, 'platform' | 'repo' | 'version' | 'sha'>): string {
  const digest = createHash('sha256').update(JSON.stringify([data.platform, data.repo, data.version, data.sha])).digest('hex');
  return `publish-${data.platform}-${digest.slice(0, 32)}`;
}
