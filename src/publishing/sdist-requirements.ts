// Build requirements the operator lets isolated builds take from an sdist
// (PYRELEASE_BUILD_ALLOW_SDISTS). Building an sdist runs its code, so it happens as any
// repository code does: in the build sandbox, with no network. On the host the sdist
// is only downloaded and checked (sdist-fetch.ts), and the wheel it built is installed
// by pip like any other wheel (installing a wheel runs no code).
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { canonicalizeName } from '../core/names.js';
import { AppError } from '../errors.js';
import { fetchSdist } from './sdist-fetch.js';
import type { SdistSource } from './sdist-fetch.js';
import { extractSourceArchive } from './source-archive.js';

export interface SdistAllowance {
  /** PEP 503-normalised project names. */
  readonly names: readonly string[];
  readonly indexUrls: readonly string[];
}

export const DEFAULT_INDEX_URL = 'https://pypi.org/simple/';

/** Builds the wheel of the unpacked sdist in `srcDir`, contained; `scratch` is the worker's own empty directory for it. */
export type WheelBuilder = (srcDir: string, scratch: string) => Promise<{ readonly wheel: string; readonly log: string }>;

/** The project name a validated requirement (requirementProblem) starts with, PEP 503-normalised. */
export function requirementName(req: string): string {
  return canonicalizeName(/^[A-Za-z0-9._-]+/.exec(req.trim())?.[0] ?? '');
}

/** The requirements the operator allows from an sdist. */
export function allowedSdistRequirements(allow: SdistAllowance | undefined, reqs: readonly string[]): string[] {
  if (allow === undefined || allow.names.length === 0) return [];
  const names = new Set(allow.names.map(canonicalizeName));
  return reqs.filter((req) => names.has(requirementName(req)));
}

/**
 * Downloads each requirement's sdist, builds its wheel in the sandbox (build), and
 * returns a directory holding only those wheels, for pip's --find-links. Each wheel
 * must carry the requirement's project name: a build may write what it likes into its
 * output directory, and a wheel named after another project would replace that one.
 */
export async function wheelsFromSdists(
  src: SdistSource,
  reqs: readonly string[],
  scratch: string,
  build: WheelBuilder,
): Promise<{ readonly wheelhouse: string; readonly log: string }> {
  const wheelhouse = join(scratch, 'wheelhouse');
  await mkdir(wheelhouse, { recursive: true });
  const logs: string[] = [];
  for (const [i, req] of reqs.entries()) {
    const project = requirementName(req);
    const dir = join(scratch, `sdist-${i}`);
    await mkdir(dir, { mode: 0o700 });
    const fetched = await fetchSdist(src, project, req, dir);
    if (fetched.kind === 'skip') continue;
    const unpacked = await extractSourceArchive(fetched.path, join(dir, 'src')).catch((cause: unknown) => {
      throw new AppError('build-failed', `the sdist ${fetched.filename} could not be unpacked`, { cause });
    });
    const built = await build(unpacked.root, join(dir, 'build'));
    logs.push(built.log);
    const wheel = basename(built.wheel);
    if (canonicalizeName(wheel.split('-')[0] ?? '') !== project) {
      throw new AppError('build-output-invalid', `building ${fetched.filename} gave ${wheel}, a wheel of another project`);
    }
    await copyFile(built.wheel, join(wheelhouse, wheel));
  }
  return { wheelhouse, log: logs.join('\n') };
}
