import { constants } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { readBuildSystem, requirementProblem } from '../core/build-system.js';
import type { BuildSystem } from '../core/build-system.js';
import { AppError } from '../errors.js';
import { judgeRun, redactIndexCredentials } from './build-judge.js';
import type { StepInfo } from './build-judge.js';
import { INSIDE } from './containment.js';
import type { Containment } from './containment.js';
import { runContained } from './contained-run.js';
import type { Workspace } from './contained-run.js';
import { PEP517_RUNNER } from './pep517-runner.js';
import { runProcess } from './run-process.js';
import type { RunOutcome } from './run-process.js';
import type { SystemDirs } from './sandbox-argv.js';
import { allowedSdistRequirements, wheelsFromSdists } from './sdist-requirements.js';
import type { SdistAllowance } from './sdist-requirements.js';
import { extractSourceArchive } from './source-archive.js';

export interface IsolatedBuild {
  readonly containment: Containment;
  readonly system: SystemDirs;
  /** src: the project; out: where the sdist and wheel go; private: the worker's scratch. */
  readonly ws: Workspace;
  readonly python: string;
  /** The build's environment (HOME and TMPDIR inside the sandbox). */
  readonly env: Readonly<Record<string, string>>;
  /** pip's environment on the host: the operator's index, never a repository's. */
  readonly pipEnv: Readonly<Record<string, string>>;
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly maxLogBytes: number;
  readonly secrets: ReadonlyArray<string | undefined>;
  /** Build requirements the operator allows from an sdist (PYRELEASE_BUILD_ALLOW_SDISTS). */
  readonly sdists?: SdistAllowance;
}

const hookAnswer = z.strictObject({ value: z.union([z.string(), z.array(z.string()).max(200)]) });

/**
 * pip's build isolation, split so that repository code never runs with a network:
 * the requirements pyproject.toml names are installed on the host, as wheels only
 * (installing a wheel runs no code), into an environment the sandbox mounts read-only;
 * the backend's get_requires_for_build_* hooks run in the sandbox, and what they add is
 * installed the same way; then build_sdist, and build_wheel from the unpacked sdist, as
 * `python -m build` does, so a file missing from the sdist fails here.
 */
export async function buildIsolated(b: IsolatedBuild): Promise<{ sdist: string; wheels: string[]; log: string }> {
  const logs: string[] = [];
  const { hook, extra } = await isolatedSteps(b, logs);
  await extra(b.ws, 'get_requires_for_build_sdist');
  const sdistName = await hook(b.ws, 'build_sdist');
  const sdist = await builtFile(b.ws.out, sdistName, '.tar.gz');

  // The wheel is built from the unpacked sdist, in a source tree of its own.
  const unpacked = await extractSourceArchive(sdist, join(b.ws.private, 'sdist'));
  const wheelWs: Workspace = { ...b.ws, src: unpacked.root };
  await extra(wheelWs, 'get_requires_for_build_wheel');
  const wheel = await builtFile(b.ws.out, await hook(wheelWs, 'build_wheel'), '.whl');
  return { sdist, wheels: [wheel], log: logs.join('\n') };
}

/**
 * The requirements pyproject.toml names, installed; and the two kinds of step: a hook
 * run in the sandbox, and a get_requires_for_build_* hook whose answer is installed.
 */
async function isolatedSteps(b: IsolatedBuild, logs: string[]): Promise<{
  hook: (ws: Workspace, name: string) => Promise<string | string[]>;
  extra: (ws: Workspace, name: string) => Promise<void>;
}> {
  const system = await readSystem(b.ws.src);
  const envDir = join(b.ws.private, 'env');
  const tools = join(b.ws.private, 'tools');
  await Promise.all([mkdir(envDir), mkdir(tools)]);
  await writeFile(join(tools, 'hooks.py'), PEP517_RUNNER, { mode: 0o644 });
  const readOnly = [
    { host: envDir, inside: INSIDE.env },
    { host: tools, inside: INSIDE.tools },
  ];

  await install(b, envDir, system.requires, logs);
  const hook = async (ws: Workspace, name: string): Promise<string | string[]> => {
    await writeFile(join(tools, 'spec.json'), JSON.stringify({ env: INSIDE.env, backend: system.backend, backend_path: system.backendPath, out: INSIDE.out }), { mode: 0o644 });
    const resultFile = join(ws.tmp, 'pyrelease-hook-result.json');
    await rm(resultFile, { force: true });
    const outcome = await runContained(b.containment, b.system, ws, {
      command: b.python,
      args: ['-I', '-S', `${INSIDE.tools}/hooks.py`, name, `${INSIDE.tools}/spec.json`, `${INSIDE.tmp}/pyrelease-hook-result.json`],
      cwd: INSIDE.src,
      env: b.env,
      readOnly,
      timeoutMs: remaining(b),
      maxLogBytes: b.maxLogBytes,
    });
    logs.push(judgeRun(outcome, step(b, name)).log);
    const answer = hookAnswer.safeParse(await readUntrustedJson(resultFile));
    if (!answer.success) throw new AppError('build-failed', `the build backend's ${name} hook gave no usable answer`);
    return answer.data.value;
  };
  const extra = async (ws: Workspace, name: string): Promise<void> => {
    const value = await hook(ws, name);
    if (!Array.isArray(value)) throw new AppError('build-failed', `the build backend's ${name} hook did not return a list`);
    await install(b, envDir, value, logs);
  };
  return { hook, extra };
}

/**
 * The wheel of a build requirement's unpacked sdist, as pip builds one: its own
 * requirements in an environment of its own, then build_wheel, in the sandbox. Its
 * requirements are wheels only (no sdist of an sdist), and the release's version is
 * not its version.
 */
async function wheelFromSdist(b: IsolatedBuild, srcDir: string, scratch: string): Promise<{ wheel: string; log: string }> {
  const ws: Workspace = { src: srcDir, out: join(scratch, 'out'), home: join(scratch, 'home'), tmp: join(scratch, 'tmp'), private: scratch };
  await mkdir(scratch, { mode: 0o700 });
  await Promise.all([mkdir(ws.out), mkdir(ws.home, { mode: 0o700 }), mkdir(ws.tmp, { mode: 0o700 })]);
  const { SETUPTOOLS_SCM_PRETEND_VERSION: _scm, POETRY_DYNAMIC_VERSIONING_BYPASS: _poetry, ...env } = b.env;
  const logs: string[] = [];
  const { hook, extra } = await isolatedSteps({ ...b, ws, env, sdists: { names: [], indexUrls: [] } }, logs);
  await extra(ws, 'get_requires_for_build_wheel');
  const wheel = await builtFile(ws.out, await hook(ws, 'build_wheel'), '.whl');
  return { wheel, log: logs.join('\n') };
}

async function readSystem(projectDir: string): Promise<BuildSystem> {
  const text = await readFile(join(projectDir, 'pyproject.toml'), 'utf8').catch(() => null);
  const result = readBuildSystem(text);
  if (!result.ok) throw new AppError('build-failed', `cannot read the build system: ${result.error}`);
  return result.value;
}

async function install(b: IsolatedBuild, envDir: string, reqs: readonly string[], logs: string[]): Promise<void> {
  if (reqs.length === 0) return;
  for (const req of reqs) {
    const problem = requirementProblem(req);
    if (problem !== null) throw new AppError('build-failed', `build requirement ${JSON.stringify(req.slice(0, 200))} ${problem}`);
  }
  const pip = (findLinks: string[]): Promise<RunOutcome> => {
    const args = ['-m', 'pip', 'install', '--only-binary=:all:', '--no-cache-dir', '--disable-pip-version-check', '--no-input', '--no-warn-script-location', ...findLinks, '--target', envDir, '--upgrade', '--', ...reqs];
    return runProcess({ command: b.python, args, cwd: b.ws.private, env: b.pipEnv, timeoutMs: remaining(b), maxLogBytes: b.maxLogBytes });
  };
  let outcome = await pip([]);
  // Wheels first: an allowed sdist is built only when pip found no wheel it could use.
  const fromSdist = allowedSdistRequirements(b.sdists, reqs);
  if (outcome.kind === 'exited' && outcome.exitCode !== 0 && fromSdist.length > 0 && b.sdists !== undefined) {
    logs.push(redactIndexCredentials(outcome.log, b.secrets));
    const src = { python: b.python, indexUrls: b.sdists.indexUrls, env: b.pipEnv, deadline: b.deadline };
    const made = await wheelsFromSdists(src, fromSdist, await mkdtemp(join(b.ws.private, 'sdists-')), (dir, scratch) => wheelFromSdist(b, dir, scratch));
    logs.push(made.log);
    outcome = await pip(['--find-links', made.wheelhouse]);
  }
  try {
    logs.push(judgeRun(outcome, step(b, 'pip install')).log);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    throw new AppError(
      'build-failed',
      `installing the build requirements ${reqs.join(', ')} failed. They are installed as wheels only, so that no code runs outside the sandbox: a requirement with no wheel on the index cannot be used unless the operator names it in PYRELEASE_BUILD_ALLOW_SDISTS, which builds its sdist in the sandbox.\n${error.message}`,
      { cause: error },
    );
  }
}

async function builtFile(outDir: string, name: string | string[], suffix: string): Promise<string> {
  if (typeof name !== 'string' || basename(name) !== name || !name.endsWith(suffix)) {
    throw new AppError('build-output-invalid', `the build backend named no ${suffix} file it built`);
  }
  const st = await lstat(join(outDir, name)).catch(() => null);
  if (st === null || !st.isFile()) throw new AppError('build-output-invalid', `the build backend said it built ${name}, which is not a file there`);
  return join(outDir, name);
}

/**
 * The build wrote this file: it may be a symlink to a file of the worker's, or huge.
 * O_NOFOLLOW refuses the link, and only the first 1 MiB is read.
 */
async function readUntrustedJson(path: string): Promise<unknown> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => null);
  if (handle === null) return null;
  try {
    if (!(await handle.stat()).isFile()) return null;
    const buf = Buffer.alloc(1024 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return JSON.parse(buf.subarray(0, bytesRead).toString('utf8')) as unknown;
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

function remaining(b: IsolatedBuild): number {
  const left = b.deadline - Date.now();
  if (left <= 0) throw new AppError('build-timeout', 'the build ran out of time between two of its steps');
  return left;
}

function step(b: IsolatedBuild, tool: string): StepInfo {
  return { tool, command: b.python, timeoutMs: b.timeoutMs, secrets: b.secrets };
}
