// The file names today's build backends write and a modern index (pypi.org's
// warehouse, forklift/legacy.py) insists on. Sources:
// - binary distribution format, "Escaping and Unicode": the name is PEP 503
//   normalized with "-" replaced by "_"; the version is PEP 440 normalized, which
//   never contains "-" (so the spec's "-" -> "_" escape never fires) and keeps a
//   local "+" (torch-2.1.0+cu121-...).
// - PEP 625 / source distribution format: `{name}-{version}.tar.gz` with the same name
//   rule and the normalized version; str(Version), trailing zeros kept ("1.0" stays
//   "1.0"), exactly what warehouse compares the upload's file name with.
// setuptools (>= 69.3 for sdists, >= 75.8.1 for wheels), hatchling, flit, pdm and
// poetry-core all write these names today.
import { formatVersion, parseVersion, versionsEqual } from './pep440.js';
import type { Version } from './pep440.js';
import { parseSdistFilename, parseWheelFilename } from './dist-filenames.js';
import { canonicalizeName, distFilenameName, isValidProjectName } from './names.js';

export type FilenameCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

function toVersion(version: string | Version): Version | null {
  return typeof version === 'string' ? parseVersion(version) : version;
}

/** `{name}-{version}` as a wheel file name and .dist-info directory start; null for an invalid name or version. */
export function wheelFilenamePrefix(name: string, version: string | Version): string | null {
  const v = toVersion(version);
  if (v === null || !isValidProjectName(name)) return null;
  return `${distFilenameName(name)}-${formatVersion(v)}`;
}

/** The PEP 625 sdist file name, `{name}-{version}.tar.gz`; null for an invalid name or version. */
export function sdistFilename(name: string, version: string | Version): string | null {
  const prefix = wheelFilenamePrefix(name, version);
  return prefix === null ? null : `${prefix}.tar.gz`;
}

/**
 * Is this a PEP 625 sdist name: ".tar.gz", and name and version parts already in
 * normalized spelling? With `expected`, the file must also be that project's release,
 * compared the way warehouse compares (exact file name).
 */
export function checkPep625SdistFilename(
  filename: string,
  expected?: { readonly name: string; readonly version: string | Version },
): FilenameCheck {
  const q = JSON.stringify(filename);
  if (!filename.endsWith('.tar.gz')) return { ok: false, reason: `${q}: a PEP 625 sdist must end in .tar.gz` };
  const parsed = parseSdistFilename(filename);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  const stem = filename.slice(0, -'.tar.gz'.length);
  const namePart = stem.slice(0, stem.lastIndexOf('-'));
  if (!isValidProjectName(namePart)) return { ok: false, reason: `${q}: ${JSON.stringify(namePart)} is not a valid project name` };
  const want = `${distFilenameName(namePart)}-${formatVersion(parsed.version)}.tar.gz`;
  if (filename !== want) return { ok: false, reason: `${q} is not normalized, should be ${JSON.stringify(want)}` };
  if (expected === undefined) return { ok: true };
  const expectedName = sdistFilename(expected.name, expected.version);
  if (expectedName === null) return { ok: false, reason: `invalid expected project name or version for ${q}` };
  if (filename !== expectedName) return { ok: false, reason: `Filename ${q} is invalid, should be ${JSON.stringify(expectedName)}` };
  return { ok: true };
}

/** checkPep625SdistFilename(filename).ok */
export function isPep625SdistFilename(filename: string): boolean {
  return checkPep625SdistFilename(filename).ok;
}

/**
 * The wheel checks warehouse makes against the release being uploaded: the file
 * name parses, its name part is spelled exactly as the normalized project name with
 * "_", and its version equals the release's (by PEP 440 equality, as warehouse does).
 */
export function checkWheelFilenameForRelease(
  filename: string,
  expected: { readonly name: string; readonly version: string | Version },
): FilenameCheck {
  const q = JSON.stringify(filename);
  const parsed = parseWheelFilename(filename);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  const want = toVersion(expected.version);
  if (want === null) return { ok: false, reason: `invalid expected version for ${q}` };
  if (parsed.name !== canonicalizeName(expected.name)) {
    return { ok: false, reason: `${q} does not belong to project ${JSON.stringify(expected.name)}` };
  }
  const namePart = filename.slice(0, filename.indexOf('-'));
  const normalized = distFilenameName(expected.name);
  if (namePart !== normalized) {
    return { ok: false, reason: `Filename ${q} should contain the normalized project name ${JSON.stringify(normalized)}, not ${JSON.stringify(namePart)}` };
  }
  if (!versionsEqual(parsed.version, want)) {
    return { ok: false, reason: `Version in filename should be ${JSON.stringify(formatVersion(want))}, not ${JSON.stringify(formatVersion(parsed.version))}` };
  }
  return { ok: true };
}
