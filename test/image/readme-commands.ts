import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './image-build.js';

/**
 * The `docker run` lines of README's "Running it in production", so that the suite runs
 * the image with exactly the options the README gives users: per line, the options that
 * change what the container may do (`--security-opt`, `--cap-add`, `--cap-drop`,
 * `--privileged`, `--user`) and the command after the image name. What only wires the
 * container to its surroundings (`-d`, `--name`, `--env-file`, `-p`, `--restart`) the
 * suite does its own way (host network, environment by name).
 */
export interface ReadmeRun {
  readonly line: string;
  readonly options: readonly string[];
  readonly command: readonly string[];
}

const WIRING_WITH_VALUE = new Set(['--name', '--env-file', '-p', '--publish', '--restart', '-e', '--env', '-v', '--volume']);
const WIRING_FLAGS = new Set(['-d', '--detach', '--rm']);
const CONFINEMENT_WITH_VALUE = new Set(['--security-opt', '--cap-add', '--cap-drop', '--user', '-u']);

export function productionSection(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Running it in production');
  if (start < 0) throw new Error('README.md has no "Running it in production" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** Every `docker run ... pyrelease <command>` of the section's shell blocks (continuation lines joined). */
export function readmeRuns(image = 'pyrelease'): ReadmeRun[] {
  const blocks = [...productionSection().matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').replace(/\\\n\s*/g, ' '));
  const runs: ReadmeRun[] = [];
  for (const line of blocks.flatMap((b) => b.split('\n'))) {
    const words = line.replace(/#.*$/, '').trim().split(/\s+/);
    if (words[0] !== 'docker' || words[1] !== 'run') continue;
    const options: string[] = [];
    let i = 2;
    for (; i < words.length && words[i] !== image; i++) {
      const w = words[i] as string;
      if (WIRING_FLAGS.has(w)) continue;
      if (WIRING_WITH_VALUE.has(w)) i++;
      else if (CONFINEMENT_WITH_VALUE.has(w)) options.push(w, words[++i] as string);
      else if (w === '--privileged') options.push(w);
      else throw new Error(`README's docker run has an option the suite does not know: ${w} (${line})`);
    }
    if (i >= words.length) throw new Error(`README's docker run names no image ${image}: ${line}`);
    runs.push({ line: line.trim(), options, command: words.slice(i + 1) });
  }
  return runs;
}
