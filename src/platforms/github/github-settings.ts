import { transportContext, transportVerdict } from '../plain-http-policy.js';

/**
 * The GitHub App settings, from the environment, under Probot's names (APP_ID,
 * PRIVATE_KEY / PRIVATE_KEY_PATH, WEBHOOK_SECRET, GHE_HOST / GHE_PROTOCOL) so that
 * Probot's docs and `pyrelease github setup` output apply as they are. Pure: the key
 * file is named here and read by the caller.
 *
 * GitHub is enabled when any of APP_ID, PRIVATE_KEY, PRIVATE_KEY_PATH or WEBHOOK_SECRET
 * is set; then all must be right. Unlike Probot, there is no fallback secret: Probot
 * verifies with "development" when WEBHOOK_SECRET is unset, which anyone can sign with.
 * Every error is reported at once and none quotes a secret or the key.
 */
export interface GithubSettings {
  readonly appId: number;
  readonly privateKey: { readonly kind: 'inline'; readonly pem: string } | { readonly kind: 'file'; readonly path: string };
  /** Any of them may sign a delivery (rotation); GitHub signs with the one set on the App. */
  readonly webhookSecrets: readonly string[];
  /** For our own comments: the bot is `${slug}[bot]`. Null when not configured. */
  readonly appSlug: string | null;
  /** REST API root: https://api.github.com, or `${GHE_PROTOCOL}://${GHE_HOST}/api/v3` as Probot builds it. */
  readonly apiUrl: string;
  /** Web root, for the manifest flow and links: https://github.com or `${GHE_PROTOCOL}://${GHE_HOST}`. */
  readonly webUrl: string;
}

export type GithubSettingsResult = { readonly ok: true; readonly settings: GithubSettings | null } | { readonly ok: false; readonly errors: readonly string[] };

type Env = Readonly<Record<string, string | undefined>>;

const TRIGGERS = ['APP_ID', 'PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'WEBHOOK_SECRET'] as const;
const PEM = /^-----BEGIN ([A-Z ]*)PRIVATE KEY-----\r?\n[\s\S]+\r?\n-----END \1PRIVATE KEY-----\s*$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::\d{1,5})?$/;
const SLUG = /^[a-z0-9][a-z0-9-]{0,99}$/;
/** Probot's fallback secret: refused in production, where it would let anyone sign. */
export const PROBOT_FALLBACK_SECRET = 'development';

/** The errors only; an empty list means the service may start. */
export function validateGithubSettings(env: Env): string[] {
  const result = parseGithubSettings(env);
  return result.ok ? [] : [...result.errors];
}

export function parseGithubSettings(env: Env): GithubSettingsResult {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  if (TRIGGERS.every((name) => value(name) === undefined)) return { ok: true, settings: null };

  const production = value('NODE_ENV') === 'production';
  const errors: string[] = [];

  const appIdText = value('APP_ID');
  const appId = appIdText !== undefined && /^[1-9]\d{0,15}$/.test(appIdText) ? Number(appIdText) : null;
  if (appIdText === undefined) errors.push('APP_ID is required (the GitHub App ID)');
  else if (appId === null) errors.push('APP_ID must be a positive integer');

  let privateKey: GithubSettings['privateKey'] | null = null;
  const inline = value('PRIVATE_KEY');
  const path = value('PRIVATE_KEY_PATH');
  if (inline !== undefined && path !== undefined) errors.push('set PRIVATE_KEY or PRIVATE_KEY_PATH, not both');
  else if (inline !== undefined) {
    const pem = normalizePem(inline);
    if (pem === null) errors.push('PRIVATE_KEY is not a PEM private key (nor base64 of one)');
    else privateKey = { kind: 'inline', pem };
  } else if (path !== undefined) privateKey = { kind: 'file', path };
  else errors.push('PRIVATE_KEY or PRIVATE_KEY_PATH is required (the GitHub App private key)');

  const secrets = (env['WEBHOOK_SECRET'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (secrets.length === 0) errors.push('WEBHOOK_SECRET is required: GitHub webhooks must be signed');
  else if (production && secrets.includes(PROBOT_FALLBACK_SECRET)) {
    errors.push(`WEBHOOK_SECRET must not be "${PROBOT_FALLBACK_SECRET}" with NODE_ENV=production (Probot's public fallback secret)`);
  }

  const slug = value('APP_SLUG');
  if (slug !== undefined && !SLUG.test(slug)) errors.push('APP_SLUG must be the App slug (lower-case letters, digits and hyphens)');

  const urls = githubUrls(env);
  if (!urls.ok) errors.push(...urls.errors);

  if (!urls.ok || errors.length > 0 || appId === null || privateKey === null) return { ok: false, errors };
  return { ok: true, settings: { appId, privateKey, webhookSecrets: secrets, appSlug: slug ?? null, apiUrl: urls.apiUrl, webUrl: urls.webUrl } };
}

/** GitHub's web and API roots from GHE_HOST / GHE_PROTOCOL, as Probot builds them; github.com without GHE_HOST. */
export function githubUrls(env: Env): { ok: true; apiUrl: string; webUrl: string } | { ok: false; errors: string[] } {
  const host = env['GHE_HOST']?.trim() || undefined;
  const protocol = env['GHE_PROTOCOL']?.trim() || 'https';
  const errors: string[] = [];
  if (host !== undefined && !HOST.test(host)) errors.push('GHE_HOST must be a host name, optionally with :port (no scheme, no path)');
  if (protocol !== 'https' && protocol !== 'http') errors.push('GHE_PROTOCOL must be https or http');
  else if (host !== undefined && errors.length === 0) {
    // The policy both forges share (plain-http-policy.ts); its warnings are config check's.
    const verdict = transportVerdict('github', new URL(`${protocol}://${host}`), transportContext(env));
    if (verdict.kind === 'refuse') errors.push(verdict.message);
  }
  if (errors.length > 0) return { ok: false, errors };
  if (host === undefined) return { ok: true, apiUrl: 'https://api.github.com', webUrl: 'https://github.com' };
  return { ok: true, apiUrl: `${protocol}://${host}/api/v3`, webUrl: `${protocol}://${host}` };
}

/**
 * A PEM as Probot's @probot/get-private-key accepts it: with real newlines, with `\n`
 * escapes (one-line .env values), or base64-encoded. Null when it is none of those.
 */
export function normalizePem(text: string): string | null {
  const unescaped = text.replace(/\\n/g, '\n').trim();
  if (PEM.test(unescaped)) return `${unescaped}\n`;
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    const decoded = Buffer.from(text, 'base64').toString('utf8').trim();
    if (PEM.test(decoded)) return `${decoded}\n`;
  }
  return null;
}
