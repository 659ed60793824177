import { afterEach, describe, expect, it } from 'vitest';

// bench/ is plain JS without type declarations: load it by URL and state the shape we use.
interface SyntheticRepo {
  id: number;
  name: string;
  kind: 'publishing' | 'python' | 'other';
  files: Record<string, string>;
  tags: Array<{ name: string; sha: string }>;
  pushedAt: number;
  lastActivityAt: number;
}
interface Forge {
  url: string;
  counters: { requests: number; points: number; notModified: number };
  rate: Record<string, number>;
  close(): Promise<void>;
}
interface SweepForges {
  syntheticRepos(n: number, now?: number): SyntheticRepo[];
  push(repo: SyntheticRepo, at?: number): void;
  fakeGithubForge(repos: SyntheticRepo[], options?: { limit?: number }): Promise<Forge>;
  fakeGitlabForge(repos: SyntheticRepo[], options?: { limit?: number }): Promise<Forge>;
}
const forges = (await import(new URL('../../bench/sweep-forges.js', import.meta.url).href)) as SweepForges;

let forge: Forge | null = null;
afterEach(async () => {
  await forge?.close();
  forge = null;
});

describe('bench/sweep-forges.js', () => {
  it('makes a quarter of the repositories publish, a quarter Python without a registry, the rest not Python', () => {
    const repos = forges.syntheticRepos(8);
    expect(repos.map((r) => r.kind)).toEqual(['publishing', 'python', 'other', 'other', 'publishing', 'python', 'other', 'other']);
    expect(repos[0]?.files['pyproject.toml']).toContain('registries = ["pypi"]');
    expect(repos[1]?.files['pyproject.toml']).not.toContain('registries');
  });

  it('moves last_activity_at at most once an hour, pushed_at every time', () => {
    const now = Date.now();
    const [repo] = forges.syntheticRepos(1, now);
    if (repo === undefined) throw new Error('no repository');
    forges.push(repo, now);
    expect(repo.lastActivityAt).toBe(now);
    forges.push(repo, now + 60_000);
    expect(repo.pushedAt).toBe(now + 60_000);
    expect(repo.lastActivityAt).toBe(now);
  });

  it('GitHub: a matching If-None-Match is a 304 that costs no point; past the limit, 403', async () => {
    forge = await forges.fakeGithubForge(forges.syntheticRepos(3), { limit: 3 });
    const first = await fetch(`${forge.url}/repos/bench/r0/tags`);
    const etag = first.headers.get('etag') ?? '';
    const again = await fetch(`${forge.url}/repos/bench/r0/tags`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(forge.counters).toMatchObject({ requests: 2, points: 1, notModified: 1 });
    await fetch(`${forge.url}/installation/repositories`);
    await fetch(`${forge.url}/repos/bench/r1`);
    const refused = await fetch(`${forge.url}/repos/bench/r2`);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
  });

  it('GitLab: a 304 counts; the project listing filters by last_activity_after', async () => {
    const repos = forges.syntheticRepos(3);
    forge = await forges.fakeGitlabForge(repos);
    const first = await fetch(`${forge.url}/api/v4/projects/${repos[0]?.id}/repository/tags`);
    const again = await fetch(`${forge.url}/api/v4/projects/${repos[0]?.id}/repository/tags`, { headers: { 'if-none-match': first.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
    expect(again.headers.get('ratelimit-remaining')).toBe('1998');
    forges.push(repos[2] as SyntheticRepo);
    const recent = await fetch(`${forge.url}/api/v4/projects?membership=true&last_activity_after=${new Date(Date.now() - 60_000).toISOString()}`);
    expect(((await recent.json()) as Array<{ name: string }>).map((p) => p.name)).toEqual(['r2']);
  });
});
