import { AppError } from '../errors.js';
import { hasLocal, parseVersion } from '../core/pep440.js';
import type { Credentials } from './credentials.js';
import type { FileState } from './index-lookup.js';
import type { DistInfo } from './inspect.js';
import type { RegistryTarget } from './registries.js';

/**
 * Puts each file on each target exactly once. Whether a file is already there is
 * decided by asking the index (file name and sha256), never by reading an upload error:
 * indexes word "already exists" differently, and a lost response after a successful
 * upload looks like a failure.
 */
export type FileOutcome = 'uploaded' | 'skipped' | 'would-upload';

export interface FileResult {
  readonly registry: string;
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
  readonly outcome: FileOutcome;
}

export interface PublishPorts {
  lookupFile(target: RegistryTarget, project: string, filename: string, auth: Credentials): Promise<FileState>;
  upload(target: RegistryTarget, info: DistInfo, auth: Credentials): Promise<void>;
  credentials(target: RegistryTarget): Promise<Credentials>;
  /**
   * True when the file the index holds under this name, with this sha256, is one
   * pyrelease uploaded itself for this very release and commit (see release-ledger.ts).
   */
  isOwnEarlierUpload?(target: RegistryTarget, info: DistInfo, indexSha256: string): Promise<boolean>;
  /** Records a file this publisher put on the index. */
  recordUpload?(target: RegistryTarget, info: DistInfo): Promise<void>;
  /** Called after each file, so progress can be recorded and logged. */
  onFile?(result: FileResult): void | Promise<void>;
}

export interface PublishRequest {
  readonly files: readonly DistInfo[];
  readonly targets: readonly RegistryTarget[];
  readonly dryRun: boolean;
}

/** Wheels first, then the sdist, as twine orders an upload (`_group_wheel_files_first`). */
export function uploadOrder(files: readonly DistInfo[]): DistInfo[] {
  return [...files].sort((a, b) =>
    a.filetype === b.filetype ? (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0) : a.filetype === 'bdist_wheel' ? -1 : 1,
  );
}

/** Problems a target's rules reveal before any request is made: permanent. */
export function ruleViolations(target: RegistryTarget, files: readonly DistInfo[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const version = parseVersion(file.version);
    if (target.rules.refusesLocalVersions && version !== null && hasLocal(version)) {
      problems.push(`${target.name} refuses local versions such as ${file.version} (${file.filename})`);
    }
    if (file.size > target.rules.maxFileBytes) {
      problems.push(`${file.filename} is ${file.size} bytes, over the ${target.rules.maxFileBytes}-byte limit of ${target.name}`);
    }
  }
  if (target.rules.oneSdistPerRelease && files.filter((f) => f.filetype === 'sdist').length > 1) {
    problems.push(`${target.name} accepts one sdist per release, and the build made several`);
  }
  return problems;
}

export async function publishFiles(request: PublishRequest, ports: PublishPorts): Promise<FileResult[]> {
  for (const target of request.targets) {
    const problems = ruleViolations(target, request.files);
    if (problems.length > 0) {
      throw new AppError('index-refused', problems.join('; '), { details: { registry: target.name } });
    }
  }
  const results: FileResult[] = [];
  const ordered = uploadOrder(request.files);
  for (const target of request.targets) {
    const auth = await ports.credentials(target);
    for (const info of ordered) {
      const outcome = await publishOne(target, info, auth, request.dryRun, ports);
      const result: FileResult = { registry: target.name, filename: info.filename, sha256: info.sha256, size: info.size, outcome };
      results.push(result);
      await ports.onFile?.(result);
    }
  }
  return results;
}

async function publishOne(target: RegistryTarget, info: DistInfo, auth: Credentials, dryRun: boolean, ports: PublishPorts): Promise<FileOutcome> {
  const before = await ports.lookupFile(target, info.name, info.filename, auth);
  if (before.state === 'present') return sameFileOrConflict(target, info, before.sha256, ports);
  if (dryRun) return 'would-upload';
  try {
    await ports.upload(target, info, auth);
  } catch (error) {
    // The upload may have landed although we saw an error (a 500 after storing, a lost
    // response, GitLab's 400 for a name it already has). The index decides.
    const after = await ports.lookupFile(target, info.name, info.filename, auth).catch(() => ({ state: 'absent' }) as const);
    if (after.state !== 'present') throw error;
    await sameFileOrConflict(target, info, after.sha256, ports);
  }
  await ports.recordUpload?.(target, info);
  return 'uploaded';
}

async function sameFileOrConflict(target: RegistryTarget, info: DistInfo, indexSha256: string | null, ports: PublishPorts): Promise<'skipped'> {
  // An index that lists no hash cannot be checked; the file name is all it tells.
  if (indexSha256 === null || indexSha256.toLowerCase() === info.sha256) return 'skipped';
  if ((await ports.isOwnEarlierUpload?.(target, info, indexSha256.toLowerCase())) === true) return 'skipped';
  throw new AppError(
    'index-conflict',
    `${target.name} already has ${info.filename} with sha256 ${indexSha256}, but this build made ${info.sha256}; a published file cannot be replaced, so release a new version`,
    { details: { registry: target.name, filename: info.filename } },
  );
}
