import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { RequestCost } from '../platform.js';
import { addCost, NO_COST } from '../rate-reading.js';
import type { ListedRepository, RepositoryDirectory } from '../repository-directory.js';
import type { GitlabRest } from './gitlab-rest.js';

const projectsSchema = z.array(
  z.object({
    id: z.number().int().positive(),
    path_with_namespace: z.string().min(1),
    default_branch: z.string().nullable().optional(),
    last_activity_at: z.string().nullable().optional(),
  }),
);

/**
 * GitLab writes a project's last_activity_at lazily: an event moves it only when it is
 * older than an hour (app/models/event.rb, RESET_PROJECT_ACTIVITY_INTERVAL = 1.hour,
 * behind an exclusive lease of the same length). A push within an hour of the last
 * recorded activity leaves it where it was, so a window must reach an hour further back.
 */
export const LAST_ACTIVITY_LAG_MS = 3600_000;
const MAX_PAGES = 1000;

/**
 * The projects the token's user is a member of (directly or through a group) with
 * activity after `since`: GET /projects?membership=true&last_activity_after=...&simple=true,
 * a hundred a page, ordered by id so that a project turning active while the pages are
 * read can repeat an entry but never push one out of the listing.
 */
export function createGitlabDirectory(rest: GitlabRest): RepositoryDirectory {
  return {
    kind: 'active',
    lagMs: LAST_ACTIVITY_LAG_MS,
    changed: async (since) => {
      const repos: ListedRepository[] = [];
      let cost: RequestCost = NO_COST;
      const query: Record<string, string> = { membership: 'true', simple: 'true', order_by: 'id', sort: 'asc', per_page: '100' };
      if (since !== null) query['last_activity_after'] = new Date(since).toISOString();
      let page: number | null = 1;
      for (let n = 0; page !== null && n < MAX_PAGES; n++) {
        const answer = await rest.get('projects', { ...query, page: String(page) }, null, 'list projects with recent activity');
        cost = addCost(cost, { requests: 1, points: 1, rate: answer.rate });
        const result = projectsSchema.safeParse(answer.body);
        if (!result.success) throw new AppError('forge-unavailable', "GitLab's answer to list projects has an unexpected shape", { retryable: true });
        for (const p of result.data) {
          repos.push({ id: String(p.id), path: p.path_with_namespace, defaultBranch: p.default_branch ?? null, changedAt: p.last_activity_at ?? null });
        }
        page = answer.nextPage;
      }
      const seen = new Set<string>();
      return { kind: 'active', repos: repos.filter((r) => !seen.has(r.id) && seen.add(r.id) !== undefined), validator: null, cost };
    },
  };
}
