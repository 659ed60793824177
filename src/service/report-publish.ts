import { canonicalizeName } from '../core/names.js';
import { REPORT_MARKER } from '../core/report.js';
import { escapeText } from '../core/markdown.js';
import { releaseDescription } from '../core/release-notes.js';
import type { PublishJobData } from '../jobs/publish-job.js';
import type { PublishJobResult } from '../jobs/publish-processor.js';
import type { Logger } from '../logger.js';
import type { Platform } from '../platforms/platform.js';
import { resolveTargets } from '../publishing/registries.js';
import type { RegistryEntry } from '../publishing/registries.js';
import { releaseNotesAt } from './release-notes.js';

/** Where people find a release on each target: PyPI's project page, else the simple index page. */
export function releaseLinks(data: PublishJobData, result: PublishJobResult, registries: Readonly<Record<string, RegistryEntry>>, gitlabUrl?: string): Array<{ name: string; url: string }> {
  const project = canonicalizeName(data.project ?? result.files[0]?.filename.split('-')[0] ?? 'project');
  const targets = resolveTargets(data.registries, registries, { gitlabProjectId: data.gitlabProjectId, gitlabUrl });
  return targets.map((t) => {
    if (t.uploadUrl === 'https://upload.pypi.org/legacy/') return { name: `${project} ${data.version} on PyPI`, url: `https://pypi.org/project/${project}/${data.version}/` };
    if (t.uploadUrl === 'https://test.pypi.org/legacy/') return { name: `${project} ${data.version} on TestPyPI`, url: `https://test.pypi.org/project/${project}/${data.version}/` };
    return { name: `${project} ${data.version} on ${t.name}`, url: `${t.simpleUrl}${project}/` };
  });
}

function filesTable(result: PublishJobResult): string {
  const rows = result.files.map((f) => `| ${escapeText(f.filename, 200)} | ${escapeText(f.registry, 64)} | ${f.outcome} | \`${f.sha256.slice(0, 16)}…\` |`);
  return ['| File | Registry | Outcome | sha256 |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/**
 * After a publish job: a success status, the forge release with links, and the
 * change requests that brought the commit told where the release went. Each write is
 * idempotent, so a retried report repeats nothing.
 */
export async function reportPublished(platform: Platform, data: PublishJobData, result: PublishJobResult, links: Array<{ name: string; url: string }>, log: Logger): Promise<void> {
  const uploaded = result.files.filter((f) => f.outcome === 'uploaded').length;
  const dry = result.files.some((f) => f.outcome === 'would-upload');
  const where = data.registries.join(', ');
  const description = dry ? `dry run: ${data.version} would be published to ${where}` : `published ${data.version} to ${where} (${uploaded} new files)`;
  await platform.setStatus(data.sha, { state: 'success', description });
  if (dry || data.tag === null) return;
  const footer = [`Released ${escapeText(data.version, 100)} with pyrelease.`, '', ...links.map((l) => `- [${escapeText(l.name, 200)}](${l.url})`), '', filesTable(result)].join('\n');
  // The version's changelog entry above the links, within the forge's size limit; none: the text as before.
  const notes = await releaseNotesAt(platform, data, log);
  const body = releaseDescription({ notes, footer, forge: data.platform === 'github' ? 'github' : 'gitlab', links });
  await platform.ensureRelease({ tag: data.tag, name: data.version, description: body, links });
  const comment = `${REPORT_MARKER}\n### 📦 pyrelease: ${escapeText(data.version, 100)} is released\n\n${links.map((l) => `- [${escapeText(l.name, 200)}](${l.url})`).join('\n')}\n\n${filesTable(result)}\n`;
  for (const number of await platform.changeRequestsForCommit(data.sha)) {
    const outcome = await platform.upsertComment({ kind: 'change-request', number }, comment, REPORT_MARKER);
    log.info({ changeRequest: number, outcome }, 'release reported on change request');
  }
}

/** How a maintainer runs a failed release again (handle-event.ts: a new push of the tag retries it). */
export const RETRY_HINT = 'To run this release again once the cause is fixed, push the tag again (delete it and push it at the same commit). Files already on an index are not uploaded twice.';

export async function reportPublishFailed(platform: Platform, data: PublishJobData, reason: string): Promise<void> {
  const short = reason.length > 200 ? `${reason.slice(0, 199)}…` : reason;
  await platform.setStatus(data.sha, { state: 'failure', description: `publishing ${data.version} failed: ${short}` });
  const body = `${REPORT_MARKER}\n### ❌ pyrelease: publishing ${escapeText(data.version, 100)} failed\n\n${escapeText(reason, 4000)}\n\n${RETRY_HINT}\n`;
  await platform.upsertComment({ kind: 'commit', sha: data.sha }, body, REPORT_MARKER);
}
