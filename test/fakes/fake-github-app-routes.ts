// GitHub App routes of the fake GitHub, after docs.github.com:
//   apps/apps      GET /app, POST /app/installations/:installation_id/access_tokens
//                  (201 {token, expires_at, permissions, repository_selection})
//   apps/webhooks  GET /app/hook/deliveries (newest first, cursor pagination: the Link
//                  header's rel="next" carries `cursor`), GET /app/hook/deliveries/:delivery_id,
//                  POST /app/hook/deliveries/:delivery_id/attempts (202 Accepted)
// Authenticating as an app ("Generating a JSON Web Token for a GitHub App"): a JWT signed
// RS256 with the app's private key, `iss` = the app id (or client id), `exp` at most ten
// minutes ahead. The fake checks the signature against the public key a test registered;
// otherwise 401 "A JSON web token could not be decoded".
import { createVerify, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { error, json, notFound } from './fake-github-http.js';
import type { FakeRoute, RouteContext } from './fake-github-http.js';
import { presentApp } from './fake-github-state.js';
import type { FakeDelivery, FakeGithubState } from './fake-github-state.js';

function b64url(part: string): Buffer | null {
  return /^[A-Za-z0-9_-]*$/.test(part) ? Buffer.from(part, 'base64url') : null;
}

/** True when `token` is an RS256 JWT for the app, signed by its key, not expired. */
export function verifyAppJwt(token: string, appId: number, clientId: string, publicKey: KeyObject, nowSeconds: number): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const [h, p, s] = parts as [string, string, string];
  const header = b64url(h);
  const payload = b64url(p);
  const signature = b64url(s);
  if (header === null || payload === null || signature === null) return false;
  try {
    const head = JSON.parse(header.toString('utf8')) as { alg?: unknown };
    const claims = JSON.parse(payload.toString('utf8')) as { iss?: unknown; exp?: unknown; iat?: unknown };
    if (head.alg !== 'RS256') return false;
    if (String(claims.iss) !== String(appId) && claims.iss !== clientId) return false;
    if (typeof claims.exp !== 'number' || claims.exp < nowSeconds || claims.exp > nowSeconds + 11 * 60) return false;
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${h}.${p}`);
    return verifier.verify(publicKey, signature);
  } catch {
    return false;
  }
}

function presentDelivery(d: FakeDelivery): Record<string, unknown> {
  return {
    id: d.id,
    guid: d.guid,
    delivered_at: d.deliveredAt,
    redelivery: d.redelivery,
    duration: 0.27,
    status: d.statusCode >= 200 && d.statusCode < 300 ? 'OK' : d.statusCode === 0 ? 'failed to connect to host' : `Invalid HTTP Response: ${d.statusCode}`,
    status_code: d.statusCode,
    event: d.event,
    action: d.action,
    installation_id: d.installationId,
    repository_id: d.repositoryId,
    throttled_at: null,
  };
}

export function addDelivery(state: FakeGithubState, delivery: Omit<FakeDelivery, 'id' | 'deliveredAt'> & { deliveredAt?: string }): FakeDelivery {
  const d: FakeDelivery = { ...delivery, id: state.nextId(), deliveredAt: delivery.deliveredAt ?? state.now() };
  state.deliveries.push(d);
  return d;
}

function listDeliveries(ctx: RouteContext): ReturnType<typeof json> {
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.get('per_page') ?? '30') || 30));
  const cursor = ctx.query.get('cursor');
  const all = [...ctx.state.deliveries].sort((a, b) => b.id - a.id);
  const start = cursor === null ? 0 : all.findIndex((d) => String(d.id) === cursor);
  if (start < 0) return error(422, 'Invalid cursor', 'https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook');
  const page = all.slice(start, start + perPage);
  const next = all[start + perPage];
  const headers: Record<string, string> = {};
  if (next !== undefined) headers['Link'] = `<${ctx.origin}${ctx.path}?per_page=${perPage}&cursor=${next.id}>; rel="next"`;
  return json(200, page.map(presentDelivery), headers);
}

export const appRoutes: FakeRoute[] = [
  { method: 'GET', pattern: '/app', auth: 'jwt', handle: (ctx) => json(200, presentApp(ctx.state.appId, ctx.state.appSlug)) },
  {
    method: 'POST',
    pattern: '/app/installations/:installation_id/access_tokens',
    auth: 'jwt',
    handle: (ctx) => {
      const installationId = Number(ctx.params['installation_id']);
      if (!ctx.state.installations.has(installationId)) return notFound('https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app');
      const token = `ghs_${randomBytes(18).toString('base64url')}`;
      ctx.state.tokens.set(token, ctx.state.botId);
      ctx.state.tokenInstallations.set(token, installationId);
      ctx.state.installationTokens.push(token);
      return json(201, { token, expires_at: '2099-01-01T00:00:00Z', permissions: { checks: 'write', contents: 'write', issues: 'write', pull_requests: 'write' }, repository_selection: 'all' });
    },
  },
  { method: 'GET', pattern: '/app/hook/deliveries', auth: 'jwt', handle: listDeliveries },
  {
    method: 'GET',
    pattern: '/app/hook/deliveries/:delivery_id',
    auth: 'jwt',
    handle: (ctx) => {
      const d = ctx.state.deliveries.find((x) => x.id === Number(ctx.params['delivery_id']));
      return d === undefined ? notFound() : json(200, { ...presentDelivery(d), request: { headers: {}, payload: {} }, response: { headers: {}, payload: null } });
    },
  },
  {
    method: 'POST',
    pattern: '/app/hook/deliveries/:delivery_id/attempts',
    auth: 'jwt',
    handle: (ctx) => {
      const d = ctx.state.deliveries.find((x) => x.id === Number(ctx.params['delivery_id']));
      if (d === undefined) return notFound('https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook');
      ctx.state.redeliveries.push(d.id);
      addDelivery(ctx.state, { guid: d.guid, event: d.event, action: d.action, statusCode: 200, redelivery: true, installationId: d.installationId, repositoryId: d.repositoryId });
      return json(202, {});
    },
  },
];
