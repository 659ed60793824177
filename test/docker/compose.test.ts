import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SETTINGS } from '../../src/config.js';
import { keyValues, parseDockerfile } from './dockerfile-parser.js';

// docker-compose.yml and .env.example, checked without a Docker engine.
const root = join(import.meta.dirname, '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  env_file?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  security_opt?: string[];
  privileged?: boolean;
  cap_add?: string[];
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const cliCommands = [...(/const COMMANDS\b[^\n]*\{\n([\s\S]*?)\n\};/.exec(read('src/cli.ts'))?.[1] ?? '').matchAll(/^ {2}([\w-]+):/gm)].map((m) => m[1]);
const imageEnv = Object.assign({}, ...parseDockerfile(read('Dockerfile')).stages.at(-1)!.instructions.filter((i) => i.keyword === 'ENV').map((i) => keyValues(i.args))) as Record<string, string>;

describe('docker-compose.yml', () => {
  it('has redis, web and worker', () => {
    expect(Object.keys(services).sort()).toEqual(['redis', 'web', 'worker']);
  });

  it('runs Redis with the append-only file on a named volume and a PING healthcheck', () => {
    const redis = services['redis'] as Service;
    expect(redis.image).toMatch(/^redis:\d/);
    expect(redis.command?.join(' ')).toMatch(/--appendonly yes/);
    expect(redis.command?.join(' ')).toMatch(/--maxmemory-policy noeviction/);
    const [volume] = (redis.volumes ?? [''])[0]?.split(':') ?? [];
    expect(Object.keys(compose.volumes)).toContain(volume);
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it.each([
    ['web', ['serve', '--no-worker']],
    ['worker', ['worker']],
  ])('%s runs the image with an existing CLI command', (name, command) => {
    const service = services[name] as Service;
    expect(service.command).toEqual(command);
    expect(cliCommands).toContain(command[0]);
    expect(service.image).toBe(services['web']?.image);
    expect(service.depends_on?.['redis']?.condition).toBe('service_healthy');
    // Never the embedded Redis inside a container: REDIS_URL names the redis service
    // (with its password: compose-redis-auth.test.ts).
    expect(service.environment?.['REDIS_URL']).toMatch(/^redis:\/\/:[^@]+@redis:6379\/0$/);
  });

  it('gives the web process Node flags that Node takes from NODE_OPTIONS and that cap its young generation', () => {
    const flags = services['web']?.environment?.['NODE_OPTIONS'] ?? '';
    const semiSpaceMiB = Number(/--max-semi-space-size=(\d+)/.exec(flags)?.[1]);
    expect(semiSpaceMiB).toBeGreaterThan(0);
    // Keeps 100,000 objects alive across scavenges, which grows the young generation to its cap,
    // then prints that generation's size. Node refuses (exit 9) an option not allowed in NODE_OPTIONS.
    const script = "const keep=[];for(let i=0;i<3e6;i++){keep.push({i});if(keep.length>1e5)keep.length=0}" +
      "console.log(require('v8').getHeapSpaceStatistics().find((s)=>s.space_name==='new_space').space_size)";
    const youngBytes = (nodeOptions: string): number =>
      Number(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, NODE_OPTIONS: nodeOptions }, encoding: 'utf8' }));
    const capped = youngBytes(flags);
    expect(capped).toBeLessThanOrEqual(2 * semiSpaceMiB * 1024 * 1024);
    expect(youngBytes('')).toBeGreaterThan(capped);
    // The worker keeps Node's defaults: it is not the process the flag is for.
    expect(services['worker']?.environment?.['NODE_OPTIONS']).toBeUndefined();
  });

  it('builds the image once (web) from this Dockerfile and publishes the port the image exposes', () => {
    expect(services['web']?.build).toBe('.');
    expect(services['worker']?.build).toBeUndefined();
    expect(services['web']?.ports).toEqual([`${imageEnv['PORT']}:${imageEnv['PORT']}`]);
  });

  it('turns the HTTP healthcheck off for the worker only (it serves no HTTP)', () => {
    expect(services['worker']?.healthcheck).toEqual({ disable: true });
    expect(services['web']?.healthcheck).toBeUndefined();
  });

  it('keeps the worker data on a named volume at the image data dir', () => {
    expect(services['worker']?.volumes).toEqual([`pyrelease-data:${imageEnv['PYRELEASE_DATA_DIR']}`]);
    expect(Object.keys(compose.volumes)).toContain('pyrelease-data');
  });

  it('gives web and worker the same env file, made from the committed .env.example', () => {
    expect(services['web']?.env_file).toBe('.env');
    expect(services['worker']?.env_file).toBe(services['web']?.env_file);
    expect(existsSync(join(root, '.env.example'))).toBe(true);
    expect(read('docker-compose.yml')).toContain('cp .env.example .env');
  });

  it.each(Object.keys(services))('%s is never privileged and adds no capability', (name) => {
    const service = services[name] as Service;
    expect(service.privileged ?? false).toBe(false);
    expect(service.cap_add ?? []).toEqual([]);
  });

  // The worker runs untrusted build code under bubblewrap, which needs the user namespaces
  // and mounts Docker's seccomp and AppArmor defaults refuse: lifted for it alone.
  it.each(Object.keys(services))('%s lifts Docker\'s profiles only if it is the worker, and only seccomp and AppArmor', (name) => {
    const service = services[name] as Service;
    expect(service.security_opt ?? []).toEqual(name === 'worker' ? ['seccomp=unconfined', 'apparmor=unconfined'] : []);
  });
});

describe('.env.example', () => {
  const text = read('.env.example');
  const entries = [...text.matchAll(/^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => ({ commented: m[1] !== undefined, name: m[2] ?? '', value: m[3] ?? '' }));

  it('lists exactly the settings of src/config.ts, in order', () => {
    expect(entries.map((e) => e.name)).toEqual(Object.values(SETTINGS).map((s) => s.env));
  });

  it.each(Object.values(SETTINGS).map((s) => [s.env, s.secret] as const))('%s: a secret is an empty line to fill in, anything else is commented out', (env, secret) => {
    const entry = entries.find((e) => e.name === env);
    expect(entry?.commented).toBe(!secret);
    if (secret) expect(entry?.value).toBe('');
  });

  it('never overrides what the image sets (PORT, PYRELEASE_DATA_DIR)', () => {
    const active = entries.filter((e) => !e.commented).map((e) => e.name);
    expect(active.filter((name) => name in imageEnv)).toEqual([]);
  });

  it('is what scripts/env-example.mjs prints (regenerate it when config.ts changes)', () => {
    if (!existsSync(join(root, 'dist', 'config.js'))) throw new Error('run npm run build first');
    const printed = execFileSync(process.execPath, [join(root, 'scripts', 'env-example.mjs')], { encoding: 'utf8' });
    expect(printed).toBe(text);
  });
});
