import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { loadSettings } from '../../src/cli/load-settings.js';
import { hasHashTag } from '../../src/config.js';
import { captureIo } from '../helpers/cli-io.js';

async function run(env: Record<string, string>, args = ['config', 'check']) {
  const io = captureIo({ env });
  const code = await main(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('pyrelease config check', () => {
  it('prints the effective configuration with every secret masked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pyrelease-cfg-'));
    const file = join(dir, 'server.yml');
    await writeFile(file, 'registries:\n  internal:\n    upload-url: https://pypi.internal.invalid/legacy/\n    simple-url: https://pypi.internal.invalid/simple/\n');
    const secrets = { GITLAB_TOKEN: 'glpat-secret-value-123', GITLAB_WEBHOOK_SECRET: 'hook-secret-1,hook-secret-2', REDIS_URL: 'redis://:redis-pass@127.0.0.1:6379/0' };
    const r = await run({ ...secrets, PYRELEASE_CONFIG: file, PORT: '8080' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/PORT\s+8080/);
    expect(r.out).toContain('GITLAB_WEBHOOK_SECRET');
    expect(r.out).toContain('(2 set)');
    expect(r.out).toContain('Registries: gitlab, internal, pypi, testpypi');
    for (const value of ['glpat-secret-value-123', 'hook-secret-1', 'redis-pass']) expect(r.out).not.toContain(value);
  });

  it('reports every problem at once, without echoing values', async () => {
    const r = await run({ PORT: 'eighty', LOG_LEVEL: 'loud', APP_ID: 'x', PYRELEASE_CONFIG: '/nonexistent/pyrelease.yml' });
    expect(r.code).toBe(1);
    for (const name of ['PORT', 'LOG_LEVEL', 'APP_ID', '/nonexistent/pyrelease.yml']) expect(r.err).toContain(name);
    expect(r.err).not.toContain('eighty');
  });

  it('warns about a key prefix Redis Cluster would spread over slots, and stays valid', async () => {
    const plain = await run({ PYRELEASE_QUEUE_PREFIX: 'acme-releases' });
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(/Warnings:\n- PYRELEASE_QUEUE_PREFIX has no Redis Cluster hash tag[^\n]*\{acme-releases\}/);
    const tagged = await run({ PYRELEASE_QUEUE_PREFIX: '{acme}-releases' });
    expect(tagged.code).toBe(0);
    expect(tagged.out).not.toContain('Warnings:');
    expect((await run({})).out).not.toContain('Warnings:');
  });

  it('takes a Redis Cluster reached through one node, with the password masked', async () => {
    const r = await run({ PYRELEASE_REDIS_CLUSTER: 'true', REDIS_URL: 'rediss://default:cluster-pass@redis.internal.invalid:6380' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/PYRELEASE_REDIS_CLUSTER\s+true/);
    expect(r.out).toContain('redis.internal.invalid:6380');
    expect(r.out).not.toContain('cluster-pass');
    expect(r.out).not.toContain('Warnings:');
  });

  it.each([
    [{}, 'PYRELEASE_REDIS_CLUSTER: needs REDIS_URL'],
    [{ REDIS_URL: 'redis://127.0.0.1:7000/2' }, 'REDIS_URL: a Redis Cluster has only database 0'],
    [{ REDIS_URL: 'redis://127.0.0.1:7000', PYRELEASE_QUEUE_PREFIX: 'acme' }, 'PYRELEASE_QUEUE_PREFIX: on a Redis Cluster the prefix needs a hash tag'],
  ])('refuses a Redis Cluster it could not run on (%o)', async (env, error) => {
    const r = await run({ PYRELEASE_REDIS_CLUSTER: 'true', ...env });
    expect(r.code).toBe(1);
    expect(r.err).toContain(error);
  });

  it('takes database 0 spelled out on a Redis Cluster, and a prefix without a tag on one Redis', async () => {
    expect((await run({ PYRELEASE_REDIS_CLUSTER: 'true', REDIS_URL: 'redis://127.0.0.1:7000/0' })).code).toBe(0);
    expect((await run({ PYRELEASE_REDIS_CLUSTER: 'false', REDIS_URL: 'redis://127.0.0.1:7000/2', PYRELEASE_QUEUE_PREFIX: 'acme' })).code).toBe(0);
  });

  it.each([
    ['{pyrelease}', true],
    ['acme{team-1}', true],
    ['{}pyrelease', false],
    ['{}{pyrelease}', false],
    ['pyrelease', false],
    ['{pyrelease', false],
    ['pyrelease}{', false],
    ['}{x}', true],
  ])('reads the hash tag of %s as Redis Cluster does: %s', (prefix, tagged) => {
    expect(hasHashTag(prefix)).toBe(tagged);
  });

  it('exits 2 without the check verb', async () => {
    expect((await run({}, ['config'])).code).toBe(2);
  });
});

describe('pyrelease config check: plain http to a forge (one policy for both)', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const forges = {
    gitlab: (protocol: string, host: string) => ({ GITLAB_URL: `${protocol}://${host}`, GITLAB_TOKEN: 'glpat-x' }),
    github: (protocol: string, host: string) => ({ APP_ID: '1', PRIVATE_KEY: privateKey, WEBHOOK_SECRET: 's3cret', GHE_HOST: host, GHE_PROTOCOL: protocol }),
  };
  const setting = { gitlab: 'GITLAB_URL', github: 'GHE_PROTOCOL=http' };

  for (const forge of ['gitlab', 'github'] as const) {
    it(`${forge}: refused in production, allowed with a loud warning when PYRELEASE_ALLOW_PLAIN_HTTP names it`, async () => {
      const refused = await run({ ...forges[forge]('http', 'git.internal.invalid'), NODE_ENV: 'production' });
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(`${setting[forge]} (git.internal.invalid): plain http is refused with NODE_ENV=production`);

      const allowed = await run({ ...forges[forge]('http', 'git.internal.invalid'), NODE_ENV: 'production', PYRELEASE_ALLOW_PLAIN_HTTP: forge });
      expect(allowed.code).toBe(0);
      expect(allowed.out).toMatch(/PYRELEASE_ALLOW_PLAIN_HTTP\s+(gitlab|github)/);
      expect(allowed.out).toContain(`Warnings:\n- ${setting[forge]} (git.internal.invalid): plain http, allowed by PYRELEASE_ALLOW_PLAIN_HTTP`);
      // Reported once, in the report: not also on stderr as serve and worker do.
      expect(allowed.err).toBe('');
    });

    it(`${forge}: warned about outside production; loopback and https are quiet`, async () => {
      const dev = await run({ ...forges[forge]('http', 'git.internal.invalid'), PYRELEASE_QUEUE_PREFIX: '{p}' });
      expect(dev.code).toBe(0);
      expect(dev.out).toContain(`- ${setting[forge]} (git.internal.invalid): plain http: the ${forge} token travels in clear`);
      for (const [protocol, host] of [['http', '127.0.0.1:8080'], ['https', 'git.internal.invalid']] as const) {
        const quiet = await run({ ...forges[forge](protocol, host), NODE_ENV: 'production' });
        expect(quiet.code).toBe(0);
        expect(quiet.out).not.toContain('Warnings:');
      }
    });
  }

  it('refuses a list that names something other than a forge', async () => {
    const r = await run({ PYRELEASE_ALLOW_PLAIN_HTTP: 'gitlab,true' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('PYRELEASE_ALLOW_PLAIN_HTTP: must be a comma-separated list of gitlab, github');
  });

  it('serve and worker print the warning on stderr before they start (loadSettings)', async () => {
    const io = captureIo({ env: { ...forges.gitlab('http', 'git.internal.invalid'), NODE_ENV: 'production', PYRELEASE_ALLOW_PLAIN_HTTP: 'gitlab' } });
    const loaded = await loadSettings(io);
    expect(loaded.ok).toBe(true);
    expect(io.stderr()).toContain('pyrelease: warning: GITLAB_URL (git.internal.invalid): plain http, allowed by PYRELEASE_ALLOW_PLAIN_HTTP');
  });
});
