import { bindingHolds, describePublisher, mayPublish, mayUseTarget } from '../core/publish-policy.js';
import type { AccessVerdict, Publisher, PublishPolicy } from '../core/publish-policy.js';
import { canonicalizeName } from '../core/names.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { BindingStore } from './publish-bindings.js';
import type { PublishJobData } from './publish-job.js';

/**
 * The publish job's side of core/publish-policy.ts: who the job publishes as, and the
 * two moments it asks: before building (may this repository use these targets at all?)
 * and after inspecting the built files (may it publish this name, and bind it?). A
 * refusal is a permanent failure whose message says what the operator must allow.
 */
function refused(target: string, verdict: Extract<AccessVerdict, { allowed: false }>): AppError {
  return new AppError('publish-forbidden', `${verdict.reason}: ${verdict.fix}`, { details: { registry: target, refusal: verdict.code } });
}

/** The repository a job publishes for. A forge job must say its path: grants are written as paths. */
export function publisherOf(data: PublishJobData): Publisher {
  const path = data.repoPath ?? (data.platform === 'local' ? data.repo : undefined);
  if (path === undefined) {
    throw new AppError('publish-forbidden', `the job does not name the ${data.platform} repository's path, so no grant can match it`);
  }
  return { platform: data.platform, id: data.repo, path };
}

export function authoriseTargets(policy: PublishPolicy, data: PublishJobData): Publisher {
  const publisher = publisherOf(data);
  for (const target of data.registries) {
    const verdict = mayUseTarget(policy, target, publisher);
    if (!verdict.allowed) throw refused(target, verdict);
    // The project's own registry is addressed by gitlabProjectId: it must be this project's.
    const own = Object.hasOwn(policy.targets, target) && policy.targets[target]?.kind === 'own-project';
    if (own && data.gitlabProjectId !== Number(data.repo)) {
      throw new AppError('publish-forbidden', `registry \`${target}\` publishes only to the GitLab project's own registry, and this job names another project`, { details: { registry: target } });
    }
  }
  return publisher;
}

/**
 * Checks every name the built files carry against every target, and binds each name to
 * this repository on first publish (unless `dryRun`). The claim is atomic: when two
 * repositories race for a new name, the loser sees the winner's binding and is refused.
 */
export async function authoriseProjects(
  policy: PublishPolicy,
  bindings: BindingStore,
  data: PublishJobData,
  publisher: Publisher,
  names: readonly string[],
  options: { dryRun: boolean; log: Logger },
): Promise<void> {
  const projects = [...new Set(names.map(canonicalizeName))];
  for (const target of data.registries) {
    for (const project of projects) {
      let holder = await bindings.get(target, project);
      let verdict = mayPublish(policy, target, publisher, project, holder);
      if (verdict.allowed && verdict.bind && !options.dryRun) {
        const now = await bindings.claim(target, project, { platform: publisher.platform, id: publisher.id, path: publisher.path });
        if (!bindingHolds(now, publisher)) {
          holder = now;
          verdict = mayPublish(policy, target, publisher, project, now);
        } else options.log.info({ registry: target, project, publisher: describePublisher(publisher) }, 'project name bound to this repository');
      }
      if (!verdict.allowed) {
        // The holder goes to the operator's log, not into the message the repository sees.
        options.log.warn({ registry: target, project, refusal: verdict.code, holder: holder === null ? null : describePublisher(holder) }, 'publish refused by the server config');
        throw refused(target, verdict);
      }
    }
  }
}
