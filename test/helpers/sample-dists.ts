import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's interpreter: it has build, setuptools, hatchling and poetry; the pyenv one on PATH does not. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export interface SampleDists {
  readonly dir: string;
  readonly sdist: string;
  readonly wheel: string;
}

const cache = new Map<string, Promise<SampleDists>>();

/**
 * Builds a tiny, real setuptools project (sdist + wheel) with `python3 -m build` and
 * returns the files. Cached per name and version within one test process, since a
 * build takes about a second.
 */
export function sampleDists(version = '1.2.3', name = 'sample-pkg'): Promise<SampleDists> {
  const key = `${name}@${version}`;
  let built = cache.get(key);
  if (built === undefined) {
    built = buildSample(name, version);
    cache.set(key, built);
  }
  return built;
}

async function buildSample(name: string, version: string): Promise<SampleDists> {
  const root = await mkdtemp(join(tmpdir(), 'pyrelease-sample-'));
  const project = join(root, 'project');
  const module = name.replace(/[-.]/g, '_').toLowerCase();
  await mkdir(join(project, 'src', module), { recursive: true });
  await writeFile(
    join(project, 'pyproject.toml'),
    `[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "${name}"
version = "${version}"
description = "A tiny sample"
readme = "README.md"
requires-python = ">=3.8"
license = {text = "MIT"}
authors = [{name = "Ann Example", email = "ann@example.invalid"}]
keywords = ["sample", "test"]
classifiers = ["Programming Language :: Python :: 3"]
dependencies = ["packaging>=20"]

[project.optional-dependencies]
cli = ["click"]

[project.urls]
Homepage = "https://example.invalid/sample"
`,
  );
  await writeFile(join(project, 'README.md'), '# Sample\n\nHello from a test.\n');
  await writeFile(join(project, 'src', module, '__init__.py'), `__version__ = "${version}"\n`);
  const out = join(root, 'dist');
  // -n: no isolated venv (PyPI is unreachable here); -x: Debian's setuptools satisfies the requirement.
  await run(SYSTEM_PYTHON, ['-m', 'build', '-n', '-x', '-o', out, project], { timeout: 120_000 });
  const files = await readdir(out);
  const sdist = files.find((f) => f.endsWith('.tar.gz'));
  const wheel = files.find((f) => f.endsWith('.whl'));
  if (sdist === undefined || wheel === undefined) throw new Error(`sample build produced ${files.join(', ')}`);
  return { dir: out, sdist: join(out, sdist), wheel: join(out, wheel) };
}
