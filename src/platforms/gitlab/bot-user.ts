import { AppError } from '../../errors.js';
import { forgeFetch } from '../forge-fetch.js';

/**
 * The token's user (GET /api/v4/user) without @gitbeaker: a web process that only
 * receives webhooks needs the bot's id and username once at start (to ignore its own
 * comments), and nothing else of the client. Workers use @gitbeaker/rest.
 */
export async function readGitlabBotUser(gitlabUrl: string, token: string, timeoutMs = 10_000): Promise<{ id: number; username: string }> {
  const base = gitlabUrl.endsWith('/') ? gitlabUrl : `${gitlabUrl}/`;
  const res = await forgeFetch(new URL('api/v4/user', base), { headers: { 'private-token': token, accept: 'application/json' } }, 'GET /api/v4/user', timeoutMs);
  if (res.status === 401 || res.status === 403) throw new AppError('forge-auth', `GET /api/v4/user answered ${res.status}: check GITLAB_TOKEN`);
  if (!res.ok) throw new AppError('forge-unavailable', `GET /api/v4/user answered ${res.status}`, { retryable: true });
  const user = (await res.json()) as { id?: unknown; username?: unknown };
  if (typeof user.id !== 'number' || typeof user.username !== 'string') throw new AppError('forge-unavailable', 'GET /api/v4/user did not answer a user');
  return { id: user.id, username: user.username };
}
