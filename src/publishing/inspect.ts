// Reads a built distribution (wheel or .tar.gz sdist) the way twine 6.2 does before an
// upload: its core metadata, its python tag, its digests. The archive readers
// (wheel-metadata.ts, sdist-metadata.ts) are deliberately narrow: one metadata file is
// read into memory, with caps, nothing is extracted to disk, and an archive that two
// readers could see differently is refused.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { blake2b } from '@noble/hashes/blake2.js';
import { parseSdistFilename, parseWheelFilename } from '../core/dist-filenames.js';
import { canonicalizeName, isValidProjectName } from '../core/names.js';
import { formatVersion, parseVersion, versionsEqual } from '../core/pep440.js';
import { AppError } from '../errors.js';
import { parseCoreMetadata, firstValue } from './core-metadata.js';
import type { CoreMetadata } from './core-metadata.js';
import { readSdistMetadata } from './sdist-metadata.js';
import { readWheelMetadata } from './wheel-metadata.js';

export type DistType = 'sdist' | 'bdist_wheel';

export interface DistInfo {
  readonly path: string;
  readonly filename: string;
  readonly filetype: DistType;
  /** 'source' for sdists; for wheels the python tag(s) of the file name, as twine computes it. */
  readonly pyversion: string;
  /** As written in the metadata (not normalized). */
  readonly name: string;
  /** As written in the metadata (not normalized). */
  readonly version: string;
  readonly metadata: CoreMetadata;
  readonly size: number;
  readonly sha256: string;
  readonly blake2_256: string;
}

export interface InspectLimits {
  /** Largest METADATA / PKG-INFO we read (declared and actual size). */
  readonly maxMetadataBytes: number;
  /** Largest uncompressed size any zip entry may declare (zip bombs). */
  readonly maxEntryBytes: number;
  readonly maxEntries: number;
  /** Bytes an sdist's gzip stream may inflate to before its end marker. */
  readonly maxInflatedBytes: number;
  /** Wall clock for reading one file's archive. */
  readonly maxMillis: number;
}

export const DEFAULT_INSPECT_LIMITS: InspectLimits = Object.freeze({
  maxMetadataBytes: 16 * 1024 * 1024,
  maxEntryBytes: 1024 * 1024 * 1024,
  maxEntries: 100_000,
  // An upload is at most 100 MiB by default on pypi.org, and source compresses about
  // 5:1; 2 GiB inflates in seconds and stops a gzip bomb long before memory or time do.
  maxInflatedBytes: 2 * 1024 * 1024 * 1024,
  // Reading a 100 MiB dist takes about a second; a minute frees a job whatever happens.
  maxMillis: 60_000,
});

// twine/wheel.py wheel_file_re (re.VERBOSE), kept verbatim; Python's `.` is [^\n].
const WHEEL_FILE_RE =
  /^(?<namever>(?<name>[^\n]+?)(?:-(?<ver>\d[^\n]+?))?)(?:(?:-(?<build>\d[^\n]*?))?-(?<pyver>[^\n]+?)-(?<abi>[^\n]+?)-(?<plat>[^\n]+?)\.whl|\.dist-info)$/;

/** twine's Wheel.py_version: the python tag group of the file name, "any" when it does not match. */
export function wheelPyversion(filename: string): string {
  return WHEEL_FILE_RE.exec(filename)?.groups?.['pyver'] ?? 'any';
}

export function distTypeOf(filename: string): DistType | null {
  if (filename.endsWith('.whl')) return 'bdist_wheel';
  if (filename.endsWith('.tar.gz')) return 'sdist';
  return null;
}

function invalid(filename: string, reason: string, cause?: unknown): AppError {
  return new AppError('dist-invalid', `${filename}: ${reason}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { filename },
  });
}

export async function inspectDistribution(path: string, limits: Partial<InspectLimits> = {}): Promise<DistInfo> {
  const lim = { ...DEFAULT_INSPECT_LIMITS, ...limits };
  const filename = basename(path);
  const filetype = distTypeOf(filename);
  if (filetype === null) {
    // twine also reads .zip sdists; PyPI has refused them since PEP 625 (2023), so do we.
    throw invalid(filename, 'unknown distribution type (expected a .whl wheel or a .tar.gz sdist)');
  }
  const [raw, digests] = await Promise.all([
    filetype === 'bdist_wheel' ? readWheelMetadata(path, filename, lim) : readSdistMetadata(path, filename, lim),
    hashFile(path, filename),
  ]);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch (error) {
    // packaging puts mis-encoded fields in "unparsed", and twine then refuses the file.
    throw invalid(filename, 'the metadata is not valid UTF-8', error);
  }
  const metadata = parseCoreMetadata(text);
  return {
    path,
    filename,
    filetype,
    pyversion: filetype === 'sdist' ? 'source' : wheelPyversion(filename),
    name: firstValue(metadata, 'name') ?? '',
    version: firstValue(metadata, 'version') ?? '',
    metadata,
    ...digests,
  };
}

async function hashFile(path: string, filename: string): Promise<{ size: number; sha256: string; blake2_256: string }> {
  const sha = createHash('sha256');
  const blake = blake2b.create({ dkLen: 32 });
  let size = 0;
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      sha.update(chunk);
      blake.update(chunk);
      size += chunk.length;
    }
  } catch (error) {
    throw invalid(filename, 'cannot read the file', error);
  }
  return { size, sha256: sha.digest('hex'), blake2_256: Buffer.from(blake.digest()).toString('hex') };
}

// ---------------------------------------------------------------------------------------
// Checks: what `twine check` / twine 6.2's PackageFile.from_filename refuse, plus our
// release rules (the file, its metadata and the release agree on name and version).

export type DistProblemKind = 'dist-invalid' | 'dist-mismatch';

export interface DistProblem {
  readonly kind: DistProblemKind;
  readonly message: string;
}

// Metadata versions twine 6.2 accepts (it patches packaging's list to add 2.0) plus 2.5.
const METADATA_VERSIONS = new Set(['1.0', '1.1', '1.2', '2.0', '2.1', '2.2', '2.3', '2.4', '2.5']);
// packaging's _STRING_FIELDS and Keywords: a second occurrence makes the field "unparsed".
const SINGLE_FIELDS = new Set([
  'author', 'author-email', 'description', 'description-content-type', 'download-url', 'home-page', 'keywords',
  'license', 'license-expression', 'maintainer', 'maintainer-email', 'metadata-version', 'name', 'requires-python',
  'summary', 'version',
]);
const LIST_FIELDS = new Set([
  'classifier', 'dynamic', 'license-file', 'obsoletes', 'obsoletes-dist', 'platform', 'provides', 'provides-dist',
  'provides-extra', 'requires', 'requires-dist', 'requires-external', 'supported-platform', 'import-name',
  'import-namespace', 'project-url',
]);
const CONTENT_TYPES = new Set(['text/plain', 'text/x-rst', 'text/markdown']);

const q = (s: string): string => JSON.stringify(s);

export function distributionProblems(info: DistInfo, release?: { name: string; version: string }): DistProblem[] {
  const problems: DistProblem[] = [];
  const bad = (message: string): number => problems.push({ kind: 'dist-invalid', message });
  const mismatch = (message: string): number => problems.push({ kind: 'dist-mismatch', message });
  const meta = info.metadata;
  const mv = firstValue(meta, 'metadata-version');
  if (mv === null) bad('Metadata-Version is missing');
  else if (!METADATA_VERSIONS.has(mv)) bad(`Metadata-Version ${q(mv)} is not a known core metadata version`);
  if (info.name === '') bad('Name is missing from the metadata');
  else if (!isValidProjectName(info.name)) bad(`Name ${q(info.name)} is not a valid project name`);
  if (info.version === '') bad('Version is missing from the metadata');
  for (const [field, values] of meta.fields) {
    if (SINGLE_FIELDS.has(field) && values.length > 1) bad(`${field} appears ${values.length} times in the metadata`);
    else if (!SINGLE_FIELDS.has(field) && !LIST_FIELDS.has(field)) bad(`unrecognized metadata field ${q(field)}`);
  }
  // packaging's _parse_project_urls: a label given twice makes Project-URL "unparsed".
  const labels = (meta.fields.get('project-url') ?? []).map((u) => (u.split(',')[0] ?? '').trim());
  const twice = labels.find((label, i) => labels.indexOf(label) !== i);
  if (twice !== undefined) bad(`Project-URL label ${q(twice)} appears more than once`);
  if (meta.body !== null && meta.fields.has('description')) {
    bad('the description is given twice: in a Description header and in the message body');
  }
  const dct = firstValue(meta, 'description-content-type');
  if (dct !== null) {
    const type = (dct.split(';')[0] ?? '').trim().toLowerCase();
    if (!CONTENT_TYPES.has(type)) bad(`Description-Content-Type ${q(dct)} is not text/plain, text/x-rst or text/markdown`);
  }
  const fromFile = info.filetype === 'bdist_wheel' ? parseWheelFilename(info.filename) : parseSdistFilename(info.filename);
  if (!fromFile.ok) {
    bad(fromFile.reason);
  } else if (info.name !== '' && fromFile.name !== canonicalizeName(info.name)) {
    mismatch(`the file name says project ${q(fromFile.name)}, the metadata says ${q(info.name)}`);
  }
  const metaVersion = info.version === '' ? null : parseVersion(info.version);
  if (info.version !== '' && metaVersion === null) bad(`Version ${q(info.version)} is not a valid PEP 440 version`);
  if (fromFile.ok && metaVersion !== null && !versionsEqual(fromFile.version, metaVersion)) {
    mismatch(`the file name says version ${formatVersion(fromFile.version)}, the metadata says ${q(info.version)}`);
  }
  if (release !== undefined) {
    if (info.name !== '' && canonicalizeName(release.name) !== canonicalizeName(info.name)) {
      mismatch(`the release is ${q(release.name)} but ${info.filename} is ${q(info.name)}`);
    }
    const releaseVersion = parseVersion(release.version);
    if (releaseVersion === null) mismatch(`the release version ${q(release.version)} is not a valid PEP 440 version`);
    else if (metaVersion !== null && !versionsEqual(releaseVersion, metaVersion)) {
      mismatch(`the release is version ${formatVersion(releaseVersion)} but ${info.filename} is ${q(info.version)}`);
    }
  }
  return problems;
}

/** The problems as messages; use distributionProblems to tell the kinds apart. */
export function checkDistribution(info: DistInfo, release?: { name: string; version: string }): string[] {
  return distributionProblems(info, release).map((p) => p.message);
}
