import { z } from 'zod';
import { AppError } from '../errors.js';

/**
 * Registry targets: where releases go. A repository only names targets
 * (`registries = ["pypi"]`); their URLs, rules and credentials live in the server, so a
 * repository can never send a token somewhere else.
 */
export interface RegistryRules {
  /** pypi.org and TestPyPI refuse local versions (`1.0+abc`). */
  readonly refusesLocalVersions: boolean;
  /** pypi.org keeps one sdist per release. */
  readonly oneSdistPerRelease: boolean;
  readonly maxFileBytes: number;
}

export interface RegistryTarget {
  readonly name: string;
  readonly uploadUrl: string;
  /** The simple index (PEP 503 / 691) used to ask which files already exist. */
  readonly simpleUrl: string;
  readonly rules: RegistryRules;
}

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');

export const registryEntrySchema = z.union([
  z.strictObject({
    kind: z.literal('gitlab'),
    /** GitLab base URL; defaults to the service's GITLAB_URL. */
    url: httpUrl.optional(),
    'max-file-bytes': z.number().int().positive().optional(),
  }),
  z.strictObject({
    kind: z.literal('index').default('index'),
    'upload-url': httpUrl,
    'simple-url': httpUrl,
    'refuses-local-versions': z.boolean().default(false),
    'one-sdist-per-release': z.boolean().default(false),
    'max-file-bytes': z.number().int().positive().default(100 * 1024 * 1024),
  }),
]);

export type RegistryEntry = z.output<typeof registryEntrySchema>;

const MiB = 1024 * 1024;
const PYPI_RULES: RegistryRules = { refusesLocalVersions: true, oneSdistPerRelease: true, maxFileBytes: 100 * MiB };

/** Built in, so that `registries = ["pypi"]` works with no server config at all. */
export const BUILTIN_REGISTRIES: Readonly<Record<string, RegistryEntry>> = {
  pypi: {
    kind: 'index',
    'upload-url': 'https://upload.pypi.org/legacy/',
    'simple-url': 'https://pypi.org/simple/',
    'refuses-local-versions': true,
    'one-sdist-per-release': true,
    'max-file-bytes': PYPI_RULES.maxFileBytes,
  },
  testpypi: {
    kind: 'index',
    'upload-url': 'https://test.pypi.org/legacy/',
    'simple-url': 'https://test.pypi.org/simple/',
    'refuses-local-versions': true,
    'one-sdist-per-release': true,
    'max-file-bytes': PYPI_RULES.maxFileBytes,
  },
  gitlab: { kind: 'gitlab' },
};

export interface TargetContext {
  /** The repository's GitLab project id, for `kind: gitlab` registries. */
  readonly gitlabProjectId?: number | undefined;
  readonly gitlabUrl?: string | undefined;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function resolveTarget(name: string, entry: RegistryEntry, context: TargetContext): RegistryTarget {
  if (entry.kind === 'gitlab') {
    const base = entry.url ?? context.gitlabUrl;
    if (base === undefined || context.gitlabProjectId === undefined) {
      throw new AppError('registry-unknown', `registry "${name}" is the project's GitLab package registry, which needs a GitLab project`, {
        details: { registry: name },
      });
    }
    // GitLab's PyPI API: uploads at .../packages/pypi, simple index at .../packages/pypi/simple/.
    const api = `${trimSlash(base)}/api/v4/projects/${context.gitlabProjectId}/packages/pypi`;
    return {
      name,
      uploadUrl: api,
      simpleUrl: `${api}/simple/`,
      // The file size limit is an instance setting (pypi_max_file_size); 3 GiB is GitLab's default.
      rules: { refusesLocalVersions: false, oneSdistPerRelease: false, maxFileBytes: entry['max-file-bytes'] ?? 3 * 1024 * MiB },
    };
  }
  return {
    name,
    uploadUrl: entry['upload-url'],
    simpleUrl: entry['simple-url'].endsWith('/') ? entry['simple-url'] : `${entry['simple-url']}/`,
    rules: {
      refusesLocalVersions: entry['refuses-local-versions'],
      oneSdistPerRelease: entry['one-sdist-per-release'],
      maxFileBytes: entry['max-file-bytes'],
    },
  };
}

/** Resolves a repository's registry names against the server's catalogue. */
export function resolveTargets(
  names: readonly string[],
  catalogue: Readonly<Record<string, RegistryEntry>>,
  context: TargetContext,
): RegistryTarget[] {
  return names.map((name) => {
    const entry = Object.hasOwn(catalogue, name) ? catalogue[name] : undefined;
    if (entry === undefined) {
      const known = Object.keys(catalogue).sort().join(', ');
      throw new AppError('registry-unknown', `registry "${name}" is not defined in the server config (known: ${known})`, {
        details: { registry: name },
      });
    }
    return resolveTarget(name, entry, context);
  });
}
