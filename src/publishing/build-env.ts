/**
 * The environment of a build: an allowlist, never a copy of ours. A build runs code
 * from the repository being released (setup.py, build backends and their plugins), so
 * anything it can read, it can print or send away.
 */

/** Variables copied from the parent when set. Everything else is fixed or dropped. */
export const PASSTHROUGH_ENV: readonly string[] = ['PATH', 'TZ', 'SOURCE_DATE_EPOCH'];

// Names that usually hold credentials. Applied to the finished environment, so a name
// added to the allowlist by mistake (or a new fixed one) still cannot carry a secret.
const SECRET_NAME = /TOKEN|PASSWORD|PASSWD|SECRET|KEY|PRIVATE|CREDENTIAL|AUTH|COOKIE|SESSION/i;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface BuildEnvOptions {
  /** A fresh, empty directory: pip, poetry and git read config and caches from HOME. */
  readonly home: string;
  /** A fresh, empty directory for TMPDIR. */
  readonly tmp: string;
  /** The canonical version being released; handed to dynamic-version plugins. */
  readonly version: string;
  /** Operator-configured package index (e.g. PYRELEASE_BUILD_PIP_INDEX_URL): only used with isolation. */
  readonly pipIndexUrl?: string;
  readonly pipExtraIndexUrl?: string;
}

export function buildEnvironment(
  base: Readonly<Record<string, string | undefined>>,
  opts: BuildEnvOptions,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSTHROUGH_ENV) {
    const value = base[name];
    if (value !== undefined && value !== '') env[name] = value;
  }
  env['PATH'] ??= DEFAULT_PATH;
  env['TZ'] ??= 'UTC';
  if (env['SOURCE_DATE_EPOCH'] !== undefined && !/^\d{1,12}$/.test(env['SOURCE_DATE_EPOCH'])) delete env['SOURCE_DATE_EPOCH'];
  Object.assign(env, {
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    HOME: opts.home,
    TMPDIR: opts.tmp,
    // A source archive has no .git: setuptools-scm and hatch-vcs (which uses it) read
    // this instead, and poetry-dynamic-versioning steps aside with its bypass.
    SETUPTOOLS_SCM_PRETEND_VERSION: opts.version,
    POETRY_DYNAMIC_VERSIONING_BYPASS: opts.version,
    // pdm-backend's `source = "scm"` and pbr read their own variables for the same purpose.
    PDM_BUILD_SCM_VERSION: opts.version,
    PBR_VERSION: opts.version,
    PYTHONDONTWRITEBYTECODE: '1',
    PIP_NO_INPUT: '1',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    POETRY_NO_INTERACTION: '1',
    // poetry 1.3 creates a virtualenv under HOME even for `poetry build`, which needs none.
    POETRY_VIRTUALENVS_CREATE: 'false',
  });
  if (opts.pipIndexUrl !== undefined) env['PIP_INDEX_URL'] = opts.pipIndexUrl;
  if (opts.pipExtraIndexUrl !== undefined) env['PIP_EXTRA_INDEX_URL'] = opts.pipExtraIndexUrl;
  for (const name of Object.keys(env)) {
    if (looksSecret(name)) delete env[name];
  }
  return env;
}
