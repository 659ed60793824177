import type { ReleaseInput } from '../platform.js';
import { orNull, translated, translateGithubError } from './github-errors.js';
import type { GithubOctokit, RepoRef } from './github-octokit.js';
import { parsed, releaseSchema } from './github-schemas.js';

/**
 * ensureRelease over docs rest/releases/releases. GitHub releases have uploaded assets,
 * not links: the links go into the body, under a hidden marker, as a markdown list.
 * (Uploading the dists as assets too is possible through uploads.github.com but doubles
 * the storage of every file and adds a host to allow: left out.)
 *
 * Create; when that fails (422 already_exists, or a create whose lost response
 * @octokit/plugin-retry sent again), read the release by tag and PATCH name and body.
 * Decided by re-reading, never by the error's words.
 */
export const RELEASE_FILES_MARKER = '<!-- pyrelease:files -->';
const BODY_LIMIT = 125_000;

const escapeText = (text: string): string => text.replace(/[\\[\]()*_`<>]/g, '\\$&');
const escapeUrl = (url: string): string => url.replace(/[()\s<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

export function releaseBody(release: ReleaseInput): string {
  if (release.links.length === 0) return release.description;
  const list = release.links.map((l) => `- [${escapeText(l.name)}](${escapeUrl(l.url)})`).join('\n');
  const body = `${release.description}\n\n${RELEASE_FILES_MARKER}\n### Files\n\n${list}\n`;
  return body.length <= BODY_LIMIT ? body : body.slice(0, BODY_LIMIT);
}

export async function ensureGithubRelease(octokit: GithubOctokit, repo: RepoRef, release: ReleaseInput): Promise<'created' | 'updated'> {
  const fields = { name: release.name, body: releaseBody(release) };
  try {
    await octokit.request('POST /repos/{owner}/{repo}/releases', { ...repo, tag_name: release.tag, ...fields });
    return 'created';
  } catch (error) {
    const existing = await orNull('read a release', () => octokit.request('GET /repos/{owner}/{repo}/releases/tags/{tag}', { ...repo, tag: release.tag }));
    if (existing === null) throw translateGithubError(error, 'create a release');
    const found = parsed(releaseSchema, existing.data, 'read a release');
    await translated('update a release', () => octokit.request('PATCH /repos/{owner}/{repo}/releases/{release_id}', { ...repo, release_id: found.id, ...fields }));
    return 'updated';
  }
}
