import { globMatch } from './branch-glob.js';
import { canonicalizeName } from './names.js';

/**
 * Who may publish what, where: the operator's grants (server config `publishers`) and
 * the first-publisher bindings, turned into a verdict. Pure: the server config parser
 * builds the policy, the publish job and the merge-request checks ask it, and the
 * binding store only records what it decided.
 */
export type PublisherPlatform = 'gitlab' | 'github' | 'local';

/** The repository a release comes from. `id` is the forge's stable id; `path` is what operators write. */
export interface Publisher {
  readonly platform: PublisherPlatform;
  readonly id: string;
  readonly path: string;
}

/** One line of `publishers.<target>` in the server config. Patterns are globs: `*` within a segment, `**` across. */
export interface Grant {
  readonly gitlab: readonly string[];
  readonly github: readonly string[];
  /** Jobs from a worker's own disk (tests, a workstation); never a forge repository. */
  readonly local: readonly string[];
  /** PEP 503 normalised project names (the patterns are normalised too). */
  readonly projects: readonly string[];
  /** Names these repositories may publish even when another repository holds the binding (granted too). */
  readonly sharedProjects: readonly string[];
}

export type TargetPolicy =
  /** `kind: gitlab`: each GitLab project publishes only to its own package registry. */
  | { readonly kind: 'own-project' }
  /** A target that uses the server's credentials: only what a grant names. No grants: nobody. */
  | { readonly kind: 'grants'; readonly grants: readonly Grant[] };

export interface PublishPolicy {
  readonly targets: Readonly<Record<string, TargetPolicy>>;
  /** GitHub repositories (owner/name globs) a config's `_extends` may name besides the owner's `.github`. */
  readonly extendsAllowed: readonly string[];
}

/** Who first published a name to a target. `id` null: an operator moved it by path. */
export interface Binding {
  readonly platform: PublisherPlatform;
  readonly id: string | null;
  readonly path: string;
}

export type RefusalCode = 'target-unknown' | 'repo-not-allowed' | 'project-not-allowed' | 'project-bound' | 'not-own-project';

export type AccessVerdict =
  | { readonly allowed: true; /** Record this repository as the name's publisher (first publish). */ readonly bind: boolean }
  | { readonly allowed: false; readonly code: RefusalCode; /** Why, in words safe to show the repository. */ readonly reason: string; /** What the operator must allow. */ readonly fix: string };

const CONFIG = 'the server config (PYRELEASE_CONFIG)';

function patternsFor(grant: Grant, platform: PublisherPlatform): readonly string[] {
  return grant[platform];
}

/** Forge paths are case-insensitive on GitHub and GitLab; operators should not have to match the payload's casing. */
function pathMatches(patterns: readonly string[], path: string): boolean {
  const p = path.toLowerCase();
  return patterns.some((pattern) => globMatch(pattern.toLowerCase(), p));
}

/** Globs over PEP 503 names: `Acme_*` and `acme-*` are the same pattern. */
export function normalizeNamePattern(pattern: string): string {
  return canonicalizeName(pattern);
}

function nameMatches(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => globMatch(pattern, name));
}

export function bindingHolds(binding: Binding, publisher: Publisher): boolean {
  if (binding.platform !== publisher.platform) return false;
  return binding.id !== null ? binding.id === publisher.id : binding.path.toLowerCase() === publisher.path.toLowerCase();
}

export function describePublisher(p: Pick<Publisher, 'platform' | 'path'>): string {
  return `${p.platform}:${p.path}`;
}

function grantLine(target: string, publisher: Publisher, project: string | null): string {
  const projects = project === null ? '' : ` with \`projects: [${project}]\``;
  return `add \`${publisher.platform}: [${publisher.path}]\`${projects} to \`publishers.${target}\` in ${CONFIG}`;
}

function unknownTarget(target: string): AccessVerdict {
  return { allowed: false, code: 'target-unknown', reason: `registry \`${target}\` is not defined in ${CONFIG}`, fix: `define \`registries.${target}\` in ${CONFIG}, or name a defined registry` };
}

function lookup(policy: PublishPolicy, target: string): TargetPolicy | undefined {
  return Object.hasOwn(policy.targets, target) ? policy.targets[target] : undefined;
}

function ownProject(target: string, publisher: Publisher): AccessVerdict {
  if (publisher.platform === 'gitlab') return { allowed: true, bind: false };
  return {
    allowed: false,
    code: 'not-own-project',
    reason: `registry \`${target}\` is a GitLab project's own package registry, and ${describePublisher(publisher)} is not a GitLab project`,
    fix: 'name a registry target that uses the server\'s credentials instead',
  };
}

/** May this repository publish to this target at all? Asked before anything is built, and by the merge-request checks. */
export function mayUseTarget(policy: PublishPolicy, target: string, publisher: Publisher): AccessVerdict {
  const rule = lookup(policy, target);
  if (rule === undefined) return unknownTarget(target);
  if (rule.kind === 'own-project') return ownProject(target, publisher);
  if (rule.grants.some((g) => pathMatches(patternsFor(g, publisher.platform), publisher.path))) return { allowed: true, bind: false };
  return {
    allowed: false,
    code: 'repo-not-allowed',
    reason: `${describePublisher(publisher)} may not publish to registry \`${target}\``,
    fix: `an operator must ${grantLine(target, publisher, null)}`,
  };
}

/**
 * May this repository publish this project name to this target, given who holds the
 * name there (`binding`, null when nobody published it yet)? `project` may be given in
 * any spelling; it is normalised here so that `Acme_Tool` cannot slip past `acme-tool`.
 */
export function mayPublish(policy: PublishPolicy, target: string, publisher: Publisher, project: string, binding: Binding | null): AccessVerdict {
  const rule = lookup(policy, target);
  if (rule === undefined) return unknownTarget(target);
  // A project's own registry holds only that project's packages: no name can be taken from another.
  if (rule.kind === 'own-project') return ownProject(target, publisher);
  const name = canonicalizeName(project);
  const forRepo = rule.grants.filter((g) => pathMatches(patternsFor(g, publisher.platform), publisher.path));
  if (forRepo.length === 0) return mayUseTarget(policy, target, publisher);
  // A shared name is one the grant lets its repositories publish, so it counts as granted too.
  if (!forRepo.some((g) => nameMatches(g.projects, name) || nameMatches(g.sharedProjects, name))) {
    return {
      allowed: false,
      code: 'project-not-allowed',
      reason: `${describePublisher(publisher)} may not publish the project \`${name}\` to registry \`${target}\``,
      fix: `an operator must ${grantLine(target, publisher, name)}`,
    };
  }
  if (binding === null) return { allowed: true, bind: true };
  if (bindingHolds(binding, publisher)) return { allowed: true, bind: false };
  if (forRepo.some((g) => nameMatches(g.sharedProjects, name))) return { allowed: true, bind: false };
  // The holder is not named: the repository that is refused may not even know the other one exists.
  return {
    allowed: false,
    code: 'project-bound',
    reason: `the project \`${name}\` on registry \`${target}\` was first published by another repository, and only that repository may publish it`,
    fix: `if this repository now owns \`${name}\`, an operator must move the binding (\`pyrelease bindings move ${target} ${name} --to ${describePublisher(publisher)}\`), or list \`${name}\` under \`shared-projects\` of this repository's grant in \`publishers.${target}\``,
  };
}

/**
 * The targets among `names` this repository may publish `project` to (or use at all,
 * when the name is unknown). Asking an index with the server's credentials about a
 * target the repository may not use would tell it what another team has published.
 */
export function allowedTargets(policy: PublishPolicy, publisher: Publisher, names: readonly string[], project: string | null): string[] {
  return names.filter((target) => (project === null ? mayUseTarget(policy, target, publisher) : mayPublish(policy, target, publisher, project, null)).allowed);
}
