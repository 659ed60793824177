import { parse as parseToml } from 'smol-toml';

/** A project's `[build-system]` (PEP 517 / 518), with PEP 517's defaults for a project that has none. */
export interface BuildSystem {
  readonly requires: readonly string[];
  /** `module` or `module:object`. */
  readonly backend: string;
  /** In-tree directories the backend is imported from (PEP 517 `backend-path`), relative to the project. */
  readonly backendPath: readonly string[];
}

export type BuildSystemResult = { readonly ok: true; readonly value: BuildSystem } | { readonly ok: false; readonly error: string };

// pip and build fall back to these for a project without [build-system] (PEP 517, "Source trees").
const LEGACY: BuildSystem = { requires: ['setuptools>=40.8.0'], backend: 'setuptools.build_meta:__legacy__', backendPath: [] };

const BACKEND = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$/;

/** Reads `[build-system]` from pyproject.toml's text (null: no pyproject.toml). */
export function readBuildSystem(pyproject: string | null): BuildSystemResult {
  if (pyproject === null) return { ok: true, value: LEGACY };
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(pyproject) as Record<string, unknown>;
  } catch {
    return { ok: false, error: 'pyproject.toml is not valid TOML' };
  }
  const table = doc['build-system'];
  if (table === undefined) return { ok: true, value: LEGACY };
  if (typeof table !== 'object' || table === null || Array.isArray(table)) return { ok: false, error: '[build-system] is not a table' };
  const { requires, 'build-backend': backend, 'backend-path': backendPath } = table as Record<string, unknown>;
  if (!isStringList(requires)) return { ok: false, error: '[build-system] requires must be a list of strings' };
  for (const req of requires) {
    const problem = requirementProblem(req);
    if (problem !== null) return { ok: false, error: `[build-system] requires ${JSON.stringify(req)}: ${problem}` };
  }
  if (backend === undefined) return { ok: true, value: { ...LEGACY, requires } };
  if (typeof backend !== 'string' || !BACKEND.test(backend)) return { ok: false, error: '[build-system] build-backend must be a module path' };
  if (backendPath !== undefined && !isStringList(backendPath)) return { ok: false, error: '[build-system] backend-path must be a list of strings' };
  const paths = backendPath ?? [];
  const escaping = paths.find((p) => p.startsWith('/') || p.split(/[\\/]/).includes('..'));
  if (escaping !== undefined) return { ok: false, error: `[build-system] backend-path ${JSON.stringify(escaping)} leaves the project` };
  return { ok: true, value: { requires, backend, backendPath: paths } };
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

// A PEP 508 name with extras, then specifiers and markers. No direct references (`name @ url`):
// they would make pip fetch from wherever the repository says, or read a local file.
const REQUIREMENT = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[\s*[A-Za-z0-9._,\s-]*\])?\s*(?:[(<>=!~;].*)?$/s;

/**
 * Why a build requirement cannot be handed to pip, or null. It comes from the
 * repository (pyproject.toml, or a backend's get_requires_for_build_* hook), so it must
 * be a plain requirement: never an option (`--index-url=...`), a path or a URL.
 */
export function requirementProblem(req: string): string | null {
  if (req.length === 0 || req.length > 500) return 'must be 1 to 500 characters';
  if (req.includes('@')) return 'direct references (name @ url) are not allowed in build requirements';
  if (/[\r\n\0]/.test(req)) return 'must be one line';
  if (!REQUIREMENT.test(req.trim())) return 'is not a PEP 508 requirement';
  return null;
}
