import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { z } from 'zod';
import { runProcess } from './run-process.js';
import { aptInstallLine, runtimePackages } from './system-packages.js';

/** A part of the build toolchain, and the Debian package (system-packages/runtime.txt) that brings it. */
export interface ToolchainPiece {
  readonly what: string;
  readonly pkg: string;
}

export type ToolchainDecision =
  | { readonly kind: 'ready' }
  /**
   * `every`: without these no build can run, so the worker takes no publish job; `some`:
   * only some projects' builds need them. `problem` names them and the apt-get line.
   */
  | { readonly kind: 'missing'; readonly every: readonly ToolchainPiece[]; readonly some: readonly ToolchainPiece[]; readonly problem: string };

export interface ToolchainProbeOptions {
  /** The interpreter builds run (PYRELEASE_BUILD_PYTHON). */
  readonly python: string;
  /** Where git and poetry are looked up, as the build's environment looks them up. */
  readonly path?: string;
  /** The worker's effective uid: root gets no sudo in the apt-get line. */
  readonly euid?: number;
  /** system-packages/runtime.txt, or another list (tests). */
  readonly packages?: URL | string;
}

/** Python modules every build path uses: `python -m build`, its venv (Debian's ensurepip), pip for build requirements. */
const MODULES: readonly ToolchainPiece[] = [
  { what: 'the Python module build (PEP 517 `python -m build`)', pkg: 'python3-build' },
  { what: 'the Python module pip (build requirements)', pkg: 'python3-pip' },
  { what: 'the Python module ensurepip (venv for isolated builds)', pkg: 'python3-venv' },
];
const MODULE_NAMES = ['build', 'pip', 'ensurepip'] as const;
const INTERPRETER_PACKAGE = 'python3';
/** Commands some builds run, looked up on PATH. */
const COMMANDS: ReadonlyArray<ToolchainPiece & { readonly command: string }> = [
  { command: 'git', what: 'git (versions from git tags: setuptools-scm, hatch-vcs; meson dist)', pkg: 'git' },
  { command: 'poetry', what: 'poetry (`build: poetry` projects)', pkg: 'python3-poetry' },
];
/** Every Debian package the probe may name: all of them are in system-packages/runtime.txt (a test checks). */
export const PROBED_PACKAGES: readonly string[] = [INTERPRETER_PACKAGE, ...MODULES.map((p) => p.pkg), ...COMMANDS.map((c) => c.pkg)];
const FIND_SPECS = 'import importlib.util, json, sys; print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]))';
const missingModules = z.array(z.string());

/**
 * Asks once, at worker start, whether this host can build: the interpreter runs and has
 * the modules every build uses (PEP 517 build, pip, venv); git (versions from git tags,
 * meson dist) and poetry (`build: poetry` projects) are needed by some builds only.
 * Without it a bare machine failed at the first release, with a build log to read.
 */
export async function probeToolchain(opts: ToolchainProbeOptions): Promise<ToolchainDecision> {
  const path = opts.path ?? '/usr/local/bin:/usr/bin:/bin';
  const every: ToolchainPiece[] = [];
  const outcome = await runProcess({ command: opts.python, args: ['-I', '-c', FIND_SPECS, ...MODULE_NAMES], cwd: tmpdir(), env: { PATH: path }, timeoutMs: 15_000, maxLogBytes: 64 * 1024 });
  const answer = outcome.kind === 'exited' && outcome.exitCode === 0 ? missingModules.safeParse(parseJson(lastLine(outcome.log))) : null;
  if (answer?.success === true) {
    MODULE_NAMES.forEach((name, i) => {
      const piece = MODULES[i];
      if (answer.data.includes(name) && piece !== undefined) every.push(piece);
    });
  } else {
    const why = outcome.kind === 'spawn-failed' ? (outcome.errno === 'ENOENT' ? 'not found' : outcome.errno) : outcome.kind !== 'exited' ? outcome.kind : outcome.exitCode === 0 ? 'no usable answer' : `exit ${outcome.exitCode}`;
    every.push({ what: `the Python interpreter ${opts.python} (${why})`, pkg: INTERPRETER_PACKAGE });
  }
  const some: ToolchainPiece[] = [];
  for (const { command, what, pkg } of COMMANDS) if (!(await onPath(command, path))) some.push({ what, pkg });
  if (every.length === 0 && some.length === 0) return { kind: 'ready' };
  const listed = await runtimePackages(opts.packages);
  const install = aptInstallLine(listed ?? [...every, ...some].map((p) => p.pkg), opts.euid ?? process.geteuid?.() ?? -1);
  const name = (pieces: readonly ToolchainPiece[]): string => pieces.map((p) => `${p.what} [Debian package ${p.pkg}]`).join(', ');
  const parts = [
    ...(every.length > 0 ? [`no build can run without ${name(every)}`] : []),
    ...(some.length > 0 ? [`some builds need ${name(some)}`] : []),
  ];
  return { kind: 'missing', every, some, problem: `${parts.join('; ')}; install what a worker needs (system-packages/runtime.txt) with: ${install}` };
}

function lastLine(log: string): string {
  return log.trim().split('\n').at(-1) ?? '';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function onPath(command: string, path: string): Promise<boolean> {
  for (const dir of path.split(delimiter).filter((d) => d !== '')) {
    if (await access(join(dir, command), constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}
