import { normalizeVersion } from './pep440.js';

/**
 * The nearest valid PEP 440 spelling of an invalid version, when one is obvious, else
 * null. Each repair undoes one mistake people actually make (Maven's `-SNAPSHOT`, a
 * `release-` prefix, a comma for a dot, a space before the pre-release label, SemVer's
 * dotted pre-release identifiers) and is tried on its own first, then all together; a
 * repair that needs guessing (which of two numbers is meant) is not attempted.
 */
type Repair = (s: string) => string;

const REPAIRS: readonly Repair[] = [
  // Quotes left in by a templating step: "'1.2.0'".
  (s) => s.replace(/^(["'])(.*)\1$/, '$2'),
  // A name or word before the version: `release-1.2.0`, `version 1.2`, `mypkg-1.0`.
  (s) => s.replace(/^[A-Za-z][A-Za-z_-]*?[-_ ]+(?=[vV]?\d)/, ''),
  // Maven and Gradle snapshot builds are development releases.
  (s) => s.replace(/[-.]?snapshot$/i, '.dev0'),
  (s) => s.replace(/,/g, '.'),
  (s) => s.replace(/\.+$/, '').replace(/\.{2,}/g, '.'),
  // Spaces inside: `1.0 rc1`, `1 . 2`.
  (s) => s.replace(/\s+/g, ''),
  // A pre-release label glued on with SemVer's `-label.N` before something PEP 440
  // refuses, e.g. `1.0.0-dev-3`: only the last `-label.N` is repaired, nothing is guessed.
  (s) => s.replace(/-(alpha|beta|rc|a|b|c|pre|preview|dev)[.-]?(\d+)$/i, '$1$2'),
  // SemVer build metadata with characters PEP 440 local versions refuse.
  (s) => s.replace(/\+(.*)$/, (_m, local: string) => `+${local.replace(/[^A-Za-z0-9.]+/g, '.').replace(/^\.+|\.+$/g, '')}`),
];

// Longer input is not a mistyped version, and the repairs' regular expressions should
// never see a hostile megabyte.
const MAX_HINT_INPUT = 100;

export function nearestValidVersion(input: string): string | null {
  if (input.length > MAX_HINT_INPUT || normalizeVersion(input) !== null) return null;
  for (const repair of REPAIRS) {
    const candidate = repair(input);
    if (candidate !== input) {
      const normalized = normalizeVersion(candidate);
      if (normalized !== null) return normalized;
    }
  }
  const all = REPAIRS.reduce((s, repair) => repair(s), input);
  return normalizeVersion(all);
}
