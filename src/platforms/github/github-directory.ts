import { z } from 'zod';
import type { PageAnswer } from '../conditional-pages.js';
import type { RequestCost } from '../platform.js';
import { addCost, NO_COST } from '../rate-reading.js';
import type { ListedRepository, RepositoryDirectory } from '../repository-directory.js';
import { githubPage } from './github-conditional.js';
import type { GithubOctokit } from './github-octokit.js';
import { parsed } from './github-schemas.js';

const installationReposSchema = z.object({
  repositories: z.array(
    z.object({
      id: z.number().int().positive(),
      full_name: z.string().min(1),
      default_branch: z.string().nullable().optional(),
      pushed_at: z.string().nullable().optional(),
    }),
  ),
});

const validatorSchema = z.array(z.string().min(1).max(200)).max(1000);
const MAX_PAGES = 1000;
/** How close to the listing a push counts as "in the same second", our clock against GitHub's. */
const RECENT_PUSH_MS = 5000;
const NEVER_MATCHES = 'W/"-"';

function oldEtags(validator: string | null): string[] {
  if (validator === null) return [];
  try {
    const parsedValidator = validatorSchema.safeParse(JSON.parse(validator));
    return parsedValidator.success ? parsedValidator.data : [];
  } catch {
    return [];
  }
}

/**
 * The repositories of one App installation (GET /installation/repositories, with
 * `pushed_at`, a hundred a page), each page revalidated with its ETag: a page none of
 * whose repositories was pushed to (or renamed, or added) answers 304 and costs nothing,
 * so a pass over a quiet installation of 10,000 repositories costs 100 free requests.
 * pushed_at moves with every push, of branches and tags alike.
 */
export function createGithubDirectory(octokit: GithubOctokit): RepositoryDirectory {
  return {
    kind: 'all',
    lagMs: 0,
    changed: async (_since, validator) => {
      const old = oldEtags(validator);
      const etags: string[] = [];
      const repos: ListedRepository[] = [];
      let cost: RequestCost = NO_COST;
      let complete = true;
      for (let page = 1; page <= MAX_PAGES; page++) {
        const asked = Date.now();
        const answer: PageAnswer<ListedRepository> = await githubPage(octokit, 'GET /installation/repositories', {}, page, old[page - 1] ?? null, 'list the installation\'s repositories', (data) =>
          parsed(installationReposSchema, data, 'list the installation\'s repositories').repositories.map((r) => ({
            id: String(r.id),
            path: r.full_name,
            defaultBranch: r.default_branch ?? null,
            changedAt: r.pushed_at ?? null,
          })),
        );
        cost = addCost(cost, { requests: 1, points: answer.points, rate: answer.rate });
        repos.push(...answer.items);
        if (answer.etag === null) complete = false;
        // pushed_at has whole seconds: a second push in the second of one this page shows
        // would leave the page as it is, and its 304 would hide the push. Such a page is read
        // again next time (an ETag that never matches).
        else etags.push(answer.items.some((r) => Date.parse(r.changedAt ?? '') >= asked - RECENT_PUSH_MS) ? NEVER_MATCHES : answer.etag);
        // A 304 says nothing of a next page: the previous listing had as many pages.
        const more = answer.status === 304 ? page < old.length : answer.hasNext;
        if (!more) break;
      }
      return { kind: 'all', repos, validator: complete ? JSON.stringify(etags) : null, cost };
    },
  };
}
