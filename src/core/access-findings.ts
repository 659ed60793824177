import { finding, quote } from './findings.js';
import type { Finding } from './findings.js';
import { mayPublish, mayUseTarget } from './publish-policy.js';
import type { Publisher, PublishPolicy } from './publish-policy.js';

/**
 * The merge-request side of "who may publish what, where": a repository that names a
 * target the server config does not grant it (or a project name the grant does not
 * cover) hears so on the change, before a tag fails. Static: bindings live in Redis and
 * are checked by the publish job, which also reads the name from the built files.
 */
export interface PublishAccess {
  readonly policy: PublishPolicy;
  readonly publisher: Publisher;
  /** The project name pyproject.toml declares; null when it cannot be read. */
  readonly project: string | null;
}

export function accessFindings(registries: readonly string[], access: PublishAccess | undefined): Finding[] {
  if (access === undefined) return [];
  const out: Finding[] = [];
  for (const target of registries) {
    const verdict = access.project === null ? mayUseTarget(access.policy, target, access.publisher) : mayPublish(access.policy, target, access.publisher, access.project, null);
    if (verdict.allowed) continue;
    // The verdict's words already carry backticks around names; the repository's values
    // are re-quoted so that nothing it chose can break out of them.
    const message = `This repository may not publish to ${quote(target)}: ${stripTicks(verdict.reason)}.`;
    out.push(finding('registry-not-allowed', 'error', message, `Ask the pyrelease operator to allow it: ${stripTicks(verdict.fix)}; or remove ${quote(target)} from \`registries\`.`, 'registries'));
  }
  return out;
}

/** The policy's sentences quote names with backticks; re-quote each quoted span with quote(). */
function stripTicks(text: string): string {
  return text.replace(/`([^`]*)`/g, (_m, inner: string) => quote(inner));
}
