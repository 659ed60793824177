import type { Gitlab } from '@gitbeaker/rest';
import type { ReleaseInput } from '../platform.js';
import { orNull, translated, translateGitlabError } from './gitlab-errors.js';
import { linkSchema } from './gitlab-schemas.js';
import { z } from 'zod';

type GitlabApi = InstanceType<typeof Gitlab<false>>;

/**
 * ensureRelease over doc/api/releases/_index.md and releases/links.md: create; when that
 * fails, look the release up (a 409 "Release already exists", or a create whose lost
 * response gitbeaker retried into a 409) and bring it in line: PUT name and description,
 * then add each missing link and fix a link whose url changed. Never deletes links a
 * human added.
 */
export function releaseOps(api: GitlabApi, pid: number | string): { ensure(release: ReleaseInput): Promise<'created' | 'updated'> } {
  const update = async (release: ReleaseInput): Promise<void> => {
    await translated('update a release', () => api.ProjectReleases.edit(pid, release.tag, { name: release.name, description: release.description }));
    const raw = await translated('list release links', () => api.ReleaseLinks.all(pid, release.tag, { perPage: 100 }));
    const result = z.array(linkSchema).safeParse(raw);
    if (!result.success) throw translateGitlabError(new Error('unexpected release links'), 'list release links');
    for (const link of release.links) {
      const existing = result.data.find((l) => l.name === link.name);
      if (existing === undefined) await translated('add a release link', () => api.ReleaseLinks.create(pid, release.tag, link.name, link.url));
      else if (existing.url !== link.url) await translated('fix a release link', () => api.ReleaseLinks.edit(pid, release.tag, existing.id, { url: link.url }));
    }
  };
  return {
    ensure: async (release) => {
      try {
        await api.ProjectReleases.create(pid, {
          tagName: release.tag,
          name: release.name,
          description: release.description,
          assets: { links: release.links.map((l) => ({ name: l.name, url: l.url })) },
        });
        return 'created';
      } catch (error) {
        const existing = await orNull('read a release', () => api.ProjectReleases.show(pid, release.tag));
        if (existing === null) throw translateGitlabError(error, 'create a release');
      }
      await update(release);
      return 'updated';
    },
  };
}
