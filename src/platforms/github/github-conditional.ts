import type { PageAnswer } from '../conditional-pages.js';
import { githubRate } from '../rate-reading.js';
import { githubStatus, translateGithubError } from './github-errors.js';
import type { GithubOctokit } from './github-octokit.js';

type Route = Parameters<GithubOctokit['request']>[0];

const PER_PAGE = 100;

/**
 * One page of a GitHub listing, asked with If-None-Match when an ETag is given
 * (docs.github.com "Best practices for using the REST API": conditional requests). A 304
 * is answered with no content and costs no rate-limit point; Octokit reports it as a
 * RequestError with status 304, whose headers still carry the rate limit.
 */
export async function githubPage<T>(
  octokit: GithubOctokit,
  route: Route,
  params: Record<string, unknown>,
  page: number,
  etag: string | null,
  action: string,
  items: (data: unknown) => readonly T[],
): Promise<PageAnswer<T>> {
  try {
    const res = await octokit.request(route, { ...params, per_page: PER_PAGE, page, ...(etag === null ? {} : { headers: { 'if-none-match': etag } }) });
    const headers = res.headers as Record<string, string | number | undefined>;
    const list = items(res.data);
    const link = String(headers['link'] ?? '');
    return {
      status: 200,
      etag: typeof headers['etag'] === 'string' ? headers['etag'] : null,
      items: list,
      hasNext: /rel="next"/.test(link),
      full: list.length >= PER_PAGE,
      rate: githubRate(headers),
      points: 1,
    };
  } catch (error) {
    if (githubStatus(error) !== 304 || etag === null) throw translateGithubError(error, action);
    const headers = (error as { response?: { headers?: Record<string, string | number | undefined> } }).response?.headers;
    return { status: 304, etag, items: [], hasNext: false, full: false, rate: githubRate(headers), points: 0 };
  }
}
