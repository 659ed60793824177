import { z } from 'zod';
import { normalizeNamePattern } from '../core/publish-policy.js';
import type { Grant, PublishPolicy, TargetPolicy } from '../core/publish-policy.js';
import type { RegistryEntry } from './registries.js';

/**
 * The server config's `publishers:` (who may publish which names to each target that
 * uses the server's credentials) and `extends:` (GitHub repositories a config's
 * `_extends` may name). A target with no grants takes no releases at all: see the
 * README's "Who may publish what, where" for why that is the default.
 */
const repoPattern = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._\-*]+(\/[A-Za-z0-9._\-*]+)*$/, 'must be a repository path or glob (`group/project`, `group/**`, `owner/*`)');

const namePattern = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._\-*]+$/, 'must be a project name or glob (`acme-*`, `*`)');

const grantSchema = z
  .strictObject({
    gitlab: z.array(repoPattern).max(256).default([]),
    github: z.array(repoPattern).max(256).default([]),
    local: z.array(repoPattern).max(256).default([]),
    projects: z.array(namePattern).min(1, 'list the project names this grant may publish (`*` for any)').max(256),
    'shared-projects': z.array(namePattern).max(256).default([]),
  })
  .refine((g) => g.gitlab.length + g.github.length + g.local.length > 0, 'name at least one repository under `gitlab`, `github` or `local`');

export const publishersConfigSchema = z.record(z.string(), z.array(grantSchema).max(256));
export const extendsConfigSchema = z.array(repoPattern).max(256);

type GrantShape = z.output<typeof grantSchema>;

function toGrant(g: GrantShape): Grant {
  return Object.freeze({
    gitlab: Object.freeze([...g.gitlab]),
    github: Object.freeze([...g.github]),
    local: Object.freeze([...g.local]),
    projects: Object.freeze(g.projects.map(normalizeNamePattern)),
    sharedProjects: Object.freeze(g['shared-projects'].map(normalizeNamePattern)),
  });
}

export type PolicyResult = { readonly ok: true; readonly policy: PublishPolicy } | { readonly ok: false; readonly errors: readonly string[] };

/** Every target of the catalogue gets a rule; grants for an undefined or `kind: gitlab` target are refused, not ignored. */
export function toPublishPolicy(
  catalogue: Readonly<Record<string, RegistryEntry>>,
  publishers: z.output<typeof publishersConfigSchema>,
  extendsAllowed: readonly string[],
): PolicyResult {
  const errors: string[] = [];
  for (const name of Object.keys(publishers)) {
    const entry = Object.hasOwn(catalogue, name) ? catalogue[name] : undefined;
    if (entry === undefined) errors.push(`publishers.${name}: no registry "${name}" is defined`);
    else if (entry.kind === 'gitlab') errors.push(`publishers.${name}: a kind: gitlab registry is each project's own and takes no publishers`);
  }
  if (errors.length > 0) return { ok: false, errors };
  const targets: Record<string, TargetPolicy> = {};
  for (const [name, entry] of Object.entries(catalogue)) {
    const grants = Object.hasOwn(publishers, name) ? (publishers[name] ?? []) : [];
    targets[name] = entry.kind === 'gitlab' ? { kind: 'own-project' } : { kind: 'grants', grants: Object.freeze(grants.map(toGrant)) };
  }
  return { ok: true, policy: Object.freeze({ targets: Object.freeze(targets), extendsAllowed: Object.freeze([...extendsAllowed]) }) };
}
