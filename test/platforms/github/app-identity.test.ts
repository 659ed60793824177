import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/errors.js';
import { appJwt, readAppSlug } from '../../../src/platforms/github/app-identity.js';
import { verifyAppJwt } from '../../fakes/fake-github-app-routes.js';
import { startFakeGithub } from '../../fakes/fake-github.js';
import type { FakeGithub } from '../../fakes/fake-github.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PKCS1 = keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const PKCS8 = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const NOW = 1_800_000_000;

const claims = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

describe('appJwt', () => {
  it.each([['PKCS#1', PKCS1], ['PKCS#8', PKCS8]])('signs RS256 with a %s key, as GitHub checks it', (_, pem) => {
    const jwt = appJwt(4242, pem, NOW);
    expect(JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8'))).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(claims(jwt)).toEqual({ iat: NOW - 60, exp: NOW + 540, iss: 4242 });
    expect(verifyAppJwt(jwt, 4242, 'Iv1.none', keys.publicKey, NOW)).toBe(true);
    // Another App id, or ten minutes later: refused.
    expect(verifyAppJwt(jwt, 4243, 'Iv1.none', keys.publicKey, NOW)).toBe(false);
    expect(verifyAppJwt(jwt, 4242, 'Iv1.none', keys.publicKey, NOW + 600)).toBe(false);
  });
});

describe('readAppSlug against the fake GitHub', () => {
  let gh: FakeGithub;
  beforeEach(async () => {
    gh = await startFakeGithub({ appId: 4242, appSlug: 'release-bot' });
    gh.setAppKey(keys.publicKey);
  });
  afterEach(async () => gh.close());

  it('reads the slug as the App, on GitHub Enterprise Server paths too', async () => {
    expect(await readAppSlug(gh.url, 4242, PKCS8)).toBe('release-bot');
    expect(await readAppSlug(`${gh.url}/api/v3/`, 4242, PKCS1)).toBe('release-bot');
    expect(gh.log.map((l) => l.url)).toEqual(['/app', '/api/v3/app']);
  });

  it('is forge-auth when the key or the App id is wrong, and a retryable forge-unavailable on a 5xx', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(readAppSlug(gh.url, 4242, other)).rejects.toMatchObject({ code: 'forge-auth' });
    await expect(readAppSlug(gh.url, 99, PKCS8)).rejects.toMatchObject({ code: 'forge-auth' });
    gh.fault({ route: 'GET /app', status: 502 });
    const failed = await readAppSlug(gh.url, 4242, PKCS8).catch((e: unknown) => e);
    expect(isAppError(failed) && failed.code === 'forge-unavailable' && failed.retryable).toBe(true);
  });
});
