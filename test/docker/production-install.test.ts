import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrangeReleaseAndChanges, assertEverythingOnce } from '../faults/helpers/arrange.js';
import { bothForges } from '../faults/helpers/both-forges.js';
import type { BothForges } from '../faults/helpers/both-forges.js';
import { deliveriesFor, send } from '../faults/helpers/deliveries.js';
import { startFakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../fakes/fake-gitlab.js';
import { watchProcess } from '../helpers/worker-process.js';
import type { CliProcess } from '../helpers/worker-process.js';
import { execArgs, keyValues, parseDockerfile } from './dockerfile-parser.js';
import type { Stage } from './dockerfile-parser.js';

// The image's /app, rehearsed without a Docker engine: the files the runtime stage copies
// from the build stage, with node_modules pruned by the build stage's own commands (from
// `npm prune --omit=dev` on). A module the compiled code needs but that is only a
// devDependency passes every other test (they run on the full node_modules) and breaks
// only the image; here it fails. Needs the built dist/ (npm test builds it).
const root = join(import.meta.dirname, '..', '..');
const dockerfile = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const final = dockerfile.stages.at(-1) as Stage;
const build = dockerfile.stages.find((s) => s.name === 'build') as Stage;
const buildWorkdir = build.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args ?? '/';
const finalUser = final.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args ?? 'root';
const finalUid = Number(/--uid (\d+)[^&]*\b/.exec(final.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' '))?.[1]);
const lastArgs = (keyword: string): string => final.instructions.filter((i) => i.keyword === keyword).at(-1)?.args ?? '[]';
const entrypoint = execArgs(lastArgs('ENTRYPOINT'));
const defaultCommand = execArgs(lastArgs('CMD'));
/** How the image starts by default: ENTRYPOINT then CMD, exec form (tini, node, the CLI, `serve`). */
const startCommand = [...entrypoint, ...defaultCommand];
const healthcheck = ((args) => execArgs(args.slice(args.indexOf('CMD') + 3)))(lastArgs('HEALTHCHECK'));
const imageEnv = Object.assign({}, ...final.instructions.filter((i) => i.keyword === 'ENV').map((i) => keyValues(i.args))) as Record<string, string>;

/** The build stage's commands from `npm prune` on: what makes the image's node_modules. */
function pruneCommands(): string[] {
  const run = build.instructions.find((i) => i.keyword === 'RUN' && i.args.includes('npm prune'));
  if (run === undefined) throw new Error('the build stage runs no npm prune');
  const commands = run.args.split('&&').map((c) => c.trim());
  return commands.slice(commands.findIndex((c) => c.startsWith('npm prune')));
}

/** What the runtime stage copies from the build stage, as paths of this repository. */
function copiedFromBuild(): string[] {
  return final.instructions
    .filter((i) => i.keyword === 'COPY' && i.args.includes('--from=build'))
    .flatMap((i) => i.args.split(/\s+/).filter((w) => !w.startsWith('--')).slice(0, -1))
    .map((source) => posix.relative(buildWorkdir, source));
}

/** Every module specifier the compiled code imports from a package (static, dynamic or side-effect imports). */
function importedSpecifiers(dir: string): Set<string> {
  const found = new Set<string>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      for (const p of importedSpecifiers(path)) found.add(p);
      continue;
    }
    if (!name.endsWith('.js')) continue;
    const text = readFileSync(path, 'utf8');
    // A specifier has no whitespace: `tok.text === 'from'` in compiled code is not an import.
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"./\s][^'"\s]*)['"]/gm)) {
      const specifier = m[1] as string;
      if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) found.add(specifier);
    }
  }
  return found;
}

const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

let app = '';
let home = '';

/** Whether this run can start the service as the image's user: only root may switch to it. */
const asImageUser = (): { uid?: number; gid?: number } => (process.getuid?.() === 0 && Number.isInteger(finalUid) ? { uid: finalUid, gid: finalUid } : {});

/**
 * The image's /etc as far as the worker relies on it: its user, and the subordinate ids
 * the Dockerfile gives it (the build sandbox runs builds as one of them). When the suite
 * runs as root, each start happens in a private mount namespace whose /etc is an overlay
 * holding these lines, so newuidmap finds them and the host's /etc is untouched.
 */
const imageSubordinate = /echo '([^']+)' > \/etc\/subuid/.exec(final.instructions.map((i) => i.args).join(' '))?.[1];
function imageUserPrefix(): string[] {
  const user = asImageUser();
  if (user.uid === undefined) return [];
  const etc = mkdtempSync(join(tmpdir(), 'pyrelease-image-etc-'));
  mkdirSync(join(etc, 'upper'));
  mkdirSync(join(etc, 'work'));
  const script = [
    'set -e',
    'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/work" /etc',
    `echo '${finalUser}:x:${user.uid}:${user.uid}::/var/lib/pyrelease:/usr/sbin/nologin' >> /etc/passwd`,
    `echo '${finalUser}:x:${user.uid}:' >> /etc/group`,
    ...(imageSubordinate === undefined ? [] : [`echo '${imageSubordinate}' > /etc/subuid`, `echo '${imageSubordinate}' > /etc/subgid`]),
    'shift',
    `exec setpriv --reuid=${user.uid} --regid=${user.uid} --clear-groups -- "$@"`,
  ].join('\n');
  return ['unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', etc];
}

/** The image's start command with `command` for CMD, in /app, as the image's user, with the image's ENV and then `env`. */
function startAsImage(command: string[], env: Record<string, string>): CliProcess {
  // tini and node from PATH, as in the image: node is the one running this suite.
  const [first, ...rest] = [...imageUserPrefix(), ...entrypoint, ...command];
  return watchProcess(
    spawn(first as string, rest, {
      cwd: app,
      stdio: ['ignore', 'pipe', 'pipe'],
      // In the container tini is PID 1 and reaps orphans; here it is asked to (and not to warn).
      env: { PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, HOME: home, TINI_SUBREAPER: '1', ...imageEnv, ...env },
    }),
  );
}

/** The first JSON log line whose message is `msg`, parsed. */
async function lineWith(p: CliProcess, msg: string): Promise<Record<string, unknown>> {
  return JSON.parse(await p.waitForLine(new RegExp(`"msg":"${msg}"`))) as Record<string, unknown>;
}

const errorLines = (p: CliProcess): string[] => p.lines.filter((l) => /"level":(50|60)/.test(l));

beforeAll(() => {
  const base = mkdtempSync(join(tmpdir(), 'pyrelease-image-'));
  chmodSync(base, 0o755);
  app = join(base, 'app');
  home = join(base, 'home');
  mkdirSync(app);
  mkdirSync(home);
  // package-lock.json is what `npm prune` reads in the build stage; the image does not ship it.
  for (const path of [...copiedFromBuild(), 'package-lock.json']) execFileSync('cp', ['-a', join(root, path), join(app, path)]);
  // The Dockerfile's own commands, offline: the packages are those this checkout installed from the lock.
  for (const command of pruneCommands()) execFileSync('sh', ['-c', command], { cwd: app, stdio: 'pipe', env: { ...process.env, npm_config_offline: 'true' } });
  rmSync(join(app, 'package-lock.json'));
  const user = asImageUser();
  if (user.uid !== undefined) chownSync(home, user.uid, user.uid);
}, 120_000);
afterAll(() => {
  if (app !== '') rmSync(join(app, '..'), { recursive: true, force: true });
});

describe("the image's /app, with production dependencies only", () => {
  it('holds no devDependency, and the rehearsal copied what the runtime stage copies', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(Object.keys(pkg.devDependencies).filter((name) => existsSync(join(app, 'node_modules', name)))).toEqual([]);
    expect(copiedFromBuild().sort()).toEqual(['app.yml', 'bin', 'dist', 'node_modules', 'package.json']);
    expect(pruneCommands()[0]).toMatch(/^npm prune --omit=dev\b/);
  });

  it('loads every package the compiled code imports from there', () => {
    const specifiers = [...importedSpecifiers(join(app, 'dist'))].sort();
    // A scan that finds nothing would pass vacuously: these are imported somewhere in dist/.
    expect(specifiers.map(packageOf)).toEqual(expect.arrayContaining(['bullmq', 'ioredis', 'probot', '@gitbeaker/rest', 'zod', 'pino', 'tar', 'yauzl']));
    // Imported from a module inside /app, so resolution cannot reach this repository's node_modules.
    const script = `for (const name of ${JSON.stringify(specifiers)}) await import(name);\nconsole.log('loaded ' + ${specifiers.length});`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(app, 'dist'), encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
    expect(out.trim()).toBe(`loaded ${specifiers.length}`);
  });

  describe(`starts as the image does (${startCommand.join(' ')}; web and workers, both forges) from there`, () => {
    let gitlab: FakeGitlab | undefined;
    let serve: CliProcess | undefined;
    const prefix = `{pyrelease-test-image-${randomBytes(4).toString('hex')}}`;
    const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    afterAll(async () => {
      serve?.kill('SIGKILL');
      await gitlab?.close();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    it(`as the image's user (${finalUser}, uid ${finalUid}) when the suite runs as root: healthz, readyz, metrics and the HEALTHCHECK answer, and SIGTERM through tini ends it with 0`, async () => {
      expect(startCommand.slice(0, 2), 'the image starts tini first').toEqual(['tini', '--']);
      gitlab = await startFakeGitlab();
      const gitlabToken = `glpat-${randomBytes(10).toString('hex')}`;
      gitlab.addUser('pyrelease-bot', gitlabToken);
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
      serve = startAsImage(defaultCommand, {
        // A data dir and port of the test's own instead of the image's.
        PYRELEASE_DATA_DIR: home,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        REDIS_URL: 'redis://127.0.0.1:6379',
        PYRELEASE_QUEUE_PREFIX: prefix,
        PYRELEASE_SWEEP_INTERVAL_MS: '0',
        GITLAB_URL: gitlab.url,
        GITLAB_TOKEN: gitlabToken,
        GITLAB_WEBHOOK_SECRET: randomBytes(12).toString('hex'),
        APP_ID: '4242',
        APP_SLUG: 'pyrelease-image-test',
        PRIVATE_KEY: privateKey,
        WEBHOOK_SECRET: randomBytes(12).toString('hex'),
      });
      const url = String((await lineWith(serve, 'pyrelease is listening'))['url']);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // The image's HEALTHCHECK command, run as Docker runs it in the container: healthy now.
      const port = new URL(url).port;
      const check = (): number => {
        try {
          execFileSync(healthcheck[0] as string, healthcheck.slice(1), { cwd: app, env: { PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, ...imageEnv, PORT: port }, stdio: 'pipe', timeout: 10_000 });
          return 0;
        } catch (error) {
          return (error as { status?: number }).status ?? -1;
        }
      };
      expect(check()).toBe(0);
      const ready = await fetch(`${url}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', redis: 'ok', gitlab: 'ok', github: 'ok' });
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^pyrelease_/m);
      serve.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
      // And unhealthy once it is gone.
      expect(check()).toBe(1);
      // Nothing it logged was an error: a missing module would have been one.
      expect(errorLines(serve)).toEqual([]);
    }, 60_000);
  });

  describe('publishes releases with `worker` started as the image does, beside a web process', () => {
    let h: BothForges | undefined;
    let worker: CliProcess | undefined;
    afterAll(async () => {
      worker?.kill('SIGKILL');
      await h?.close();
    });

    it(`as the image's user (uid ${finalUid} when the suite runs as root): both forges' releases built, uploaded and reported once, then SIGTERM ends it with 0`, async () => {
      h = await bothForges({ runWorkers: false });
      const s = h;
      await arrangeReleaseAndChanges(s, 1);
      // The worker's data dir and server config where the image's user can write and read them.
      const data = join(home, 'worker-data');
      mkdirSync(data);
      const configFile = join(home, 'server.yml');
      writeFileSync(configFile, s.serverYaml);
      const user = asImageUser();
      if (user.uid !== undefined) chownSync(data, user.uid, user.uid);
      const { PORT: _port, HOST: _host, ...settings } = s.env;
      // The image's own NODE_ENV=production: the fake GitHub Enterprise speaks http, but on
      // loopback, which the transport policy allows (src/platforms/plain-http-policy.ts).
      worker = startAsImage(['worker'], { ...settings, PYRELEASE_DATA_DIR: data, PYRELEASE_CONFIG: configFile, LOG_LEVEL: 'info' });
      await lineWith(worker, 'worker started');
      // With the image's /etc (its user, its subordinate ids), builds run as a uid of their own.
      if (asImageUser().uid !== undefined) {
        expect(await lineWith(worker, 'builds are contained \\(bubblewrap: no network, own uid, limits\\)')).toMatchObject({ privilege: 'subuid', uid: 65532, proc: true });
      }

      const deliveries = deliveriesFor(s, 1);
      const answers = await Promise.all(deliveries.map((d) => send(s, d)));
      expect(answers.map((a) => a.status)).toEqual(deliveries.map(() => 200));
      await assertEverythingOnce(s, deliveries.map((d) => d.id), 1, 90_000);
      expect([...s.project.releases.keys()]).toEqual(['v1.4.0']);
      expect(s.repo.releases.map((r) => r.tagName)).toEqual(['v1.4.0']);

      worker.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(errorLines(worker)).toEqual([]);
    }, 150_000);
  });
});
