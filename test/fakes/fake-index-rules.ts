// What the fake index accepts and refuses on upload, one function per flavour.
//
// pypi: pypi/warehouse warehouse/forklift/legacy.py (file_upload, MetadataForm,
//   _is_duplicate_file), in the order warehouse checks them. Messages keep warehouse's
//   wording where clients key on it (twine 4.0.2's --skip-existing looks for
//   "already exist" in a 400, twine/commands/upload.py skip_upload).
// gitlab: gitlabhq lib/api/pypi_packages.rb (the `post` route and its params) and
//   app/services/packages/pypi/create_package_service.rb. GitLab checks far less: it
//   does not compare the file name with the project or version, and it stores the
//   client's `sha256_digest` as the file's checksum without hashing the content
//   (file_params: file_sha256: params[:sha256_digest]). The fake does the same, so a
//   client that sends a wrong digest gets a lying index here too, as it would there.
import { createHash } from 'node:crypto';
import { blake2b } from '@noble/hashes/blake2.js';
import { canonicalizeName, isValidProjectName } from '../../src/core/names.js';
import { canonicalizeVersion, formatVersion, hasLocal, parseVersion, versionsEqual } from '../../src/core/pep440.js';
import { parseSdistFilename, parseWheelFilename } from '../../src/core/dist-filenames.js';
import type { ParsedForm } from './fake-index-multipart.js';

export type IndexFlavour = 'pypi' | 'gitlab';

export interface StoredFile {
  project: string;
  version: string;
  filename: string;
  filetype: string;
  sha256: string;
  size: number;
  fields: Record<string, string[]>;
}

/** What the fake keeps per file beyond the public record. */
export interface StoredEntry extends StoredFile {
  readonly content: Buffer;
  readonly requiresPython: string | null;
}

export interface IndexState {
  readonly flavour: IndexFlavour;
  readonly maxFileSize: number;
  readonly entries: StoredEntry[];
  /** pypi's Filename table: every name ever stored, deleted ones included. */
  readonly usedFilenames: Set<string>;
}

export type UploadDecision =
  | { readonly kind: 'store'; readonly status: number; readonly entry: StoredEntry }
  | { readonly kind: 'noop'; readonly status: number }
  | { readonly kind: 'refuse'; readonly status: number; readonly message: string; readonly filename: string | null; readonly key?: 'error' };

const HEX64 = /^[A-Fa-f0-9]{64}$/;
// Metadata-Version values warehouse accepts today (packaging.metadata, 1.0 to 2.4).
const METADATA_VERSIONS = new Set(['1.0', '1.1', '1.2', '2.0', '2.1', '2.2', '2.3', '2.4']);
const HELP = 'https://pypi.org/help/';

function one(form: ParsedForm, name: string): string | null {
  const values = form.fields[name];
  return values === undefined || values.length === 0 ? null : (values[0] ?? null);
}

function refuse(status: number, message: string, filename: string | null = null): UploadDecision {
  return { kind: 'refuse', status, message, filename };
}

function digests(content: Buffer): { sha256: string; blake2: string } {
  return {
    sha256: createHash('sha256').update(content).digest('hex'),
    blake2: Buffer.from(blake2b(content, { dkLen: 32 })).toString('hex'),
  };
}

function entryFrom(form: ParsedForm, project: string, version: string, sha256: string): StoredEntry {
  const file = form.files['content'];
  if (file === undefined) throw new Error('entryFrom needs the content part');
  return {
    project,
    version,
    filename: file.filename,
    filetype: one(form, 'filetype') ?? '',
    sha256,
    size: file.data.length,
    fields: form.fields,
    content: file.data,
    requiresPython: one(form, 'requires_python'),
  };
}

export function decidePypi(state: IndexState, form: ParsedForm): UploadDecision {
  // legacy.py: `protocol_version` defaults to "1"; anything else is refused.
  if ((one(form, 'protocol_version') ?? '1') !== '1') return refuse(400, 'Unknown protocol version.');
  // MetadataForm: metadata_version, name, version are DataRequired, checked in this order.
  const metadataVersion = one(form, 'metadata_version');
  if (metadataVersion === null || metadataVersion === '') return refuse(400, "'' is an invalid value for Metadata-Version. Error: This field is required.");
  if (!METADATA_VERSIONS.has(metadataVersion)) return refuse(400, `'${metadataVersion}' is an invalid value for Metadata-Version. Error: Unknown Metadata Version`);
  const name = one(form, 'name') ?? '';
  if (name === '') return refuse(400, "'' is an invalid value for Name. Error: This field is required.");
  if (!isValidProjectName(name)) {
    return refuse(400, `'${name}' is an invalid value for Name. Error: Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'.`);
  }
  const rawVersion = one(form, 'version') ?? '';
  if (rawVersion === '') return refuse(400, "'' is an invalid value for Version. Error: This field is required.");
  if (rawVersion.trim() !== rawVersion) return refuse(400, `'${rawVersion}' is an invalid value for Version. Error: Cannot have leading or trailing whitespace.`);
  const version = parseVersion(rawVersion);
  if (version === null) return refuse(400, `'${rawVersion}' is an invalid value for Version. Error: Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'.`);
  // _validate_pep440_version: "Can't use PEP 440 local versions."
  if (hasLocal(version)) return refuse(400, `'${rawVersion}' is an invalid value for Version. Error: Can't use PEP 440 local versions.`);
  const filetype = one(form, 'filetype') ?? '';
  if (filetype !== 'sdist' && filetype !== 'bdist_wheel') return refuse(400, `'${filetype}' is an invalid value for Type. Error: Use a known file type.`);
  const sha256Field = one(form, 'sha256_digest');
  const blake2Field = one(form, 'blake2_256_digest');
  const md5Field = one(form, 'md5_digest');
  if (sha256Field !== null && !HEX64.test(sha256Field)) return refuse(400, 'Invalid value for sha256_digest. Error: Use a valid, hex-encoded, SHA256 message digest.');
  if (blake2Field !== null && !HEX64.test(blake2Field)) return refuse(400, 'Invalid value for blake2_256_digest. Error: Use a valid, hex-encoded, BLAKE2 message digest.');
  if (!sha256Field && !blake2Field && !md5Field) return refuse(400, 'Error: Include at least one message digest.');
  const file = form.files['content'];
  if (file === undefined) return refuse(400, 'Upload payload does not have a file.');
  const filename = file.filename;
  const project = canonicalizeName(name);
  if (filename.includes('/') || filename.includes('\\')) return refuse(400, "Cannot upload a file with '/' or '\\' in the name.", filename);
  const isSdistName = filename.endsWith('.tar.gz') || filename.endsWith('.zip');
  if (!(filetype === 'sdist' ? isSdistName : filename.endsWith('.whl'))) {
    return refuse(400, 'Invalid file extension: Use .tar.gz, .whl or .zip extension. See https://www.python.org/dev/peps/pep-0527 for more information.', filename);
  }
  const parsed = filetype === 'sdist' ? parseSdistFilename(filename) : parseWheelFilename(filename);
  if (file.data.length > state.maxFileSize) return refuse(400, tooLarge(name, state.maxFileSize), filename);
  const actual = digests(file.data);
  const mismatch =
    (sha256Field !== null && sha256Field.toLowerCase() !== actual.sha256) ||
    (blake2Field !== null && blake2Field.toLowerCase() !== actual.blake2) ||
    (md5Field !== null && md5Field.toLowerCase() !== createHash('md5').update(file.data).digest('hex'));
  if (mismatch) return refuse(400, 'The digest supplied does not match a digest calculated from the uploaded file.', filename);
  // _is_duplicate_file: same file name OR same blake2 digest; a duplicate only when name
  // and digests all agree, which is a 200 that changes nothing.
  const existing = state.entries.find((e) => e.filename === filename || digests(e.content).blake2 === actual.blake2);
  if (existing !== undefined) {
    if (existing.filename === filename && existing.sha256 === actual.sha256) return { kind: 'noop', status: 200 };
    return refuse(400, `File already exists ('${filename}', with blake2_256 hash '${actual.blake2}'). See ${HELP}#file-name-reuse for more information.`, filename);
  }
  if (state.usedFilenames.has(filename)) {
    return refuse(400, `This filename has already been used, use a different version. See ${HELP}#file-name-reuse for more information.`, filename);
  }
  // A release is its canonical version (Release.canonical_version).
  const canonical = canonicalizeVersion(version);
  const releaseFiles = state.entries.filter((e) => e.project === project && canonicalizeVersion(e.version) === canonical);
  if (filetype === 'sdist' && releaseFiles.some((e) => e.filetype === 'sdist')) return refuse(400, 'Only one sdist may be uploaded per release.', filename);
  // Only now does warehouse read the name and version out of the file name; both must
  // name this project and this release (compared as Version objects: "1.0" == "1.0.0").
  if (!parsed.ok) return refuse(400, filetype === 'sdist' ? `Invalid source distribution filename: ${filename}` : parsed.reason, filename);
  if (parsed.name !== project) return refuse(400, `Start filename for '${name}' with '${project.replaceAll('-', '_')}'.`, filename);
  if (!versionsEqual(parsed.version, version)) {
    return refuse(400, `Version in filename should be '${formatVersion(version)}' not '${formatVersion(parsed.version)}'.`, filename);
  }
  const releaseVersion = releaseFiles[0]?.version ?? formatVersion(version);
  return { kind: 'store', status: 200, entry: entryFrom(form, project, releaseVersion, actual.sha256) };
}

export function tooLarge(name: string, limit: number): string {
  return `File too large. Limit for project '${name}' is ${Math.floor(limit / (1024 * 1024))} MB. See ${HELP}#file-size-limit for more information.`;
}

export function decideGitlab(state: IndexState, form: ParsedForm): UploadDecision {
  // Grape `requires :content, :name, :version`: missing params are a 400 with an `error` key.
  const missing = ['content', 'name', 'version'].filter((k) => (k === 'content' ? form.files[k] === undefined : one(form, k) === null));
  if (missing.length > 0) return { kind: 'refuse', status: 400, message: missing.map((k) => `${k} is missing`).join(', '), filename: null, key: 'error' };
  const sha256Field = one(form, 'sha256_digest');
  if (sha256Field !== null && !HEX64.test(sha256Field)) {
    return { kind: 'refuse', status: 400, message: 'sha256_digest is invalid', filename: null, key: 'error' };
  }
  const file = form.files['content'];
  const name = one(form, 'name') ?? '';
  const rawVersion = one(form, 'version') ?? '';
  if (file === undefined) return refuse(400, 'content is missing');
  if (file.data.length > state.maxFileSize) return refuse(400, '400 Bad request - File is too large', file.filename);
  // Package model validations (Gitlab::Regex.pypi_version_regex accepts local versions).
  const version = parseVersion(rawVersion);
  if (version === null) return refuse(400, 'Validation failed: Version is invalid', file.filename);
  if (!isValidProjectName(name)) return refuse(400, 'Validation failed: Name is invalid', file.filename);
  if (state.entries.some((e) => e.filename === file.filename)) {
    return refuse(400, 'Validation failed: File name has already been taken', file.filename);
  }
  const sha256 = sha256Field?.toLowerCase() ?? digests(file.data).sha256;
  return { kind: 'store', status: 201, entry: entryFrom(form, canonicalizeName(name), rawVersion, sha256) };
}
