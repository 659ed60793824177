import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real, buildable setuptools project whose setup.py first runs `attack` (Python,
 * indented by four spaces inside a try block). The attack prints
 * `PYRELEASE-ATTACK <name> SUCCEEDED ...` when it gets through and `... blocked: <why>`
 * when the sandbox stops it; the build then goes on, so a test sees both the build's
 * outcome and the attack's.
 */
export async function attackProject(name: string, attack: string, opts: { failBuild?: boolean } = {}): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), `pyrelease-attack-${name}-`)), 'project');
  await mkdir(join(dir, 'attack_pkg'), { recursive: true });
  await writeFile(join(dir, 'attack_pkg', '__init__.py'), '__version__ = "1.0.0"\n');
  await writeFile(
    join(dir, 'pyproject.toml'),
    '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "attack-pkg"\nversion = "1.0.0"\n',
  );
  const indented = attack.trim().split('\n').map((line) => `    ${line}`).join('\n');
  await writeFile(
    join(dir, 'setup.py'),
    [
      'import os, socket, sys, time',
      'from setuptools import setup',
      '',
      'def report(what):',
      `    print("PYRELEASE-ATTACK ${name} " + what, flush=True)`,
      '',
      // setup.py runs once per PEP 517 hook: attack once, on the sdist.
      'if "sdist" in sys.argv:',
      '  try:',
      indented,
      '  except BaseException as e:',
      '    report("blocked: %s: %s" % (type(e).__name__, e))',
      opts.failBuild === true ? 'raise SystemExit(3)' : '',
      'setup()',
      '',
    ].join('\n'),
  );
  return dir;
}

/** The processes whose command line holds `marker` (left behind by a build, if any). */
export async function processesWith(marker: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
  const found: number[] = [];
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) found.push(Number(pid));
  }
  return found;
}

/**
 * The host uids of the build's `sh -c "sleep N; : <marker>"` process, polled every 100 ms
 * until `until` settles.
 */
export async function hostUidsOf(marker: string, until: Promise<unknown>): Promise<number[]> {
  const seen = new Set<number>();
  let done = false;
  void until.finally(() => {
    done = true;
  });
  while (!done) {
    // Only the build's own `sh -c "sleep 3; : marker"`: the worker and its launcher carry the marker as an argument too.
    for (const pid of await processesWith(`: ${marker}`)) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      if (uid !== undefined) seen.add(Number(uid));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return [...seen];
}
