import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readBuildSystem } from '../core/build-system.js';
import { judgeRun } from './build-judge.js';
import type { Containment } from './containment.js';
import { runContained } from './contained-run.js';
import type { Workspace } from './contained-run.js';
import type { SystemDirs } from './sandbox-argv.js';

/**
 * meson-python makes its sdist with `meson dist`, which works only in a git or
 * Mercurial checkout ("Dist currently only works with Git or Mercurial repos": meson
 * 1.0's mdist.py, still so in mesonbuild/meson-python#640). A forge archive has no .git,
 * so such a project gets one: the extracted source committed once, as it is. The sdist
 * then holds what the maintainer's own `python -m build` would put in it (meson dist
 * takes the committed files; .gitignore applies, as in their checkout).
 *
 * True for a project whose backend is mesonpy (numpy's vendored copy included) or that
 * requires meson-python (an in-tree backend wrapping it), unless it already has a .git.
 */
export async function needsGitSnapshot(projectDir: string): Promise<boolean> {
  if ((await lstat(join(projectDir, '.git')).catch(() => null)) !== null) return false;
  const text = await readFile(join(projectDir, 'pyproject.toml'), 'utf8').catch(() => null);
  const system = readBuildSystem(text);
  if (!system.ok) return false;
  const backendModule = system.value.backend.split(':')[0]?.split('.')[0];
  const requiresMesonPython = system.value.requires.some((r) => /^meson[-_.]python(?![A-Za-z0-9._-])/i.test(r.trim()));
  return backendModule === 'mesonpy' || requiresMesonPython;
}

// No system or user git config (HOME is the build's fresh one anyway), a fixed identity.
const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'pyrelease',
  GIT_AUTHOR_EMAIL: 'pyrelease@localhost',
  GIT_COMMITTER_NAME: 'pyrelease',
  GIT_COMMITTER_EMAIL: 'pyrelease@localhost',
};

const STEPS: ReadonlyArray<readonly string[]> = [
  ['-c', 'init.defaultBranch=main', 'init', '-q'],
  ['add', '-A'],
  ['-c', 'commit.gpgSign=false', 'commit', '-q', '--no-verify', '-m', 'the released source, committed by pyrelease for meson dist'],
];

/**
 * Commits the project's source as it is, in the build's own containment (the source is
 * the repository's, untrusted: git reads it where the build would), with the build's
 * environment. Returns git's log; a failed step is the build's failure.
 */
export async function gitSnapshot(run: {
  readonly containment: Containment;
  readonly system: SystemDirs;
  readonly ws: Workspace;
  /** The project directory as the command sees it (inside the sandbox when contained). */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly maxLogBytes: number;
}): Promise<string> {
  const logs: string[] = [];
  for (const args of STEPS) {
    const outcome = await runContained(run.containment, run.system, run.ws, {
      command: '/usr/bin/git',
      args,
      cwd: run.cwd,
      env: { ...run.env, ...GIT_ENV },
      timeoutMs: Math.max(1, run.deadline - Date.now()),
      maxLogBytes: run.maxLogBytes,
    });
    logs.push(judgeRun(outcome, { tool: 'git', command: '/usr/bin/git', timeoutMs: run.timeoutMs, secrets: [] }).log);
  }
  return logs.filter((l) => l !== '').join('\n');
}
