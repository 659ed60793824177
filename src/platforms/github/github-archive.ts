import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppError } from '../../errors.js';
import { streamToFile } from '../stream-to-file.js';
import { translated } from './github-errors.js';
import type { GithubOctokit, RepoRef } from './github-octokit.js';

export { ARCHIVE_DOWNLOAD_LIMIT } from '../stream-to-file.js';
const DOWNLOAD_TIMEOUT_MS = 5 * 60_000;

/**
 * Where the tarball redirect may lead: the API's own origin (GitHub Enterprise Server
 * serves codeload below it, `/_codeload/...`) or its codeload counterpart
 * (api.github.com -> codeload.github.com; HOST -> codeload.HOST with subdomain isolation).
 * Never an arbitrary URL: a Location from anywhere else is refused (the SSRF class).
 */
export function allowedArchiveOrigins(apiBaseUrl: string): string[] {
  const api = new URL(apiBaseUrl);
  const host = api.hostname === 'api.github.com' ? 'github.com' : api.hostname;
  const port = api.port === '' ? '' : `:${api.port}`;
  return [api.origin, `${api.protocol}//codeload.${host}${port}`];
}

/**
 * GET /repos/{owner}/{repo}/tarball/{ref} answers 302 to a short-lived codeload URL that
 * carries its own token (docs "Download a repository archive (tar)"). The redirect is
 * taken by hand: checked against the allowed origins, fetched without our Authorization
 * header, streamed to destFile with a size cap; a partial file is removed.
 */
export async function downloadTarball(octokit: GithubOctokit, repo: RepoRef, apiBaseUrl: string, sha: string, destFile: string, limit: number): Promise<void> {
  const first = await translated('download the source archive', () =>
    octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', { ...repo, ref: sha, request: { redirect: 'manual', parseSuccessResponseBody: false } }),
  );
  const data: unknown = first.data;
  if (data !== null && typeof data === 'object' && typeof (data as { cancel?: unknown }).cancel === 'function') await (data as WebReadableStream).cancel().catch(() => undefined);
  const location = (first.headers as Record<string, string | undefined>)['location'];
  if ((first.status as number) !== 302 || location === undefined) throw new AppError('source-unavailable', `GitHub answered ${first.status} without a redirect for the source archive`, { retryable: true });
  let target: URL;
  try {
    target = new URL(location, apiBaseUrl);
  } catch {
    throw new AppError('source-unavailable', 'GitHub redirected the source archive to an unreadable URL', { retryable: false });
  }
  if (!allowedArchiveOrigins(apiBaseUrl).includes(target.origin)) {
    throw new AppError('source-unavailable', `refusing to follow the archive redirect to ${target.origin}`, { retryable: false, details: { origin: target.origin } });
  }
  let response: Response;
  try {
    response = await fetch(target, { redirect: 'error', signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  } catch {
    throw new AppError('source-unavailable', 'could not fetch the source archive from codeload', { retryable: true });
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    throw new AppError('source-unavailable', `codeload answered ${response.status} for the source archive`, { retryable: response.status >= 500 || response.status === 429, details: { status: response.status } });
  }
  const declared = Number(response.headers.get('content-length') ?? 'NaN');
  if (declared > limit) {
    await response.body.cancel().catch(() => undefined);
    throw new AppError('archive-too-large', `the source archive is larger than ${limit} bytes`, { details: { limit } });
  }
  await streamToFile(response.body, destFile, limit, 'codeload');
}
