// Exact PEP 440 engine that agrees with pypa/packaging 26.2 (see docs/pep440.md).
// The implementation is split by concern; this module is the one entry point that the
// rest of the code imports.
export type { PreLabel, Version } from './pep440-parse.js';
export { MAX_INT_DIGITS, isPythonSpace, isValidVersion, parseVersion } from './pep440-parse.js';
export {
  baseVersion,
  canonicalizeVersion,
  formatVersion,
  hasLocal,
  isDevrelease,
  isPostrelease,
  isPrerelease,
  normalizeVersion,
  publicVersion,
} from './pep440-format.js';
export type { Ordering } from './pep440-compare.js';
export { compareDigitStrings, compareVersions, versionsEqual } from './pep440-compare.js';
