// Fetches one project's sdist from the operator's index, by reading the simple index
// (PEP 503 / 691, index-lookup.ts) and downloading the file with fetch, never with pip:
// `pip download --no-deps --no-binary NAME` prepares the sdist's metadata, which runs
// its setup.py (or its backend's prepare_metadata hook) on the host, with the network.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalizeName } from '../core/names.js';
import { AppError } from '../errors.js';
import { listIndexFiles } from './index-lookup.js';
import type { IndexFile } from './index-lookup.js';
import { runProcess } from './run-process.js';

// PyPI's default upload limit: no sdist on an index is larger.
const MAX_SDIST_BYTES = 100 * 1024 * 1024;
const SDIST = /^(.+)-([^-]+)\.tar\.gz$/;

/**
 * Picks a version with pip's own PEP 440 and PEP 508 code (vendored packaging), as pip
 * would: the highest version the specifier admits, pre-releases only when it asks for
 * them. Our code, run on the host; the requirement and the versions are only data.
 */
const CHOOSE = String.raw`
import json, sys
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.version import InvalidVersion, Version
req = Requirement(sys.argv[1])
if req.marker is not None and not req.marker.evaluate():
    print(json.dumps({"skip": True}))
    raise SystemExit(0)
valid = []
for v in json.loads(sys.argv[2]):
    try:
        Version(v)
        valid.append(v)
    except InvalidVersion:
        pass
chosen = sorted(req.specifier.filter(valid), key=Version)
print(json.dumps({"skip": False, "version": chosen[-1] if chosen else None}))
`;

export interface SdistSource {
  readonly python: string;
  /** The operator's indexes (PYRELEASE_BUILD_PIP_INDEX_URL and the extra one), credentials included. */
  readonly indexUrls: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly deadline: number;
}

export type FetchedSdist = { readonly kind: 'skip' } | { readonly kind: 'file'; readonly path: string; readonly filename: string };

/** Downloads the sdist that `requirement` (already validated, named `project`) selects into `dir`. */
export async function fetchSdist(src: SdistSource, project: string, requirement: string, dir: string): Promise<FetchedSdist> {
  const files: Array<IndexFile & { readonly indexUrl: string; readonly version: string }> = [];
  for (const indexUrl of src.indexUrls) {
    if (!/^https?:/i.test(indexUrl)) throw new AppError('config-invalid', `sdists are fetched from an http(s) index only, and PYRELEASE_BUILD_PIP_INDEX_URL is not one`);
    for (const f of await listIndexFiles(indexUrl, project, { timeoutMs: timeLeft(src) })) {
      const m = SDIST.exec(f.filename);
      if (m !== null && canonicalizeName(m[1] ?? '') === project) files.push({ ...f, indexUrl, version: m[2] ?? '' });
    }
  }
  const choice = await choose(src, requirement, files.map((f) => f.version));
  if (choice === 'skip') return { kind: 'skip' };
  const file = files.find((f) => f.version === choice);
  if (file === undefined || choice === null) throw new AppError('build-failed', `the index has no sdist of ${project} that satisfies ${requirement}`);
  if (file.url === null || file.sha256 === null) throw new AppError('build-failed', `the index lists ${file.filename} without a usable URL and sha256; it is not downloaded`);
  const path = join(dir, file.filename);
  await download(src, file.indexUrl, file.url, file.sha256, path, file.filename);
  return { kind: 'file', path, filename: file.filename };
}

async function choose(src: SdistSource, requirement: string, versions: readonly string[]): Promise<string | null | 'skip'> {
  const outcome = await runProcess({ command: src.python, args: ['-I', '-c', CHOOSE, requirement, JSON.stringify(versions)], cwd: '/', env: src.env, timeoutMs: timeLeft(src), maxLogBytes: 65536 });
  const answer = outcome.kind === 'exited' && outcome.exitCode === 0 ? lastJsonLine(outcome.log) : null;
  if (answer === null) throw new AppError('build-failed', `could not choose a version of the requirement ${requirement}`);
  return answer.skip ? 'skip' : (answer.version ?? null);
}

function lastJsonLine(log: string): { skip: boolean; version?: string | null } | null {
  try {
    return JSON.parse(log.trim().split('\n').pop() ?? 'null') as { skip: boolean; version?: string | null } | null;
  } catch {
    return null;
  }
}

/** Streams the file to `path`, refusing more than MAX_SDIST_BYTES or a sha256 other than the index's. */
async function download(src: SdistSource, indexUrl: string, url: string, sha256: string, path: string, filename: string): Promise<void> {
  const index = new URL(indexUrl);
  const target = new URL(url);
  const headers: Record<string, string> = {};
  // The index's credentials go to the index's origin only.
  const withAuth = (index.username !== '' || index.password !== '') && index.origin === target.origin;
  if (withAuth) headers['Authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(index.username)}:${decodeURIComponent(index.password)}`).toString('base64')}`;
  let res: Response;
  try {
    res = await fetch(target, { headers, redirect: withAuth ? 'error' : 'follow', signal: AbortSignal.timeout(timeLeft(src)) });
  } catch (cause) {
    throw new AppError('index-unavailable', `could not download ${filename} from the index`, { retryable: true, cause });
  }
  if (res.status !== 200 || res.body === null) {
    await res.body?.cancel();
    throw new AppError('index-unavailable', `the index answered HTTP ${res.status} for ${filename}`, { retryable: res.status === 429 || res.status >= 500 });
  }
  const hash = createHash('sha256');
  const handle = await open(path, 'wx', 0o600);
  let size = 0;
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_SDIST_BYTES) {
        await reader.cancel();
        throw new AppError('build-failed', `${filename} is larger than ${MAX_SDIST_BYTES} bytes`);
      }
      hash.update(value);
      await handle.write(value);
    }
  } finally {
    await handle.close();
  }
  if (hash.digest('hex') !== sha256) throw new AppError('build-failed', `${filename} does not have the sha256 the index lists for it`);
}

function timeLeft(src: SdistSource): number {
  const left = src.deadline - Date.now();
  if (left <= 0) throw new AppError('build-timeout', 'the build ran out of time while fetching an sdist');
  return left;
}
