import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppError } from '../errors.js';
import { buildEnvironment } from './build-env.js';
import { buildIsolated } from './build-isolated.js';
import { judgeRun } from './build-judge.js';
import { collectDistributions, copyDistributions } from './build-output.js';
import { INSIDE } from './containment.js';
import type { Containment } from './containment.js';
import { runContained } from './contained-run.js';
import type { Workspace } from './contained-run.js';
import { gitSnapshot, needsGitSnapshot } from './git-snapshot.js';
import type { SystemDirs } from './sandbox-argv.js';
import { DEFAULT_INDEX_URL } from './sdist-requirements.js';

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
  /** Build requirements an isolated build may build from their sdist, in the sandbox (PYRELEASE_BUILD_ALLOW_SDISTS). */
  readonly allowSdists?: readonly string[];
  /** How the build is contained (sandbox-probe.ts decides it once per worker); omitted: not contained. */
  readonly sandbox?: { readonly containment: Containment; readonly system: SystemDirs };
}

export interface BuildResult {
  readonly sdist: string;
  readonly wheels: readonly string[];
  readonly log: string;
  readonly durationMs: number;
}

const NO_SYSTEM: SystemDirs = { '/bin': null, '/sbin': null, '/lib': null, '/lib32': null, '/lib64': null };

/**
 * Builds an sdist and wheels, in a fresh HOME and TMPDIR, with an allowlisted
 * environment (build-env.ts), contained as the worker decided (containment.ts), under a
 * timeout that ends every process the build started (run-process.ts).
 *
 * With `build`, no --sdist/--wheel flags: build then makes the sdist first and the
 * wheel from the unpacked sdist, which proves the sdist is complete (a file missing
 * from MANIFEST.in fails here rather than for the first user who installs from it).
 * A contained isolated build does the same in steps (build-isolated.ts).
 */
export async function buildDistributions(req: BuildRequest): Promise<BuildResult> {
  const started = Date.now();
  const projectDir = resolve(req.projectDir);
  const outDir = resolve(req.outDir);
  const isDir = await stat(projectDir).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new AppError('build-failed', `the project directory does not exist: ${req.projectDir}`);
  await mkdir(outDir, { recursive: true });
  if ((await readdir(outDir)).length > 0) throw new Error(`build output directory is not empty: ${outDir}`);
  const containment: Containment = req.sandbox?.containment ?? { kind: 'off' };
  const system = req.sandbox?.system ?? NO_SYSTEM;
  const contained = containment.kind !== 'off';

  // 0700 and the worker's: the sandbox gets its subdirectories as mounts, nothing else.
  const scratch = await mkdtemp(join(tmpdir(), 'pyrelease-build-'));
  try {
    const ws: Workspace = { src: projectDir, out: outDir, home: join(scratch, 'home'), tmp: join(scratch, 'tmp'), private: scratch };
    await Promise.all([mkdir(ws.home, { mode: 0o700 }), mkdir(ws.tmp, { mode: 0o700 })]);
    const env = buildEnvironment(contained ? { ...(req.baseEnv ?? process.env), PATH: undefined } : (req.baseEnv ?? process.env), {
      home: contained ? INSIDE.home : ws.home,
      tmp: contained ? INSIDE.tmp : ws.tmp,
      version: req.version,
      ...(req.pipIndexUrl === undefined ? {} : { pipIndexUrl: req.pipIndexUrl }),
      ...(req.pipExtraIndexUrl === undefined ? {} : { pipExtraIndexUrl: req.pipExtraIndexUrl }),
    });
    const secrets = [req.pipIndexUrl, req.pipExtraIndexUrl];
    const python = req.python ?? '/usr/bin/python3';
    // meson-python's sdist needs a git checkout, which a forge archive is not (git-snapshot.ts).
    const snapshotLog = req.tool === 'build' && (await needsGitSnapshot(projectDir))
      ? await gitSnapshot({ containment, system, ws, cwd: contained ? INSIDE.src : projectDir, env, deadline: started + req.timeoutMs, timeoutMs: req.timeoutMs, maxLogBytes: req.maxLogBytes })
      : '';
    const withSnapshot = (log: string): string => (snapshotLog === '' ? log : `${snapshotLog}\n${log}`);
    if (contained && req.isolation && req.tool === 'build') {
      const pipEnv = buildEnvironment(req.baseEnv ?? process.env, { home: ws.home, tmp: ws.tmp, version: req.version, ...pipIndex(req) });
      const built = await buildIsolated({
        containment, system, ws, python, env, pipEnv, deadline: started + req.timeoutMs, timeoutMs: req.timeoutMs, maxLogBytes: req.maxLogBytes, secrets,
        sdists: { names: req.allowSdists ?? [], indexUrls: [req.pipIndexUrl ?? DEFAULT_INDEX_URL, ...(req.pipExtraIndexUrl === undefined ? [] : [req.pipExtraIndexUrl])] },
      });
      return { sdist: built.sdist, wheels: built.wheels, log: withSnapshot(built.log), durationMs: Date.now() - started };
    }
    // poetry 1.3 has no --output: it writes projectDir/dist, which must not hold old files.
    if (req.tool === 'poetry') await rm(join(projectDir, 'dist'), { recursive: true, force: true });
    const [command, args] = commandFor(req, python, contained ? INSIDE.out : outDir);
    const outcome = await runContained(containment, system, ws, {
      command, args, cwd: contained ? INSIDE.src : projectDir, env, timeoutMs: req.timeoutMs, maxLogBytes: req.maxLogBytes,
    });
    const { log, durationMs } = judgeRun(outcome, { tool: req.tool, command, timeoutMs: req.timeoutMs, secrets });
    const found = await collectDistributions(req.tool === 'poetry' ? join(projectDir, 'dist') : outDir);
    const files = req.tool === 'poetry' ? await copyDistributions(found, outDir) : found;
    return { sdist: files.sdist, wheels: files.wheels, log: withSnapshot(log), durationMs };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function pipIndex(req: BuildRequest): { pipIndexUrl?: string; pipExtraIndexUrl?: string } {
  return {
    ...(req.pipIndexUrl === undefined ? {} : { pipIndexUrl: req.pipIndexUrl }),
    ...(req.pipExtraIndexUrl === undefined ? {} : { pipExtraIndexUrl: req.pipExtraIndexUrl }),
  };
}

/** The one command of a build that is not split into steps (poetry, or `build` without isolation, or uncontained). */
function commandFor(req: BuildRequest, python: string, outDir: string): [string, string[]] {
  const noIsolation = req.isolation ? [] : ['--no-isolation', '--skip-dependency-check'];
  return req.tool === 'poetry'
    ? [req.poetry ?? 'poetry', ['build', '--no-interaction', '--no-ansi']]
    : [python, ['-m', 'build', ...noIsolation, '--outdir', outDir, '.']];
}
