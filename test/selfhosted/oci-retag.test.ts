import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, TagConflictError } from '../../src/errors.js';
import { mayCarrySecrets, parseChallenge } from '../../src/selfhosted/oci-auth.js';
import { retagImage } from '../../src/selfhosted/oci-retag.js';
import type { RetagRequest } from '../../src/selfhosted/oci-retag.js';
import { DOCKER_MANIFEST, OCI_INDEX, pushImage, pushIndex, resolveTag } from '../helpers/oci-push.js';
import type { PushTarget } from '../helpers/oci-push.js';
import { startOciRegistry, startRegistryProxy, startTokenServer } from '../helpers/oci-registry.js';
import type { OciRegistry, RegistryProxy, Tamper, TokenServer } from '../helpers/oci-registry.js';
import { freePort } from '../helpers/redis-server.js';

const SHA_A = '3f786850e387550fdab836ed7e6dc881de23001b';
const SHA_B = '89e6c98d92887913cadf06b2adb97f26cde4849b';
const SHA_C = 'a1c2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0';
const USER = { username: 'release-bot', password: 'pw-9f1c2e77-never-logged' };

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** Everything an error could leak through: message, details, stack, cause, JSON. */
function leaks(error: AppError, secret: string): boolean {
  const text = [error.message, JSON.stringify(error.details), error.stack ?? '', String(error.cause ?? ''), JSON.stringify(error)].join('\n');
  return text.includes(secret) || text.includes(Buffer.from(`${USER.username}:${secret}`).toString('base64'));
}

describe('retagImage on an anonymous registry', () => {
  let registry: OciRegistry;
  let base: Omit<RetagRequest, 'sourceTag' | 'targetTag'>;
  const target = (): PushTarget => ({ registry: registry.url, repository: 'group/ai-gateway' });

  beforeAll(async () => {
    registry = await startOciRegistry();
    base = { registry: registry.url, repository: 'group/ai-gateway', credentials: null };
    const image = await pushImage(target(), SHA_A, 'release A');
    await pushIndex(target(), SHA_C, image);
    await pushImage(target(), SHA_B, 'release B');
  });
  afterAll(async () => registry.close());

  it.each([
    { kind: 'a Docker v2 schema 2 manifest', source: SHA_A, tag: 'self-hosted-v18.4.0-ee', mediaType: DOCKER_MANIFEST },
    { kind: 'an OCI image index', source: SHA_C, tag: 'self-hosted-v18.5.0-rc42-ee', mediaType: OCI_INDEX },
  ])('copies $kind by digest, then reports exists', async ({ source, tag, mediaType }) => {
    const sourceDigest = await resolveTag(target(), source);
    expect(await resolveTag(target(), tag)).toBeNull();
    const first = await retagImage({ ...base, sourceTag: source, targetTag: tag });
    expect(first).toEqual({ outcome: 'copied', digest: sourceDigest, mediaType });
    expect(await resolveTag(target(), tag)).toBe(sourceDigest);
    expect(await retagImage({ ...base, sourceTag: source, targetTag: tag })).toEqual({ outcome: 'exists', digest: sourceDigest, mediaType });
  });

  it.each([
    { what: 'a tag that was never pushed', repository: 'group/ai-gateway', sourceTag: 'deadbeef' },
    { what: 'a repository that does not exist', repository: 'group/nothing-here', sourceTag: SHA_A },
  ])('refuses $what as forge-not-found', async ({ repository, sourceTag }) => {
    const error = await failure(retagImage({ ...base, repository, sourceTag, targetTag: 'self-hosted-v1.0.0-ee' }));
    expect([error.code, error.retryable]).toEqual(['forge-not-found', false]);
  });

  it('never moves a target tag that holds another image, unless forced', async () => {
    const [digestA, digestB] = [await resolveTag(target(), SHA_A), await resolveTag(target(), SHA_B)];
    await retagImage({ ...base, sourceTag: SHA_B, targetTag: 'self-hosted-v18.3.0-ee' });
    const error = await failure(retagImage({ ...base, sourceTag: SHA_A, targetTag: 'self-hosted-v18.3.0-ee' }));
    expect(error).toBeInstanceOf(TagConflictError);
    expect([error.code, (error as TagConflictError).existingSha, (error as TagConflictError).wantedSha]).toEqual(['tag-conflict', digestB, digestA]);
    expect(await resolveTag(target(), 'self-hosted-v18.3.0-ee')).toBe(digestB);
    const forced = await retagImage({ ...base, sourceTag: SHA_A, targetTag: 'self-hosted-v18.3.0-ee', force: true });
    expect(forced.outcome).toBe('copied');
    expect(await resolveTag(target(), 'self-hosted-v18.3.0-ee')).toBe(digestA);
  });

  it.each([
    { field: 'repository', change: { repository: 'Group/AI' } },
    { field: 'repository', change: { repository: '../v2/_catalog' } },
    { field: 'repository', change: { repository: 'group//x' } },
    { field: 'repository', change: { repository: 'a'.repeat(256) } },
    { field: 'sourceTag', change: { sourceTag: '-leading-dash' } },
    { field: 'sourceTag', change: { sourceTag: 'a/b' } },
    { field: 'targetTag', change: { targetTag: 'x'.repeat(129) } },
    { field: 'targetTag', change: { targetTag: 'tag?digest=x' } },
    { field: 'registry', change: { registry: 'ftp://127.0.0.1' } },
    { field: 'registry', change: { registry: 'http://user:pw@127.0.0.1:5000' } },
    { field: 'registry', change: { registry: 'http://127.0.0.1:5000/v2/' } },
  ])('refuses an invalid $field before any request: $change', async ({ field, change }) => {
    const error = await failure(retagImage({ ...base, sourceTag: SHA_A, targetTag: 'ok-tag', ...change }));
    expect([error.code, error.details['field']]).toEqual(['config-invalid', field]);
  });

  it('accepts the longest valid tag (128 characters)', async () => {
    const result = await retagImage({ ...base, sourceTag: SHA_A, targetTag: `_${'x'.repeat(127)}` });
    expect(result.outcome).toBe('copied');
  });
});

describe('retagImage when the registry cannot be reached', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it.each([
    { what: 'nothing listens', registry: async () => `http://127.0.0.1:${await freePort()}`, timedOut: false },
    { what: 'the registry never answers', registry: async () => `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timedOut: true },
  ])('is retryable forge-unavailable when $what', async ({ registry, timedOut }) => {
    const error = await failure(retagImage({ registry: await registry(), repository: 'a/b', sourceTag: 'x', targetTag: 'y', credentials: null, timeoutMs: 300 }));
    expect([error.code, error.retryable, error.details['timedOut']]).toEqual(['forge-unavailable', true, timedOut]);
  });
});

describe('retagImage behind htpasswd (Basic) auth', () => {
  let registry: OciRegistry;
  const repository = 'services/gateway';
  const authorization = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;
  beforeAll(async () => {
    registry = await startOciRegistry({ kind: 'htpasswd', ...USER });
    await pushImage({ registry: registry.url, repository, authorization }, SHA_A, 'basic');
  });
  afterAll(async () => registry.close());

  it('copies with the credentials, then reports exists', async () => {
    const req = { registry: registry.url, repository, sourceTag: SHA_A, credentials: USER, targetTag: 'self-hosted-v18.4.1-ee' };
    expect((await retagImage(req)).outcome).toBe('copied');
    expect(await resolveTag({ registry: registry.url, repository, authorization }, 'self-hosted-v18.4.1-ee')).toBe(await resolveTag({ registry: registry.url, repository, authorization }, SHA_A));
    expect((await retagImage(req)).outcome).toBe('exists');
  });

  it.each([
    { what: 'no credentials', credentials: null },
    { what: 'a wrong password', credentials: { username: USER.username, password: 'wrong-secret-31337' } },
    { what: 'a token where Basic is asked', credentials: { token: 'tok-secret-31337' } },
  ])('is forge-auth with $what, and the secret is nowhere in the error', async ({ credentials }) => {
    const error = await failure(retagImage({ registry: registry.url, repository, sourceTag: SHA_A, targetTag: 'never', credentials }));
    expect([error.code, error.retryable]).toEqual(['forge-auth', false]);
    expect(leaks(error, 'secret-31337')).toBe(false);
  });
});

describe('retagImage behind token (Bearer) auth', () => {
  let tokens: TokenServer;
  let registry: OciRegistry;
  let farRealm: OciRegistry;
  const repository = 'services/gateway';
  beforeAll(async () => {
    tokens = await startTokenServer(USER);
    registry = await startOciRegistry({ kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certPem: tokens.certPem });
    // A realm on plain http to a non-loopback address (TEST-NET-1, never connected to).
    farRealm = await startOciRegistry({ kind: 'token', realm: 'http://192.0.2.1/token', service: tokens.service, issuer: tokens.issuer, certPem: tokens.certPem });
    await pushImage({ registry: registry.url, repository, authorization: `Bearer ${tokens.mint(repository)}` }, SHA_A, 'bearer');
  });
  afterAll(async () => {
    await Promise.all([registry.close(), farRealm.close()]);
    await tokens.close();
  });

  it('fetches a pull,push token from the realm with Basic credentials, copies, then reports exists', async () => {
    tokens.requests.length = 0;
    const req = { registry: registry.url, repository, sourceTag: SHA_A, credentials: USER, targetTag: 'self-hosted-v18.4.0-ee' };
    expect((await retagImage(req)).outcome).toBe('copied');
    expect((await retagImage(req)).outcome).toBe('exists');
    // One token per copy, asked for both actions at once.
    expect(tokens.requests.map((r) => [new URLSearchParams(r.query).get('scope'), r.authorization?.startsWith('Basic ')])).toEqual([
      [`repository:${repository}:pull,push`, true],
      [`repository:${repository}:pull,push`, true],
    ]);
  });

  it('uses a registry token given beforehand as it is', async () => {
    const result = await retagImage({ registry: registry.url, repository, sourceTag: SHA_A, targetTag: 'pre-issued', credentials: { token: tokens.mint(repository) } });
    expect(result.outcome).toBe('copied');
  });

  it.each([
    { what: 'a wrong password (the token service says 401)', credentials: { username: USER.username, password: 'wrong-secret-31337' } },
    { what: 'no credentials (an anonymous token grants nothing)', credentials: null },
  ])('is forge-auth with $what, and the secret is nowhere in the error', async ({ credentials }) => {
    const error = await failure(retagImage({ registry: registry.url, repository, sourceTag: SHA_A, targetTag: 'never', credentials }));
    expect([error.code, error.retryable]).toEqual(['forge-auth', false]);
    expect(leaks(error, 'secret-31337')).toBe(false);
  });

  describe('through a proxy that shows and bends what the registry answers', () => {
    let proxy: RegistryProxy;
    beforeAll(async () => {
      proxy = await startRegistryProxy(registry.url);
    });
    afterAll(async () => proxy.close());
    const retag = (targetTag: string): Promise<unknown> => retagImage({ registry: proxy.url, repository, sourceTag: SHA_A, targetTag, credentials: USER });

    it('asks anonymously first, then sends only the Bearer token to the registry, never the password', async () => {
      proxy.tamper = null;
      proxy.requests.length = 0;
      await retag('via-proxy');
      const manifests = `/v2/${repository}/manifests`;
      expect(proxy.requests.map((r) => [r.method, r.path, r.authorization?.split(' ')[0] ?? null])).toEqual([
        ['GET', `${manifests}/${SHA_A}`, null],
        ['GET', `${manifests}/${SHA_A}`, 'Bearer'],
        ['HEAD', `${manifests}/via-proxy`, 'Bearer'],
        ['PUT', `${manifests}/via-proxy`, 'Bearer'],
      ]);
    });

    const isSource = (path: string): boolean => path.endsWith(`/manifests/${SHA_A}`);
    it.each([
      {
        what: 'a digest header that does not match the bytes', code: 'forge-refused', retryable: false,
        tamper: ((req, a) => (isSource(req.path) && a.status === 200 ? { ...a, headers: { ...a.headers, 'docker-content-digest': `sha256:${'0'.repeat(64)}` } } : null)) satisfies Tamper,
      },
      {
        what: 'a schema 1 manifest', code: 'forge-refused', retryable: false,
        tamper: ((req, a) => (isSource(req.path) && a.status === 200 ? { ...a, headers: { ...a.headers, 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' } } : null)) satisfies Tamper,
      },
      {
        what: 'a redirect to another host', code: 'forge-refused', retryable: false,
        tamper: ((req, a) => (isSource(req.path) ? { status: 307, headers: { location: 'http://192.0.2.1/steal' }, body: Buffer.alloc(0) } : a)) satisfies Tamper,
      },
      {
        // The registry stored the tag and the answer was lost on the way: the retry must see 'exists'.
        what: 'a 503 with Retry-After after the write', code: 'forge-unavailable', retryable: true, retryAfterSeconds: 7, written: true,
        tamper: ((req) => (req.method === 'PUT' ? { status: 503, headers: { 'retry-after': '7' }, body: Buffer.from('{"errors":[{"code":"UNAVAILABLE"}]}') } : null)) satisfies Tamper,
      },
      {
        what: 'a 429', code: 'forge-unavailable', retryable: true, retryAfterSeconds: null, rateLimited: true,
        tamper: ((req) => (req.method === 'HEAD' ? { status: 429, headers: {}, body: Buffer.alloc(0) } : null)) satisfies Tamper,
      },
      {
        what: 'a manifest larger than 4 MiB', code: 'forge-refused', retryable: false,
        tamper: ((req, a) => (isSource(req.path) && a.status === 200 ? { ...a, body: Buffer.concat([a.body, Buffer.alloc(4 * 1024 * 1024, 32)]) } : null)) satisfies Tamper,
      },
    ])('answers $what with $code, and a retry finds the tag as the registry left it', async ({ tamper, code, retryable, ...rest }) => {
      const tag = `bent-${code}-${proxy.requests.length}`;
      proxy.tamper = tamper;
      const error = await failure(retag(tag));
      proxy.tamper = null;
      expect([error.code, error.retryable]).toEqual([code, retryable]);
      if ('retryAfterSeconds' in rest) expect(error.details['retryAfterSeconds']).toBe(rest.retryAfterSeconds);
      // Only a 429 is a rate limit the queue waits out without spending an attempt (jobs/throttle.ts).
      expect(error.details['rateLimited']).toBe('rateLimited' in rest ? true : undefined);
      const written = await resolveTag({ registry: registry.url, repository, authorization: `Bearer ${tokens.mint(repository)}` }, tag);
      expect(written !== null).toBe('written' in rest);
      expect(await retag(tag)).toMatchObject({ outcome: 'written' in rest ? 'exists' : 'copied' });
    });
  });

  it('does not follow a realm on plain http to another machine', async () => {
    const error = await failure(retagImage({ registry: farRealm.url, repository, sourceTag: SHA_A, targetTag: 'never', credentials: USER, timeoutMs: 2000 }));
    expect([error.code, error.details['realmHost']]).toEqual(['forge-refused', '192.0.2.1']);
    expect(leaks(error, USER.password)).toBe(false);
  });
});

describe('parseChallenge', () => {
  it.each([
    ['Bearer realm="https://gitlab.com/jwt/auth",service="container_registry",scope="repository:a/b:pull,push"', { scheme: 'bearer', realm: 'https://gitlab.com/jwt/auth', service: 'container_registry' }],
    ['bearer realm=https://auth.example/token, service=reg', { scheme: 'bearer', realm: 'https://auth.example/token', service: 'reg' }],
    ['Bearer scope="x,y", realm="https://a.example/t"', { scheme: 'bearer', realm: 'https://a.example/t', service: null }],
    ['Bearer realm="https://a.example/q\\"x"', { scheme: 'bearer', realm: 'https://a.example/q"x', service: null }],
    ['Basic realm="Registry Realm"', { scheme: 'basic' }],
    ['Bearer service="x"', null],
    ['Negotiate abc', null],
    ['', null],
    [null, null],
  ])('%s', (header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });
});

describe('mayCarrySecrets', () => {
  it.each([
    ['https://registry.gitlab.com/jwt/auth', true],
    ['http://127.0.0.1:5000/token', true],
    ['http://localhost/token', true],
    ['http://[::1]:80/token', true],
    ['http://registry.internal/token', false],
    ['http://192.0.2.1/token', false],
    ['https://user:pw@auth.example/token', false],
    ['ftp://127.0.0.1/token', false],
  ])('%s -> %s', (url, expected) => {
    expect(mayCarrySecrets(new URL(url))).toBe(expected);
  });
});
