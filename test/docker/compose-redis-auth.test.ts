// The Compose file's Redis asks for a password, and web and worker use it. Checked
// without a Docker engine: the YAML, and the redis service's own command run with this
// machine's redis-server behind a stand-in for the image's entrypoint.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findRedisServer, redisCall } from '../../src/embedded-redis.js';
import { freePort } from '../helpers/redis-server.js';

const root = join(import.meta.dirname, '..', '..');
interface Service {
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] };
}
const compose = parse(await readFile(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const redis = compose.services['redis'] ?? {};
/** `${REDIS_PASSWORD:?message}`: Compose refuses to start when .env does not set it. */
const REQUIRED = /^\$\{REDIS_PASSWORD:\?[^}]+\}$/;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('docker-compose.yml: Redis with a password', () => {
  it('gives the redis service REDIS_PASSWORD from .env, required, and to redis-cli for its healthcheck', () => {
    expect(redis.environment?.['REDIS_PASSWORD']).toMatch(REQUIRED);
    expect(redis.environment?.['REDISCLI_AUTH']).toBe(redis.environment?.['REDIS_PASSWORD']);
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it.each(['web', 'worker'])('%s connects with it', (name) => {
    const url = compose.services[name]?.environment?.['REDIS_URL'] ?? '';
    const [, password] = /^redis:\/\/:(.*)@redis:6379\/0$/.exec(url) ?? [];
    expect(password).toMatch(REQUIRED);
  });

  it('never puts the password in an argument (ps shows every user of the host the arguments of every process)', () => {
    const [shell, flag, script = ''] = redis.command ?? [];
    expect([shell, flag]).toEqual(['sh', '-c']);
    const argv = script.split('<<EOF')[0] ?? '';
    expect(argv).toContain('redis-server');
    expect(argv).not.toContain('REDIS_PASSWORD');
    expect(argv).not.toContain('requirepass');
  });

  it('starts a Redis that refuses clients without the password, when its command runs as the image would run it', async () => {
    const binary = findRedisServer(process.env);
    if (binary === null) throw new Error('this test needs redis-server (apt-get install redis-server)');
    const dir = await mkdtemp(join(tmpdir(), 'pyrelease-compose-redis-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    // The image's docker-entrypoint.sh (docker-library/redis), less its chown and gosu:
    // it puts `--protected-mode no` right after redis-server, then execs the command.
    await writeFile(join(dir, 'docker-entrypoint.sh'), '#!/bin/sh\nset -e\nif [ "$1" = redis-server ]; then shift; set -- redis-server --protected-mode no "$@"; fi\nexec "$@"\n');
    // This machine's redis-server, on a free port and a scratch dir instead of 6379 and /data.
    await writeFile(join(dir, 'redis-server'), `#!/bin/sh\nexec ${binary} --port ${port} --bind 127.0.0.1 --dir ${dir} "$@"\n`);
    await Promise.all(['docker-entrypoint.sh', 'redis-server'].map((f) => chmod(join(dir, f), 0o755)));
    const password = randomBytes(16).toString('hex');
    // What Compose hands the container: `$$` is its escape for a literal `$`.
    const script = (redis.command?.[2] ?? '').replaceAll('$$', '$');
    const child = spawn('sh', ['-c', script], { cwd: dir, env: { PATH: `${dir}:${process.env['PATH'] ?? ''}`, REDIS_PASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (c: Buffer): void => void (output = (output + c.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    cleanups.push(async () => child.kill('SIGKILL'));

    const deadline = Date.now() + 10_000;
    while ((await redisCall(port, ['PING'], 500, '127.0.0.1', password)) !== '+PONG\r\n') {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the redis service's command did not start Redis:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await redisCall(port, ['PING'])).toMatch(/^-NOAUTH /);
    expect(await redisCall(port, ['LPUSH', '{pyrelease}:publish:wait', 'forged'])).toMatch(/^-NOAUTH /);
    const setting = async (name: string): Promise<string | undefined> => (await redisCall(port, ['CONFIG', 'GET', name], 1000, '127.0.0.1', password))?.split('\r\n')[4];
    expect([await setting('appendonly'), await setting('appendfsync'), await setting('maxmemory-policy')]).toEqual(['yes', 'everysec', 'noeviction']);
    // exec all the way down: Redis is the process the container's stop signal reaches.
    expect((await readFile(`/proc/${child.pid}/cmdline`, 'utf8')).split('\0').join(' ')).toMatch(/redis-server/);
    expect((await readFile(`/proc/${child.pid}/cmdline`, 'utf8'))).not.toContain(password);
  });
});
