import { readFile } from 'node:fs/promises';
import { AppError } from '../errors.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** `pypi` -> `PYRELEASE_REGISTRY_PYPI`, `my-index` -> `PYRELEASE_REGISTRY_MY_INDEX`. */
export function credentialEnvPrefix(registry: string): string {
  return `PYRELEASE_REGISTRY_${registry.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * Credentials come from the worker's environment or a `.pypirc`-style file, never from
 * a repository and never through job data. `..._TOKEN` is an API token (PyPI's
 * `__token__` convention); `..._USERNAME` + `..._PASSWORD` covers deploy tokens.
 */
export function credentialsFromEnv(registry: string, env: Readonly<Record<string, string | undefined>>): Credentials | null {
  const prefix = credentialEnvPrefix(registry);
  const token = env[`${prefix}_TOKEN`];
  if (token !== undefined && token !== '') return { username: env[`${prefix}_USERNAME`] || '__token__', password: token };
  const username = env[`${prefix}_USERNAME`];
  const password = env[`${prefix}_PASSWORD`];
  if (username !== undefined && username !== '' && password !== undefined && password !== '') return { username, password };
  return null;
}

/** Reads `[section] username = … password = …` pairs from a .pypirc file (INI). */
export function parsePypirc(text: string): Map<string, { username?: string; password?: string }> {
  const sections = new Map<string, { username?: string; password?: string }>();
  let current: { username?: string; password?: string } | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = {};
      sections.set((header[1] ?? '').trim(), current);
      continue;
    }
    const pair = /^([A-Za-z_]+)\s*[=:]\s*(.*)$/.exec(line);
    if (current === null || pair === null) continue;
    const key = (pair[1] ?? '').toLowerCase();
    if (key === 'username' || key === 'password') current[key] = pair[2] ?? '';
  }
  return sections;
}

export async function credentialsFor(
  registry: string,
  env: Readonly<Record<string, string | undefined>>,
  pypircPath?: string,
): Promise<Credentials> {
  const fromEnv = credentialsFromEnv(registry, env);
  if (fromEnv !== null) return fromEnv;
  if (pypircPath !== undefined) {
    let text: string;
    try {
      text = await readFile(pypircPath, 'utf8');
    } catch (cause) {
      throw new AppError('config-invalid', `cannot read the credentials file ${pypircPath}`, { cause });
    }
    const section = parsePypirc(text).get(registry);
    if (section?.password !== undefined && section.password !== '') {
      return { username: section.username || '__token__', password: section.password };
    }
  }
  const prefix = credentialEnvPrefix(registry);
  throw new AppError(
    'config-invalid',
    `no credentials for registry "${registry}": set ${prefix}_TOKEN (or ${prefix}_USERNAME and ${prefix}_PASSWORD), or add a [${registry}] section to the file in PYRELEASE_PYPIRC`,
    { details: { registry } },
  );
}
