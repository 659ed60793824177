import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The pyrelease image, built once per run from the unmodified Dockerfile with podman, on
 * a stand-in for node:24-bookworm-slim when no registry can be pulled from (CI here).
 *
 * - The stand-in's root filesystem (scripts/image/stand-in-base.sh, 40 s) is cached as
 *   CACHE_DIR/stand-in-<hash of the scripts>.tar for a week, and imported as
 *   docker.io/library/node:24-bookworm-slim only when the image under that name is not it.
 * - `podman build --format docker --pull=never` (docker format: OCI drops HEALTHCHECK).
 *   The build stage's `npm ci` reaches the npm registry; where TLS goes through a proxy
 *   whose CA is in $NODE_EXTRA_CA_CERTS, that file and an npmrc naming it (`cafile=`) are
 *   mounted into the build's RUN steps, so the Dockerfile stays as a user builds it.
 * - imageArchive() saves it (`podman save --format docker-archive`) under the name
 *   docker-compose.yml gives it, for `docker load -i <path>` (test/compose/).
 *
 * Several test files (separate processes) call ensureImage(): a lock dir serialises them,
 * and a state file keyed by everything the build reads lets all but the first reuse it.
 */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');
/** The build context: this checkout, or another tree (a clean export of a commit) named by PYRELEASE_IMAGE_CONTEXT. */
export const CONTEXT = process.env['PYRELEASE_IMAGE_CONTEXT'] ?? REPO_ROOT;
export const CACHE_DIR = process.env['PYRELEASE_IMAGE_CACHE'] ?? '/var/tmp/pyrelease-image-cache';
export const BASE_REF = 'docker.io/library/node:24-bookworm-slim';
/** What the suite runs. */
export const IMAGE_REF = 'localhost/pyrelease:image-test';
/** docker-compose.yml's `image: pyrelease:local`, as `docker load` names it from the archive. */
export const COMPOSE_REF = 'docker.io/library/pyrelease:local';
/** podman here: crun refuses this host's cgroups (FACTS, "Building and running the image here"). */
export const PODMAN = ['podman', '--runtime', 'runc'];
/** Without CAP_SYS_RESOURCE podman cannot raise the limits to its defaults. */
export const ULIMITS = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768'];
const BASE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export interface BuiltImage {
  readonly ref: string;
  readonly id: string;
  readonly version: string;
  /** Seconds per step of this run's build (0 where a cache answered). */
  readonly seconds: { readonly base: number; readonly import: number; readonly build: number };
}

/** Runs a command; stdout, or an error with the end of its output. `log` receives both streams instead. */
export function run(command: string, args: readonly string[], options: { log?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const fd = options.log === undefined ? null : openSync(options.log, 'a');
    const child = spawn(command, args, { stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'], env: options.env ?? process.env });
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 900_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (fd !== null) closeSync(fd);
      if (code === 0) resolve(out);
      else {
        const tail = options.log === undefined ? err : readFileSync(options.log, 'utf8').slice(-4000);
        reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${tail}`));
      }
    });
  });
}

const podman = (args: readonly string[], options: { log?: string; timeoutMs?: number } = {}): Promise<string> => run(PODMAN[0] as string, [...PODMAN.slice(1), ...args], options);
const imageId = (ref: string): Promise<string | null> => podman(['image', 'inspect', '--format', '{{.Id}}', ref]).then((s) => s.trim(), () => null);
const sha = (...parts: (string | Buffer)[]): string => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex').slice(0, 16);
const since = (t: number): number => Math.round((Date.now() - t) / 100) / 10;

/** The files of the build context that .dockerignore lets through (it excludes `*` and re-includes by name). */
function contextFiles(): string[] {
  const allowed = readFileSync(join(CONTEXT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('!'))
    .map((l) => l.slice(1).replace(/\/$/, ''));
  const walk = (rel: string): string[] => {
    const path = join(CONTEXT, rel);
    if (!existsSync(path)) return [];
    return statSync(path).isDirectory() ? readdirSync(path).sort().flatMap((n) => walk(join(rel, n))) : [rel];
  };
  return ['Dockerfile', '.dockerignore', ...allowed.flatMap(walk)];
}

/** A lock shared by the suite's processes: a directory holding its owner's pid; a dead owner's lock is taken over. */
async function withLock<T>(name: string, body: () => Promise<T>): Promise<T> {
  const dir = join(CACHE_DIR, `${name}.lock`);
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      break;
    } catch {
      const owner = Number(readFileSync(join(dir, 'pid'), 'utf8').trim() || 'NaN');
      let alive = Number.isInteger(owner);
      try {
        if (alive) process.kill(owner, 0);
      } catch {
        alive = false;
      }
      if (!alive && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function ensureBase(): Promise<{ base: number; import: number }> {
  const scripts = ['stand-in-base.sh', 'import-base.sh'].map((n) => readFileSync(join(REPO_ROOT, 'scripts', 'image', n)));
  const key = sha(...scripts, process.env['PYRELEASE_BASE_NODE'] ?? '', process.env['PYRELEASE_BASE_NPM'] ?? '');
  const tar = join(CACHE_DIR, `stand-in-${key}.tar`);
  const imported = `${tar}.imported`;
  let base = 0;
  if (!existsSync(tar) || Date.now() - statSync(tar).mtimeMs > BASE_MAX_AGE_MS) {
    const t = Date.now();
    for (const old of readdirSync(CACHE_DIR).filter((n) => n.startsWith('stand-in-'))) rmSync(join(CACHE_DIR, old), { force: true });
    await run(join(REPO_ROOT, 'scripts', 'image', 'stand-in-base.sh'), [`${tar}.partial`]);
    renameSync(`${tar}.partial`, tar);
    base = since(t);
  }
  const current = await imageId(BASE_REF);
  if (current !== null && existsSync(imported) && readFileSync(imported, 'utf8').trim() === current) return { base, import: 0 };
  const t = Date.now();
  await run(join(REPO_ROOT, 'scripts', 'image', 'import-base.sh'), ['podman', tar]);
  writeFileSync(imported, `${await imageId(BASE_REF)}\n`);
  return { base, import: since(t) };
}

/**
 * Mounts that let the build's RUN steps trust this machine's TLS proxy; none where no
 * extra CA is set. One directory over /usr/local/etc, which Debian's base-files already
 * makes (empty): npm reads $PREFIX/etc/npmrc, and node and npm live under /usr/local. A
 * file mounted where none exists would leave an empty file behind in the image.
 */
function caMounts(): string[] {
  const ca = process.env['NODE_EXTRA_CA_CERTS'];
  if (ca === undefined || ca === '' || !existsSync(ca)) return [];
  const dir = join(CACHE_DIR, 'build-etc');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'proxy-ca.pem'), readFileSync(ca));
  writeFileSync(join(dir, 'npmrc'), 'cafile=/usr/local/etc/proxy-ca.pem\n');
  return ['-v', `${dir}:/usr/local/etc:ro`];
}

let memo: Promise<BuiltImage> | undefined;

/** Builds the image unless this run (or an earlier one, from the same files) already did; its id and timings. */
export function ensureImage(): Promise<BuiltImage> {
  memo ??= (async () => {
    mkdirSync(CACHE_DIR, { recursive: true });
    return withLock('build', async () => {
      const version = (JSON.parse(readFileSync(join(CONTEXT, 'package.json'), 'utf8')) as { version: string }).version;
      const files = contextFiles();
      // How the build runs (its mounts, arguments) is part of the key as well as what it
      // reads: an image built by an earlier version of this file is not reused.
      const how = readFileSync(new URL(import.meta.url));
      const state = join(CACHE_DIR, `image-${sha(how, ...files.flatMap((f) => [f, readFileSync(join(CONTEXT, f))]))}.json`);
      const seconds = { ...(await ensureBase()), build: 0 };
      const baseId = await imageId(BASE_REF);
      if (existsSync(state)) {
        const known = JSON.parse(readFileSync(state, 'utf8')) as { id: string; baseId: string };
        if (known.baseId === baseId && (await imageId(IMAGE_REF)) === known.id) return { ref: IMAGE_REF, id: known.id, version, seconds };
      }
      const t = Date.now();
      const log = join(CACHE_DIR, 'build.log');
      rmSync(log, { force: true });
      // README's build command (docker build --build-arg VERSION=... -t pyrelease .), in podman's words.
      // --no-cache: podman's layer cache does not key on the build's mounts, so a layer
      // from a build that mounted the CA differently (and left a trace) would be reused.
      // A fresh CI machine has no cache to lose; this file's state key already skips
      // rebuilding an unchanged image.
      await podman(['build', '--no-cache', '--format', 'docker', '--pull=never', '--network', 'host', ...ULIMITS, ...caMounts(), '--build-arg', `VERSION=${version}`, '-t', IMAGE_REF, CONTEXT], { log });
      seconds.build = since(t);
      const id = (await imageId(IMAGE_REF)) as string;
      writeFileSync(state, JSON.stringify({ id, baseId, seconds }));
      return { ref: IMAGE_REF, id, version, seconds };
    });
  })();
  return memo;
}

/**
 * The built image as a docker-archive tar named pyrelease:local (docker-compose.yml's
 * image), saved once per image: `docker load -i <path>` gives dockerd the same image.
 * CACHE_DIR/pyrelease-image-<id>.tar; older ones are removed.
 */
export async function imageArchive(): Promise<{ path: string; ref: 'pyrelease:local'; id: string }> {
  const image = await ensureImage();
  const path = join(CACHE_DIR, `pyrelease-image-${image.id.slice(0, 12)}.tar`);
  await withLock('save', async () => {
    if (existsSync(path)) return;
    for (const old of readdirSync(CACHE_DIR).filter((n) => n.startsWith('pyrelease-image-'))) rmSync(join(CACHE_DIR, old), { force: true });
    await podman(['tag', image.id, COMPOSE_REF]);
    await podman(['save', '--format', 'docker-archive', '-o', `${path}.partial`, COMPOSE_REF]);
    renameSync(`${path}.partial`, path);
  });
  return { path, ref: 'pyrelease:local', id: image.id };
}
