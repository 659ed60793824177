import { z } from 'zod';
import semver from 'semver';
import { DEFAULT_STABLE_BRANCH_TEMPLATE, DEFAULT_TAG_TEMPLATE, parseGitlabTag, renderImageTag, renderTemplate } from '../core/gitlab-versions.js';
import type { GitlabRelease, RenderResult } from '../core/gitlab-versions.js';

/**
 * The `self-hosted:` section of the server config file: which GitLab project to watch
 * for releases and which service repos to tag. No secrets: tokens are named by
 * environment variable.
 */
const DURATION = /^(\d{1,6})(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `15m`, `30s`, `1h`, `500ms` -> milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (m === null) return null;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name (A-Z, 0-9, _)');
const httpUrl = z.url({ protocol: /^https?$/ });
const duration = z
  .string()
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null || ms < 1000) {
      ctx.addIssue({ code: 'custom', message: 'a duration of at least 1s, such as 30s, 15m or 1h' });
      return z.NEVER;
    }
    return ms;
  });
const semverText = z.string().refine((v) => semver.valid(v) !== null, 'a SemVer version such as 18.4.0');

const imageSchema = z.strictObject({
  registry: httpUrl,
  repository: z.string().regex(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/, 'an OCI repository name'),
  'source-tag': z.string().min(1).default('{sha}'),
  'target-tag': z.string().min(1).default(DEFAULT_TAG_TEMPLATE),
  'credentials-env': envName.optional(),
});

// Templates are tried on a sample release at load time, so a bad one fails at start-up
// instead of in every job.
const SAMPLE = (parseGitlabTag('v18.4.0-ee') as { ok: true; release: GitlabRelease }).release;
const SAMPLE_SHA = { sha: '0'.repeat(40), short_sha: '0'.repeat(8) };

function checkTemplate(ctx: z.RefinementCtx, path: string[], result: RenderResult): void {
  if (!result.ok) ctx.addIssue({ code: 'custom', path, message: result.reason });
}

const repoSchema = z.strictObject({
  platform: z.enum(['gitlab', 'github']),
  project: z.string().min(1).max(255),
  'tag-template': z.string().min(1).default(DEFAULT_TAG_TEMPLATE),
  model: z.enum(['default-branch', 'stable-branch']).default('default-branch'),
  'stable-branch-template': z.string().min(1).default(DEFAULT_STABLE_BRANCH_TEMPLATE),
  image: imageSchema.optional(),
}).superRefine((r, ctx) => {
  checkTemplate(ctx, ['tag-template'], renderTemplate(r['tag-template'], SAMPLE));
  if (r.model === 'stable-branch') checkTemplate(ctx, ['stable-branch-template'], renderTemplate(r['stable-branch-template'], SAMPLE));
  if (r.image !== undefined) {
    checkTemplate(ctx, ['image', 'source-tag'], renderImageTag(r.image['source-tag'], SAMPLE, SAMPLE_SHA));
    checkTemplate(ctx, ['image', 'target-tag'], renderImageTag(r.image['target-tag'], SAMPLE, SAMPLE_SHA));
  }
});

export const selfHostedSchema = z.strictObject({
  upstream: z
    .strictObject({
      url: httpUrl.default('https://gitlab.com'),
      project: z.union([z.string().min(1), z.number().int().positive()]).default('gitlab-org/gitlab'),
      source: z.enum(['tags', 'releases']).default('tags'),
      'poll-interval': duration.default(15 * 60_000),
      'token-env': envName.optional(),
    })
    .prefault({}),
  'min-version': semverText,
  allow: z.array(z.string().min(1)).nullable().optional(),
  prereleases: z.boolean().default(false),
  repos: z.array(repoSchema).min(1),
});

export interface ImageConfig {
  readonly registry: string;
  readonly repository: string;
  readonly sourceTag: string;
  readonly targetTag: string;
  readonly credentialsEnv: string | null;
}

export interface ServiceRepoConfig {
  readonly platform: 'gitlab' | 'github';
  readonly project: string;
  readonly tagTemplate: string;
  readonly model: 'default-branch' | 'stable-branch';
  readonly stableBranchTemplate: string;
  readonly image: ImageConfig | null;
}

export interface SelfHostedConfig {
  readonly upstream: {
    readonly url: string;
    readonly project: string;
    readonly source: 'tags' | 'releases';
    readonly pollIntervalMs: number;
    readonly tokenEnv: string | null;
  };
  readonly minVersion: string;
  /** null: every release at or above minVersion; an empty list is null too (the YAML `allow: [ ]`). */
  readonly allow: readonly string[] | null;
  readonly prereleases: boolean;
  readonly repos: readonly ServiceRepoConfig[];
}

export function toSelfHostedConfig(raw: z.output<typeof selfHostedSchema>): SelfHostedConfig {
  const u = raw.upstream;
  return Object.freeze({
    upstream: Object.freeze({ url: u.url.replace(/\/+$/, ''), project: String(u.project), source: u.source, pollIntervalMs: u['poll-interval'], tokenEnv: u['token-env'] ?? null }),
    minVersion: raw['min-version'],
    allow: raw.allow === undefined || raw.allow === null || raw.allow.length === 0 ? null : Object.freeze([...raw.allow]),
    prereleases: raw.prereleases,
    repos: Object.freeze(
      raw.repos.map((r): ServiceRepoConfig =>
        Object.freeze({
          platform: r.platform,
          project: r.project,
          tagTemplate: r['tag-template'],
          model: r.model,
          stableBranchTemplate: r['stable-branch-template'],
          image:
            r.image === undefined
              ? null
              : Object.freeze({ registry: r.image.registry.replace(/\/+$/, ''), repository: r.image.repository, sourceTag: r.image['source-tag'], targetTag: r.image['target-tag'], credentialsEnv: r.image['credentials-env'] ?? null }),
        }),
      ),
    ),
  });
}
