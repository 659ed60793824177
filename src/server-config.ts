import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { z } from 'zod';
import { BUILTIN_REGISTRIES, registryEntrySchema } from './publishing/registries.js';
import type { RegistryEntry } from './publishing/registries.js';
import { extendsConfigSchema, publishersConfigSchema, toPublishPolicy } from './publishing/publishers-config.js';
import type { PublishPolicy } from './core/publish-policy.js';
import { selfHostedSchema, toSelfHostedConfig } from './selfhosted/self-hosted-config.js';
import type { SelfHostedConfig } from './selfhosted/self-hosted-config.js';

/**
 * The server config file (PYRELEASE_CONFIG, YAML): what is too structured for
 * environment variables. It holds no secrets; credentials stay in the environment or
 * the PYRELEASE_PYPIRC file.
 */
const registryName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'registry names use a-z, 0-9, _ and -');

export const serverConfigSchema = z.strictObject({
  registries: z.record(registryName, registryEntrySchema).default({}),
  /** Per registry target: which repositories may publish which names. None: nobody may. */
  publishers: publishersConfigSchema.default({}),
  /** GitHub repositories (owner/name globs) that a config's `_extends` may name, besides the owner's `.github`. */
  extends: extendsConfigSchema.default([]),
  'self-hosted': selfHostedSchema.optional(),
});

export interface ServerConfig {
  /** Built-in targets (pypi, testpypi, gitlab) overlaid by the file's. */
  readonly registries: Readonly<Record<string, RegistryEntry>>;
  /** Who may publish what, where (core/publish-policy.ts); every registry has a rule. */
  readonly policy: PublishPolicy;
  /** Self-hosted tagging (GitLab releases -> service repo tags); null when the section is absent. */
  readonly selfHosted: SelfHostedConfig | null;
}

export type ServerConfigResult = { readonly ok: true; readonly config: ServerConfig } | { readonly ok: false; readonly errors: readonly string[] };

/**
 * The YAML parser, loaded only when there is a file to parse: a web process without
 * PYRELEASE_CONFIG (docker-compose.yml's default) does not need its 70 modules (bench/README.md,
 * Memory without flags). Its `node` export is CommonJS, so a later `import 'yaml'` gets this same instance.
 */
let yaml: typeof Yaml | undefined;
function parseYaml(text: string, options: Yaml.ParseOptions & Yaml.DocumentOptions & Yaml.SchemaOptions & Yaml.ToJSOptions): unknown {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yaml.parse(text, options);
}

export function parseServerConfig(text: string | null): ServerConfigResult {
  let raw: unknown = {};
  if (text !== null) {
    try {
      raw = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true }) ?? {};
    } catch (e) {
      return { ok: false, errors: [`invalid YAML: ${e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)}`] };
    }
  }
  const parsed = serverConfigSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(file)'}: ${i.message}`) };
  }
  const selfHosted = parsed.data['self-hosted'];
  const registries = Object.freeze({ ...BUILTIN_REGISTRIES, ...parsed.data.registries });
  const policy = toPublishPolicy(registries, parsed.data.publishers, parsed.data.extends);
  if (!policy.ok) return policy;
  return {
    ok: true,
    config: Object.freeze({
      registries,
      policy: policy.policy,
      selfHosted: selfHosted === undefined ? null : toSelfHostedConfig(selfHosted),
    }),
  };
}

export async function loadServerConfig(path: string | undefined): Promise<ServerConfigResult> {
  if (path === undefined) return parseServerConfig(null);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return { ok: false, errors: [`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`] };
  }
  const result = parseServerConfig(text);
  return result.ok ? result : { ok: false, errors: result.errors.map((e) => `${path}: ${e}`) };
}
