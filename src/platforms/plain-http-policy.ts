/**
 * One transport policy for both forges (GitLab's GITLAB_URL, GitHub's GHE_HOST +
 * GHE_PROTOCOL). Every forge request carries the bot's token, so plain http matters
 * the same way on either forge:
 *
 * - https: fine.
 * - http to loopback (localhost, 127.0.0.0/8, [::1]): fine; the token never leaves
 *   the machine (a sidecar, a TLS-terminating proxy on the host, the tests' fakes).
 * - http elsewhere, named in PYRELEASE_ALLOW_PLAIN_HTTP: allowed, and warned about at
 *   start and in `pyrelease config check`: an internal GitLab on http is common and
 *   the operator has said so on purpose.
 * - http elsewhere, not named: refused with NODE_ENV=production (a token in clear by
 *   accident); warned about otherwise, so development setups keep working.
 * - any other scheme: refused.
 *
 * Pure: the caller passes the URL, whether NODE_ENV is production and the allow list.
 */
export type Forge = 'gitlab' | 'github';

export const FORGES: readonly Forge[] = ['gitlab', 'github'];

export type TransportVerdict =
  | { readonly kind: 'ok' }
  | { readonly kind: 'warn'; readonly message: string }
  | { readonly kind: 'refuse'; readonly message: string };

export interface TransportContext {
  readonly production: boolean;
  /** Forges the operator allowed plain http for (PYRELEASE_ALLOW_PLAIN_HTTP). */
  readonly allowed: ReadonlySet<Forge>;
}

const SETTING: Record<Forge, string> = { gitlab: 'GITLAB_URL', github: 'GHE_PROTOCOL=http' };

export function transportVerdict(forge: Forge, url: URL, context: TransportContext): TransportVerdict {
  if (url.protocol === 'https:') return { kind: 'ok' };
  const what = `${SETTING[forge]} (${url.host})`;
  if (url.protocol !== 'http:') return { kind: 'refuse', message: `${what}: a forge is reached over https or http, not ${url.protocol.replace(/:$/, '')}` };
  if (isLoopback(url.hostname)) return { kind: 'ok' };
  if (context.allowed.has(forge)) {
    return { kind: 'warn', message: `${what}: plain http, allowed by PYRELEASE_ALLOW_PLAIN_HTTP: the ${forge} token and webhooks' data travel in clear on the network` };
  }
  if (context.production) {
    return {
      kind: 'refuse',
      message: `${what}: plain http is refused with NODE_ENV=production: the ${forge} token would travel in clear. Use https, or set PYRELEASE_ALLOW_PLAIN_HTTP=${forge} to accept it`,
    };
  }
  return { kind: 'warn', message: `${what}: plain http: the ${forge} token travels in clear; with NODE_ENV=production this is refused unless PYRELEASE_ALLOW_PLAIN_HTTP=${forge}` };
}

/** Only hosts that cannot be anything but this machine; a name that resolves there is not trusted to. */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** PYRELEASE_ALLOW_PLAIN_HTTP: comma-separated forge names; null when an entry is not a forge. */
export function parseAllowPlainHttp(raw: string | undefined): Set<Forge> | null {
  const names = (raw ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const forges = new Set<Forge>();
  for (const name of names) {
    if (name !== 'gitlab' && name !== 'github') return null;
    forges.add(name);
  }
  return forges;
}

/** The context from the environment; an invalid allow list allows nothing (loadConfig reports it). */
export function transportContext(env: Readonly<Record<string, string | undefined>>): TransportContext {
  return { production: env['NODE_ENV']?.trim() === 'production', allowed: parseAllowPlainHttp(env['PYRELEASE_ALLOW_PLAIN_HTTP']) ?? new Set() };
}
