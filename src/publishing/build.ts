import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppError } from '../errors.js';
import { buildEnvironment } from './build-env.js';
import { collectDistributions, copyDistributions } from './build-output.js';
import { runProcess } from './run-process.js';
import type { RunOutcome } from './run-process.js';

export interface BuildRequest {
  /** The extracted source (plus the repo config's `path`); a scratch copy: poetry writes its dist/ here. */
  readonly projectDir: string;
  readonly tool: 'build' | 'poetry';
  /** The canonical version being released. */
  readonly version: string;
  /** Created if missing; must be empty. */
  readonly outDir: string;
  /** false adds --no-isolation --skip-dependency-check (tests; images with preinstalled backends). */
  readonly isolation: boolean;
  readonly timeoutMs: number;
  readonly maxLogBytes: number;
  readonly python?: string;
  readonly poetry?: string;
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Operator settings (PYRELEASE_BUILD_PIP_INDEX_URL and kin), passed to pip as PIP_INDEX_URL. */
  readonly pipIndexUrl?: string;
  readonly pipExtraIndexUrl?: string;
  /**
   * 'unshare' runs the build in new user, PID and mount namespaces with its own /proc
   * (util-linux unshare, unprivileged user namespaces). Without it the build runs as the
   * worker's user and can read the worker's environment from /proc/<pid>/environ, so
   * secrets handed to the worker through its environment are NOT safe from it.
   * Default 'none', because Docker's default seccomp profile refuses user namespaces.
   */
  readonly sandbox?: 'none' | 'unshare';
  readonly unshare?: string;
}

export interface BuildResult {
  readonly sdist: string;
  readonly wheels: readonly string[];
  readonly log: string;
  readonly durationMs: number;
}

const ERROR_LOG_TAIL = 2048;

/**
 * Builds an sdist and wheels with a PEP 517 frontend, in a fresh HOME and TMPDIR, with
 * an allowlisted environment (build-env.ts), under a timeout that kills the whole
 * process group (run-process.ts).
 *
 * With `build`, no --sdist/--wheel flags: build 0.9 then makes the sdist first and the
 * wheel from the unpacked sdist, which proves the sdist is complete (a file missing
 * from MANIFEST.in fails here rather than for the first user who installs from it).
 */
export async function buildDistributions(req: BuildRequest): Promise<BuildResult> {
  const projectDir = resolve(req.projectDir);
  const outDir = resolve(req.outDir);
  const isDir = await stat(projectDir).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new AppError('build-failed', `the project directory does not exist: ${req.projectDir}`);
  await mkdir(outDir, { recursive: true });
  if ((await readdir(outDir)).length > 0) throw new Error(`build output directory is not empty: ${outDir}`);

  const scratch = await mkdtemp(join(tmpdir(), 'pyrelease-build-'));
  try {
    const home = join(scratch, 'home');
    const tmp = join(scratch, 'tmp');
    await Promise.all([mkdir(home, { mode: 0o700 }), mkdir(tmp, { mode: 0o700 })]);
    const env = buildEnvironment(req.baseEnv ?? process.env, {
      home,
      tmp,
      version: req.version,
      ...(req.pipIndexUrl === undefined ? {} : { pipIndexUrl: req.pipIndexUrl }),
      ...(req.pipExtraIndexUrl === undefined ? {} : { pipExtraIndexUrl: req.pipExtraIndexUrl }),
    });
    // poetry 1.3 has no --output: it writes projectDir/dist, which must not hold old files.
    if (req.tool === 'poetry') await rm(join(projectDir, 'dist'), { recursive: true, force: true });
    const [command, args] = commandFor(req, outDir);
    const outcome = await runProcess({ command, args, cwd: projectDir, env, timeoutMs: req.timeoutMs, maxLogBytes: req.maxLogBytes });
    const { log, durationMs } = judge(outcome, req, command);
    const found = await collectDistributions(req.tool === 'poetry' ? join(projectDir, 'dist') : outDir);
    const files = req.tool === 'poetry' ? await copyDistributions(found, outDir) : found;
    return { sdist: files.sdist, wheels: files.wheels, log, durationMs };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function commandFor(req: BuildRequest, outDir: string): [string, string[]] {
  const noIsolation = req.isolation ? [] : ['--no-isolation', '--skip-dependency-check'];
  const [command, args]: [string, string[]] =
    req.tool === 'poetry'
      ? [req.poetry ?? 'poetry', ['build', '--no-interaction', '--no-ansi']]
      : [req.python ?? '/usr/bin/python3', ['-m', 'build', ...noIsolation, '--outdir', outDir, '.']];
  if (req.sandbox !== 'unshare') return [command, args];
  // --fork makes the build PID 1 of its namespace: when it dies, the kernel kills
  // everything left in there, and --kill-child ties it to unshare's own life.
  const wrap = ['--user', '--map-current-user', '--pid', '--fork', '--mount-proc', '--kill-child', '--'];
  return [req.unshare ?? 'unshare', [...wrap, command, ...args]];
}

/** Turns a finished run into the log, or into the AppError that says why it failed. */
function judge(outcome: RunOutcome, req: BuildRequest, command: string): { log: string; durationMs: number } {
  if (outcome.kind === 'spawn-failed') {
    const what = outcome.errno === 'ENOENT' ? 'was not found' : `could not be started (${outcome.errno})`;
    throw new AppError('build-failed', `the build tool ${command} ${what}; install it in the worker image or set its path`, {
      details: { tool: req.tool, command, errno: outcome.errno },
    });
  }
  const log = redactIndexCredentials(outcome.log, [req.pipIndexUrl, req.pipExtraIndexUrl]);
  const details = { tool: req.tool, durationMs: outcome.durationMs, logBytesCut: outcome.cutBytes };
  if (outcome.kind === 'timeout') {
    throw new AppError('build-timeout', `the build ran longer than ${req.timeoutMs} ms and was killed\n${tail(log)}`, { details });
  }
  if (outcome.kind === 'signalled') {
    throw new AppError('build-failed', `the build was killed by ${outcome.signal}\n${tail(log)}`, { details });
  }
  if (outcome.exitCode !== 0) {
    throw new AppError('build-failed', `the build exited with code ${outcome.exitCode}\n${tail(log)}`, {
      details: { ...details, exitCode: outcome.exitCode },
    });
  }
  return { log, durationMs: outcome.durationMs };
}

function tail(log: string): string {
  return log.length > ERROR_LOG_TAIL ? `[...]\n${log.slice(-ERROR_LOG_TAIL)}` : log;
}

/** pip masks passwords in index URLs, but a build backend printing its env would not. */
function redactIndexCredentials(log: string, urls: ReadonlyArray<string | undefined>): string {
  let out = log;
  for (const url of urls) {
    if (url === undefined) continue;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      continue;
    }
    for (const secret of [parsed.password, decodeURIComponent(parsed.password)]) {
      if (secret.length >= 4) out = out.split(secret).join('****');
    }
  }
  return out;
}
