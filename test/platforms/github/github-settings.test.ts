import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizePem, parseGithubSettings, validateGithubSettings } from '../../../src/platforms/github/github-settings.js';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const PEM = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const PKCS8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const SECRET = 'a-webhook-secret-for-tests';
const base = { APP_ID: '12345', PRIVATE_KEY: PEM, WEBHOOK_SECRET: SECRET };

describe('validateGithubSettings', () => {
  it.each([
    ['nothing set: GitHub is off', {}],
    ['only unrelated variables', { NODE_ENV: 'production', GHE_HOST: 'ghe.example.com' }],
    ['a complete App', base],
    ['a key file instead', { APP_ID: '1', PRIVATE_KEY_PATH: '/run/secrets/app.pem', WEBHOOK_SECRET: SECRET }],
    ['a one-line key with \\n escapes', { ...base, PRIVATE_KEY: PEM.trim().replace(/\n/g, '\\n') }],
    ['a base64 key', { ...base, PRIVATE_KEY: Buffer.from(PEM).toString('base64') }],
    ['a PKCS#8 key', { ...base, PRIVATE_KEY: PKCS8 }],
    ['rotating secrets', { ...base, WEBHOOK_SECRET: 'new-one, old-one' }],
    ['the fallback secret outside production', { ...base, WEBHOOK_SECRET: 'development', NODE_ENV: 'development' }],
    ['GHES over https', { ...base, GHE_HOST: 'ghe.example.com:8443', NODE_ENV: 'production' }],
    ['a test GHES on loopback over http', { ...base, GHE_HOST: '127.0.0.1:3000', GHE_PROTOCOL: 'http' }],
  ])('no errors: %s', (_name, env) => {
    expect(validateGithubSettings(env)).toEqual([]);
  });

  it.each([
    ['a secret alone still needs the App', { WEBHOOK_SECRET: SECRET }, ['APP_ID is required (the GitHub App ID)', 'PRIVATE_KEY or PRIVATE_KEY_PATH is required (the GitHub App private key)']],
    ['no secret at all', { ...base, WEBHOOK_SECRET: undefined }, ['WEBHOOK_SECRET is required: GitHub webhooks must be signed']],
    ['only commas and spaces', { ...base, WEBHOOK_SECRET: ' , ,' }, ['WEBHOOK_SECRET is required: GitHub webhooks must be signed']],
    ['Probot\'s fallback in production', { ...base, WEBHOOK_SECRET: 'development', NODE_ENV: 'production' }, ['WEBHOOK_SECRET must not be "development" with NODE_ENV=production (Probot\'s public fallback secret)']],
    ['the fallback among rotated secrets in production', { ...base, WEBHOOK_SECRET: `${SECRET},development`, NODE_ENV: 'production' }, ['WEBHOOK_SECRET must not be "development" with NODE_ENV=production (Probot\'s public fallback secret)']],
    ['no secret in production', { ...base, WEBHOOK_SECRET: '', NODE_ENV: 'production' }, ['WEBHOOK_SECRET is required: GitHub webhooks must be signed']],
    ['an App ID that is not a number', { ...base, APP_ID: '12a' }, ['APP_ID must be a positive integer']],
    ['App ID 0', { ...base, APP_ID: '0' }, ['APP_ID must be a positive integer']],
    ['both key settings', { ...base, PRIVATE_KEY_PATH: '/k.pem' }, ['set PRIVATE_KEY or PRIVATE_KEY_PATH, not both']],
    ['a key that is not PEM', { ...base, PRIVATE_KEY: 'not a key' }, ['PRIVATE_KEY is not a PEM private key (nor base64 of one)']],
    ['a public key', { ...base, PRIVATE_KEY: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString().replace(/PRIVATE/g, 'PUBLIC') }, ['PRIVATE_KEY is not a PEM private key (nor base64 of one)']],
    ['a URL as GHE_HOST', { ...base, GHE_HOST: 'https://ghe.example.com' }, ['GHE_HOST must be a host name, optionally with :port (no scheme, no path)']],
    ['a path in GHE_HOST', { ...base, GHE_HOST: 'ghe.example.com/api' }, ['GHE_HOST must be a host name, optionally with :port (no scheme, no path)']],
    ['another protocol', { ...base, GHE_PROTOCOL: 'ftp' }, ['GHE_PROTOCOL must be https or http']],
    ['http to GHES in production', { ...base, GHE_HOST: 'ghe.example.com', GHE_PROTOCOL: 'http', NODE_ENV: 'production' }, ['GHE_PROTOCOL=http (ghe.example.com): plain http is refused with NODE_ENV=production: the github token would travel in clear. Use https, or set PYRELEASE_ALLOW_PLAIN_HTTP=github to accept it']],
    ['http to GHES in production, allowed for github', { ...base, GHE_HOST: 'ghe.example.com', GHE_PROTOCOL: 'http', NODE_ENV: 'production', PYRELEASE_ALLOW_PLAIN_HTTP: 'github' }, []],
    ['http to GHES on loopback in production', { ...base, GHE_HOST: '127.0.0.1:8080', GHE_PROTOCOL: 'http', NODE_ENV: 'production' }, []],
    ['a bad slug', { ...base, APP_SLUG: 'PyRelease[bot]' }, ['APP_SLUG must be the App slug (lower-case letters, digits and hyphens)']],
    ['everything wrong at once', { APP_ID: 'x', PRIVATE_KEY: 'y', WEBHOOK_SECRET: '', GHE_PROTOCOL: 'gopher' }, [
      'APP_ID must be a positive integer',
      'PRIVATE_KEY is not a PEM private key (nor base64 of one)',
      'WEBHOOK_SECRET is required: GitHub webhooks must be signed',
      'GHE_PROTOCOL must be https or http',
    ]],
  ])('errors: %s', (_name, env, errors) => {
    expect(validateGithubSettings(env)).toEqual(errors);
  });

  it('never quotes the key or a secret in an error', () => {
    const errors = validateGithubSettings({ APP_ID: 'nope', PRIVATE_KEY: `${PEM}garbage`, WEBHOOK_SECRET: 'development', NODE_ENV: 'production' }).join('\n');
    expect(errors).not.toContain('MII');
    expect(errors).not.toContain('garbage');
  });
});

describe('parseGithubSettings', () => {
  it('builds the URLs as Probot does', () => {
    expect(parseGithubSettings({ ...base, APP_SLUG: 'pyrelease', WEBHOOK_SECRET: ' new , old ' })).toEqual({
      ok: true,
      settings: { appId: 12345, privateKey: { kind: 'inline', pem: PEM }, webhookSecrets: ['new', 'old'], appSlug: 'pyrelease', apiUrl: 'https://api.github.com', webUrl: 'https://github.com' },
    });
    expect(parseGithubSettings({ ...base, GHE_HOST: '127.0.0.1:3000', GHE_PROTOCOL: 'http' })).toMatchObject({
      ok: true,
      settings: { apiUrl: 'http://127.0.0.1:3000/api/v3', webUrl: 'http://127.0.0.1:3000' },
    });
    expect(parseGithubSettings({})).toEqual({ ok: true, settings: null });
  });

  it.each([
    ['real newlines', PEM],
    ['\\n escapes', PEM.trim().replace(/\n/g, '\\n')],
    ['base64', Buffer.from(PEM).toString('base64')],
  ])('normalizes a key given with %s to the same PEM', (_name, given) => {
    expect(normalizePem(given)).toBe(PEM);
  });
});
