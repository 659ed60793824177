import { z } from 'zod';
import { AppError } from '../errors.js';
import { MAX_SMALL_BODY_BYTES, readCapped, send, statusError } from './oci-http.js';
import type { HttpContext } from './oci-http.js';

/**
 * Registry authentication as Docker and containerd do it: try anonymously, and on a 401
 * read the WWW-Authenticate challenge. `Bearer realm=...,service=...` means "get a token
 * from that realm" (docs/spec/auth/token.md: GET realm?service=..&scope=.., with Basic
 * credentials when there are any, anonymous otherwise); `Basic` means "send Basic
 * credentials here". Credentials only travel over https, or plain http to a loopback
 * address (tests): a realm named by the registry's answer is an outside input, and a
 * hostile or misconfigured registry must not be able to collect the password in clear.
 */
export type RegistryCredentials = { readonly username: string; readonly password: string } | { readonly token: string } | null;

export type Challenge =
  | { readonly scheme: 'bearer'; readonly realm: string; readonly service: string | null }
  | { readonly scheme: 'basic' };

/** The first challenge of a WWW-Authenticate header (RFC 7235 auth-params, quoted or not). */
export function parseChallenge(header: string | null): Challenge | null {
  const head = /^\s*([A-Za-z]+)(?:\s+|$)/.exec(header ?? '');
  if (head === null || header === null) return null;
  const scheme = (head[1] ?? '').toLowerCase();
  if (scheme === 'basic') return { scheme: 'basic' };
  if (scheme !== 'bearer') return null;
  const params = new Map<string, string>();
  const param = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s"]*))\s*(?:,|$)/y;
  param.lastIndex = head[0].length;
  for (let m = param.exec(header); m !== null; m = param.exec(header)) {
    const key = (m[1] ?? '').toLowerCase();
    if (!params.has(key)) params.set(key, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? ''));
    if (param.lastIndex >= header.length) break;
  }
  const realm = params.get('realm');
  return realm === undefined || realm === '' ? null : { scheme: 'bearer', realm, service: params.get('service') ?? null };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Where a secret may be sent: https anywhere, http only to this machine. */
export function mayCarrySecrets(url: URL): boolean {
  return url.username === '' && url.password === '' && (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname)));
}

const tokenAnswer = z.object({ token: z.string().optional(), access_token: z.string().optional() });
/** A token goes into a header: printable ASCII only, so an answer cannot inject a header line. */
const HEADER_SAFE = /^[\x21-\x7e]{1,16384}$/;

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

async function fetchToken(ctx: HttpContext, challenge: Extract<Challenge, { scheme: 'bearer' }>, repository: string, credentials: RegistryCredentials): Promise<string> {
  let realm: URL;
  try {
    realm = new URL(challenge.realm);
  } catch {
    throw new AppError('forge-refused', 'container registry: the Bearer challenge names a realm that is not a URL', { details: { action: 'token' } });
  }
  if (!mayCarrySecrets(realm)) {
    throw new AppError('forge-refused', `container registry: token realm ${realm.protocol}//${realm.host} is neither https nor loopback http; not followed`, {
      details: { action: 'token', realmHost: realm.host },
    });
  }
  if (challenge.service !== null) realm.searchParams.set('service', challenge.service);
  realm.searchParams.set('scope', `repository:${repository}:pull,push`);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (credentials !== null && 'username' in credentials) headers['authorization'] = basic(credentials.username, credentials.password);
  const response = await send(ctx, realm, { method: 'GET', headers }, 'token');
  if (response.status !== 200) throw await statusError(response, realm, 'token');
  let parsed: z.infer<typeof tokenAnswer>;
  try {
    parsed = tokenAnswer.parse(JSON.parse((await readCapped(response, MAX_SMALL_BODY_BYTES, 'token')).toString('utf8')));
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    throw new AppError('forge-refused', `container registry: the token service at ${realm.host} answered something that is not a token`, { details: { action: 'token' } });
  }
  const token = parsed.token ?? parsed.access_token ?? '';
  if (!HEADER_SAFE.test(token)) {
    throw new AppError('forge-refused', `container registry: the token service at ${realm.host} answered no usable token`, { details: { action: 'token' } });
  }
  return token;
}

/** Requests to one registry repository, authorizing once on the first 401. */
export interface RegistrySession {
  request(url: URL, init: { method: string; headers: Record<string, string>; body?: Buffer }, action: string): Promise<Response>;
}

export function createRegistrySession(ctx: HttpContext, registry: URL, repository: string, credentials: RegistryCredentials): RegistrySession {
  let authorization: string | null = null;
  let tried = false;

  function refuse(why: string): never {
    throw new AppError('forge-auth', `container registry ${registry.host}: ${why}`, { details: { action: 'authorize', host: registry.host } });
  }

  async function authorize(challengeHeader: string | null): Promise<void> {
    const challenge = parseChallenge(challengeHeader);
    if (challenge === null) refuse('HTTP 401 without a Basic or Bearer challenge');
    if (challenge.scheme === 'bearer' && (credentials === null || 'username' in credentials)) {
      authorization = `Bearer ${await fetchToken(ctx, challenge, repository, credentials)}`;
      return;
    }
    if (credentials === null) refuse('asks for Basic credentials and none are configured');
    if (!mayCarrySecrets(registry)) refuse('credentials are sent over https or to loopback http only');
    if ('username' in credentials) {
      authorization = basic(credentials.username, credentials.password);
    } else {
      // A registry token issued beforehand: sent as it is, whatever the challenge.
      if (!HEADER_SAFE.test(credentials.token)) refuse('the configured token is not a valid header value');
      authorization = `Bearer ${credentials.token}`;
    }
  }

  return {
    async request(url, init, action) {
      const withAuth = (): RequestInit => ({
        method: init.method,
        headers: authorization === null ? init.headers : { ...init.headers, authorization },
        ...(init.body === undefined ? {} : { body: init.body }),
      });
      const first = await send(ctx, url, withAuth(), action);
      if (first.status !== 401 || tried) return first;
      tried = true;
      await first.body?.cancel();
      await authorize(first.headers.get('www-authenticate'));
      return send(ctx, url, withAuth(), action);
    },
  };
}
