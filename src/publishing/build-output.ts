import { constants } from 'node:fs';
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';

export interface BuiltFiles {
  readonly sdist: string;
  readonly wheels: readonly string[];
}

/**
 * Finds the distributions a build left in `dir`: exactly one sdist (.tar.gz) and at
 * least one wheel. Other files are ignored (a build may leave logs), but a .whl or
 * .tar.gz that is not a regular file is refused: a hostile build could leave a symlink
 * `x.whl -> /etc/shadow` for the uploader to read.
 */
export async function collectDistributions(dir: string): Promise<BuiltFiles> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  const dists = entries.filter((e) => e.name.endsWith('.tar.gz') || e.name.endsWith('.whl'));
  const odd = dists.find((e) => !e.isFile());
  if (odd !== undefined) throw invalid(`${odd.name} is not a regular file`);
  const sdists = dists.filter((e) => e.name.endsWith('.tar.gz')).map((e) => e.name).sort();
  const wheels = dists.filter((e) => e.name.endsWith('.whl')).map((e) => e.name).sort();
  const [sdist] = sdists;
  if (sdists.length !== 1 || sdist === undefined) {
    throw invalid(`expected exactly one sdist, found ${sdists.length}${sdists.length > 0 ? `: ${sdists.join(', ')}` : ''}`);
  }
  if (wheels.length === 0) throw invalid('expected at least one wheel, found none');
  return { sdist: join(dir, sdist), wheels: wheels.map((w) => join(dir, w)) };
}

/** Copies collected files into `outDir` (for tools that only write to their own dist/). */
export async function copyDistributions(files: BuiltFiles, outDir: string): Promise<BuiltFiles> {
  const copy = async (file: string): Promise<string> => {
    const target = join(outDir, file.slice(file.lastIndexOf('/') + 1));
    await copyFile(file, target, constants.COPYFILE_EXCL);
    return target;
  };
  return { sdist: await copy(files.sdist), wheels: await Promise.all(files.wheels.map(copy)) };
}

function invalid(message: string): AppError {
  return new AppError('build-output-invalid', `the build did not produce usable distributions: ${message}`);
}
