import { z } from 'zod';
import { parseGithubSettings } from './platforms/github/github-settings.js';
import { parseAllowPlainHttp, transportContext, transportVerdict } from './platforms/plain-http-policy.js';
import type { GithubSettings } from './platforms/github/github-settings.js';

/**
 * Server settings come from the environment only (twelve-factor), each declared once
 * here with its default, its meaning and whether it is a secret. The same table feeds
 * validation, `pyrelease config` output (secrets masked) and the README settings table,
 * so the three cannot drift apart.
 */
interface Setting<S extends z.ZodType> {
  readonly env: string;
  readonly schema: S;
  readonly description: string;
  readonly secret: boolean;
}

function setting<S extends z.ZodType>(env: string, schema: S, description: string, secret = false): Setting<S> {
  return { env, schema, description, secret };
}

const port = z.coerce.number().int().min(0).max(65535);
/** Comma-separated secrets: several at once, so one can be rotated without downtime. */
const secretList = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''));
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const SETTINGS = {
  port: setting('PORT', port.default(3000), 'TCP port of the HTTP server.'),
  host: setting('HOST', z.string().min(1).default('0.0.0.0'), 'Address the HTTP server binds to.'),
  logLevel: setting('LOG_LEVEL', logLevel.default('info'), 'Log level (pino): fatal, error, warn, info, debug, trace or silent.'),
  redisUrl: setting(
    'REDIS_URL',
    z.string().url().optional(),
    'Redis for the job queue, e.g. redis://127.0.0.1:6379/0. Unset: the local default port.',
    true,
  ),
  redisCluster: setting(
    'PYRELEASE_REDIS_CLUSTER',
    z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
    'true: REDIS_URL names one node (or the configuration endpoint) of a Redis Cluster; the other nodes are discovered. Needs a key prefix with a hash tag.',
  ),
  redisWaitReplicas: setting(
    'PYRELEASE_REDIS_WAIT_REPLICAS',
    z.coerce.number().int().min(0).max(5).default(0),
    'A webhook is answered 200 only once this many Redis replicas also hold its delivery (WAIT, at most 1 s; else 503 and the forge resends). 0: the primary alone. Set 1 where Redis fails over to a replica (Cluster, most managed Redis), or a failover can lose deliveries already answered.',
  ),
  gitlabUrl: setting('GITLAB_URL', z.string().url().default('https://gitlab.com'), 'GitLab instance: gitlab.com or a self-managed URL. API calls go here only, never to URLs from payloads.'),
  gitlabToken: setting('GITLAB_TOKEN', z.string().min(1).optional(), 'Token of the bot user (api scope). Unset: GitLab is not served.', true),
  gitlabWebhookSecret: setting('GITLAB_WEBHOOK_SECRET', secretList, 'Secret tokens GitLab sends in X-Gitlab-Token, comma-separated (rotation).', true),
  gitlabSigningSecret: setting('GITLAB_WEBHOOK_SIGNING_SECRET', secretList, 'GitLab signing tokens (whsec_...), comma-separated: Standard Webhooks signatures.', true),
  gitlabClientRateLimits: setting(
    'PYRELEASE_GITLAB_CLIENT_RATE_LIMITS',
    z.enum(['off', 'gitlab.com']).default('off'),
    "off: send every GitLab request and let GitLab's own 429 and Retry-After pace the jobs. gitlab.com: also pace on the client as gitlab.com limits (5 archive downloads per minute), logging each wait over a second.",
  ),
  githubAppId: setting('APP_ID', z.string().optional(), 'GitHub App ID (Probot\'s name). Any of APP_ID, PRIVATE_KEY(_PATH), WEBHOOK_SECRET turns GitHub on, and then all are required.'),
  githubPrivateKey: setting('PRIVATE_KEY', z.string().optional(), 'GitHub App private key (PEM, `\\n`-escaped PEM or base64), or use PRIVATE_KEY_PATH.', true),
  githubPrivateKeyPath: setting('PRIVATE_KEY_PATH', z.string().optional(), 'File holding the GitHub App private key (what `pyrelease github setup` writes).'),
  githubWebhookSecret: setting('WEBHOOK_SECRET', z.string().optional(), 'GitHub App webhook secrets, comma-separated (rotation). Probot\'s "development" fallback is refused with NODE_ENV=production.', true),
  githubAppSlug: setting('APP_SLUG', z.string().optional(), 'GitHub App slug: the bot that writes comments is `<slug>[bot]`.'),
  gheHost: setting('GHE_HOST', z.string().optional(), 'GitHub Enterprise Server host (and :port); unset: github.com.'),
  gheProtocol: setting('GHE_PROTOCOL', z.string().optional(), 'https (default) or http for GHE_HOST; plain http follows PYRELEASE_ALLOW_PLAIN_HTTP.'),
  allowPlainHttp: setting(
    'PYRELEASE_ALLOW_PLAIN_HTTP',
    z
      .string()
      .optional()
      .transform((v) => parseAllowPlainHttp(v))
      .refine((v) => v !== null, 'must be a comma-separated list of gitlab, github')
      // A string, so config check shows the forges rather than a count.
      .transform((v) => (v === null || v.size === 0 ? undefined : [...v].sort().join(','))),
    'Forges (gitlab, github) that may be reached over plain http beyond this machine even with NODE_ENV=production; warned about at start. Loopback http is always allowed.',
  ),
  nodeEnv: setting('NODE_ENV', z.string().optional(), 'production turns on the strict checks of secrets and protocols.'),
  webhookMaxBodyBytes: setting('PYRELEASE_WEBHOOK_MAX_BODY_BYTES', z.coerce.number().int().min(1024).default(25 * 1024 * 1024), 'Largest webhook body accepted (413 above it, refused before it is read).'),
  webhookBodyBudgetBytes: setting(
    'PYRELEASE_WEBHOOK_BODY_BUDGET_BYTES',
    z.coerce.number().int().min(1024).default(32 * 1024 * 1024),
    'Webhook body bytes the web process holds at once for requests not authenticated by their headers (503 with Retry-After beyond it). Its last 4 MiB are kept for bodies that declare 64 KiB or less, so it must be at least PYRELEASE_WEBHOOK_MAX_BODY_BYTES + 4 MiB.',
  ),
  httpMaxConnections: setting('PYRELEASE_HTTP_MAX_CONNECTIONS', z.coerce.number().int().min(1).default(1024), 'Open connections the HTTP server accepts at once; further ones are closed as they arrive.'),
  dataDir: setting('PYRELEASE_DATA_DIR', z.string().min(1).default('./.pyrelease'), 'Directory for local state: build artifacts kept across job retries.'),
  configFile: setting('PYRELEASE_CONFIG', z.string().min(1).optional(), 'Server config file (YAML): registry targets. Unset: the built-in pypi, testpypi and gitlab targets.'),
  pypirc: setting('PYRELEASE_PYPIRC', z.string().min(1).optional(), 'A .pypirc-style file with [registry] username/password sections.'),
  queuePrefix: setting(
    'PYRELEASE_QUEUE_PREFIX',
    z.string().regex(/^[^:]+$/, 'must not contain ":"').default('{pyrelease}'),
    'Prefix of every Redis key. The braces make it a Redis Cluster hash tag, so all keys of a queue share a slot.',
  ),
  workerConcurrency: setting('PYRELEASE_WORKER_CONCURRENCY', z.coerce.number().int().min(1).max(64).default(2), "Publish jobs one worker process runs at once. Each forge's event queue (GitLab: events, GitHub: github-events) runs this many or 4, whichever is more."),
  jobAttempts: setting('PYRELEASE_JOB_ATTEMPTS', z.coerce.number().int().min(1).max(50).default(10), 'Attempts per job for transient failures (5xx, network, timeouts). The default retries for about an hour.'),
  jobBackoffMs: setting('PYRELEASE_JOB_BACKOFF_MS', z.coerce.number().int().min(0).default(15_000), 'First retry delay; doubles with each attempt, up to 15 minutes.'),
  rateLimitMaxWaitMs: setting(
    'PYRELEASE_RATE_LIMIT_MAX_WAIT_MS',
    z.coerce.number().int().min(0).default(6 * 3600_000),
    'How long a job may keep waiting out rate limits (429, GitHub rate-limit 403) without spending attempts, counted from when it was queued; after that a rate limit is a failed attempt. 0: every rate limit is one.',
  ),
  lockDurationMs: setting(
    'PYRELEASE_LOCK_DURATION_MS',
    z.coerce.number().int().min(1000).default(30_000),
    'How long a job stays locked without a heartbeat before another worker takes it over (a worker that died).',
  ),
  uploadTimeoutMs: setting(
    'PYRELEASE_UPLOAD_TIMEOUT_MS',
    z.coerce.number().int().min(100).default(300_000),
    'Time limit of one file upload; an index that does not answer by then counts as a transient failure and the job is retried.',
  ),
  buildTimeoutMs: setting('PYRELEASE_BUILD_TIMEOUT_MS', z.coerce.number().int().min(1000).default(600_000), 'Time limit of one build.'),
  shutdownGraceMs: setting(
    'PYRELEASE_SHUTDOWN_GRACE_MS',
    z.coerce.number().int().min(0).default(630_000),
    'On SIGTERM, how long running jobs may take to finish; past it they are left to lock expiry and another worker. Keep it under the orchestrator\'s stop grace period (docker-compose.yml: 11 min).',
  ),
  buildIsolation: setting(
    'PYRELEASE_BUILD_ISOLATION',
    z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
    'true: PEP 517 isolated builds (installs build requirements from the index). false: use the backends installed beside pyrelease.',
  ),
  buildSandbox: setting(
    'PYRELEASE_BUILD_SANDBOX',
    z
      .enum(['required', 'auto', 'off', 'unshare', 'none'])
      .optional()
      // 'unshare' and 'none' are the names of earlier releases.
      .transform((v) => (v === 'unshare' ? 'required' : v === 'none' ? 'off' : v)),
    'How builds (repository code) are contained: bubblewrap, no network, own uid, limits (docs/security.md). required: a worker that cannot contain builds does not build. auto: contain when the host allows it, else warn and build uncontained. off: never contain (warns at start and on every build). Default: required with NODE_ENV=production, else auto.',
  ),
  buildPython: setting(
    'PYRELEASE_BUILD_PYTHON',
    z.string().startsWith('/', 'must be an absolute path').default('/usr/bin/python3'),
    'The Python interpreter builds run (python -m build, pip). A worker checks at start that it has build, pip and venv, and takes no publish job without them. Contained builds see only /usr of the host: keep it there.',
  ),
  buildUid: setting('PYRELEASE_BUILD_UID', z.coerce.number().int().min(1).max(4_294_967_294).default(65532), 'The uid a contained build runs as: neither root nor the worker\'s (65532, "nonroot" in distroless images).'),
  buildMemoryMb: setting('PYRELEASE_BUILD_MEMORY_MB', z.coerce.number().int().min(64).default(2048), 'Address-space limit of each process of a contained build (RLIMIT_AS).'),
  buildMaxProcesses: setting('PYRELEASE_BUILD_MAX_PROCESSES', z.coerce.number().int().min(8).default(256), 'Processes and threads a contained build\'s uid may have at once (RLIMIT_NPROC).'),
  buildDiskMb: setting('PYRELEASE_BUILD_DISK_MB', z.coerce.number().int().min(16).default(2048), 'Disk a contained build may fill in its source, output, home and temp directories together; also the largest file it may write.'),
  buildPipIndexUrl: setting('PYRELEASE_BUILD_PIP_INDEX_URL', z.string().url().optional(), 'Index for isolated builds to install build requirements from (PIP_INDEX_URL).', true),
  buildAllowSdists: setting(
    'PYRELEASE_BUILD_ALLOW_SDISTS',
    z
      .string()
      .optional()
      .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''))
      // Valid project names are ASCII, so lowercasing is PEP 503's normalisation here.
      .refine((names) => names.every((n) => /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(n)), 'each entry must be a project name')
      .transform((names) => names.map((n) => n.toLowerCase().replace(/[-_.]+/g, '-'))),
    'Build requirements (comma-separated project names) that isolated builds may build from their sdist, in the build sandbox, when the index has no wheel for them. Empty: wheels only.',
  ),
  sweepIntervalMs: setting(
    'PYRELEASE_SWEEP_INTERVAL_MS',
    z.coerce.number().int().min(0).default(600_000),
    'How often to look for release tags no webhook announced (forges send none for a push of more than three tags). 0 turns the sweep off.',
  ),
  sweepMaxAgeDays: setting('PYRELEASE_SWEEP_MAX_AGE_DAYS', z.coerce.number().int().min(1).default(7), 'The sweep ignores release tags on commits older than this.'),
  sweepTags: setting('PYRELEASE_SWEEP_TAGS', z.coerce.number().int().min(1).max(100).default(5), 'Newest release tags per repository the sweep looks at.'),
  sweepBudgetShare: setting(
    'PYRELEASE_SWEEP_BUDGET_SHARE',
    z.coerce.number().gt(0).max(1).default(0.2),
    "Share of each forge account's rate limit (a GitHub App installation's hourly points, the GitLab token's window, as the response headers tell) the sweep may spend, and of what is left of it: when event work has spent much, the sweep slows first.",
  ),
  dryRun: setting('PYRELEASE_DRY_RUN', z.enum(['true', 'false']).default('false').transform((v) => v === 'true'), 'Do everything but upload; report what would be uploaded.'),
} as const;

type Settings = typeof SETTINGS;
export type Config = { readonly [K in keyof Settings]: z.output<Settings[K]['schema']> } & {
  /** The GitHub App, validated as one (parseGithubSettings); null when GitHub is not configured. */
  readonly github: GithubSettings | null;
};

export type ConfigResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Validates every setting and reports all problems at once, not the first one. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ConfigResult {
  const errors: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS)) {
    const raw = env[s.env];
    const parsed = s.schema.safeParse(raw === '' ? undefined : raw);
    if (parsed.success) {
      values[key] = parsed.data;
    } else {
      // Never echo the rejected value: it may be a secret.
      errors.push(`${s.env}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
  }
  if (errors.length === 0) errors.push(...redisClusterErrors(values as Pick<Config, 'redisUrl' | 'redisCluster' | 'queuePrefix'>));
  // The largest body must fit beside the small-body reserve (SMALL_RESERVE_BYTES in
  // src/http/body-budget.ts), or it would be refused forever instead of when busy.
  if (errors.length === 0 && (values['webhookBodyBudgetBytes'] as number) < (values['webhookMaxBodyBytes'] as number) + 4 * 1024 * 1024) {
    errors.push('PYRELEASE_WEBHOOK_BODY_BUDGET_BYTES: must be at least PYRELEASE_WEBHOOK_MAX_BODY_BYTES + 4 MiB (4194304)');
  }
  // GitLab's URL under the transport policy both forges share (GitHub's is checked with its group below).
  if (errors.length === 0) {
    const verdict = transportVerdict('gitlab', new URL(values['gitlabUrl'] as string), transportContext(env));
    if (verdict.kind === 'refuse') errors.push(verdict.message);
  }
  // The GitHub App's settings only make sense together: checked as a group.
  const github = parseGithubSettings(env);
  if (!github.ok) errors.push(...github.errors);
  if (errors.length > 0 || !github.ok) return { ok: false, errors };
  return { ok: true, config: Object.freeze({ ...values, github: github.settings }) as Config };
}

/**
 * Redis Cluster hashes only the part of a key between the first `{` and the next `}` when
 * that part is not empty (the hash tag); null when the key has none.
 */
export function hashTag(key: string): string | null {
  const open = key.indexOf('{');
  if (open === -1) return null;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : null;
}

/**
 * Every key of a queue, and the delivery id and inbox stream one webhook writes in one
 * script, must share a slot, so the prefix needs a hash tag.
 */
export function hasHashTag(prefix: string): boolean {
  return hashTag(prefix) !== null;
}

/** A cluster is asked for by name, reached through a node, and holds one deployment's keys in one slot. */
function redisClusterErrors(c: Pick<Config, 'redisUrl' | 'redisCluster' | 'queuePrefix'>): string[] {
  if (!c.redisCluster) return [];
  const errors: string[] = [];
  if (c.redisUrl === undefined) errors.push('PYRELEASE_REDIS_CLUSTER: needs REDIS_URL, a node of the cluster (pyrelease starts no cluster of its own)');
  else if (!/^\/?0?$/.test(new URL(c.redisUrl).pathname)) errors.push('REDIS_URL: a Redis Cluster has only database 0');
  if (!hasHashTag(c.queuePrefix)) {
    errors.push(`PYRELEASE_QUEUE_PREFIX: on a Redis Cluster the prefix needs a hash tag (a non-empty {...}) so that each script's keys share a slot, e.g. {${c.queuePrefix}}`);
  }
  return errors;
}

/** Masks secrets (and the password inside URLs) for display. */
export function describeConfig(config: Config): Array<{ env: string; value: string; description: string }> {
  return Object.entries(SETTINGS).map(([key, s]) => {
    const value = (config as Record<string, unknown>)[key];
    const shown = Array.isArray(value)
      ? value.length === 0
        ? '(unset)'
        : `(${value.length} set)`
      : value === undefined
        ? '(unset)'
        : s.secret
          ? maskSecret(String(value))
          : String(value);
    return { env: s.env, value: shown, description: s.description };
  });
}

function maskSecret(value: string): string {
  try {
    const url = new URL(value);
    if (url.password !== '' || url.username !== '') {
      url.username = url.username === '' ? '' : '***';
      url.password = url.password === '' ? '' : '***';
    }
    return url.toString();
  } catch {
    return '***';
  }
}
