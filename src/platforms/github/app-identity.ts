import { createSign } from 'node:crypto';
import { AppError } from '../../errors.js';
import { forgeFetch } from '../forge-fetch.js';

/**
 * The App's own identity without Octokit: a web process that only receives webhooks
 * needs the bot's login once at start, and loading Probot for one request costs it
 * about 10 MiB (bench/README.md, Webhooks). Workers use Probot's auth (app-auth.ts).
 */

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * The App's JSON web token as GitHub documents it: RS256, `iss` the App id, `iat` 60 s in
 * the past (clock drift), `exp` at most 10 minutes after `iat`.
 */
export function appJwt(appId: number, privateKeyPem: string, nowSeconds: number): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ iat: nowSeconds - 60, exp: nowSeconds + 9 * 60, iss: appId }));
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(privateKeyPem);
  return `${header}.${payload}.${base64url(signature)}`;
}

/** GET /app as the App: its slug (the bot is `<slug>[bot]`); reading it proves APP_ID and the key. */
export async function readAppSlug(apiUrl: string, appId: number, privateKeyPem: string, timeoutMs = 10_000): Promise<string | null> {
  const headers = {
    accept: 'application/vnd.github+json',
    authorization: `Bearer ${appJwt(appId, privateKeyPem, Math.floor(Date.now() / 1000))}`,
    'x-github-api-version': '2022-11-28',
    'user-agent': 'pyrelease',
  };
  const res = await forgeFetch(`${apiUrl.replace(/\/+$/, '')}/app`, { headers }, 'GET /app', timeoutMs);
  if (res.status === 401 || res.status === 403) throw new AppError('forge-auth', `GET /app answered ${res.status}: check APP_ID and the private key`);
  if (!res.ok) throw new AppError('forge-unavailable', `GET /app answered ${res.status}`, { retryable: true });
  const body = (await res.json()) as { slug?: unknown };
  return typeof body.slug === 'string' ? body.slug : null;
}
