import { Gitlab } from '@gitbeaker/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitlabClient, slidingWindow } from '../../../src/platforms/gitlab/gitlab-client.js';
import { Registry } from '../../../src/observability/metrics.js';
import { waitsHistogram } from '../../../src/observability/waits.js';
import { startFakeGitlab } from '../../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../../fakes/fake-gitlab.js';
import { addCommit } from '../../fakes/fake-gitlab-arrange.js';

const TOKEN = 'glpat-client-test-token';
const SHA = 'a'.repeat(40);

let gl: FakeGitlab;
let projectId: number;
beforeEach(async () => {
  gl = await startFakeGitlab();
  gl.addUser('pyrelease-bot', TOKEN);
  const project = gl.addProject('acme/sample', 'main');
  addCommit(project, 'main', SHA, 'release', { 'README.md': 'x' });
  project.archives.set(SHA, Buffer.from('not really a tarball'));
  projectId = project.id;
});
afterEach(() => gl.close());

type Api = ReturnType<typeof createGitlabClient>;
const archive = (api: Api): Promise<unknown> => api.Repositories.showArchive(projectId, { sha: SHA, fileType: 'tar.gz' }) as Promise<unknown>;
const archivesServed = (): number => gl.log.filter((r) => r.url.includes('/repository/archive') && r.status === 200).length;

async function pacingWaits(): Promise<number> {
  const registry = new Registry();
  registry.register(waitsHistogram);
  const line = (await registry.render()).split('\n').find((l) => l.startsWith('pyrelease_waits_seconds_count{reason="gitlab-client-pacing"}'));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('the GitLab client', () => {
  it('by default sends an eighth archive download in a minute at once (GitLab, not the client, limits)', { timeout: 10_000 }, async () => {
    const api = createGitlabClient({ host: gl.url, token: TOKEN });
    const started = Date.now();
    await Promise.all(Array.from({ length: 8 }, () => archive(api)));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(archivesServed()).toBe(8);
  });

  it('(why) gitbeaker left to its defaults holds the sixth archive download in a minute', { timeout: 10_000 }, async () => {
    const api = new Gitlab({ host: gl.url, token: TOKEN });
    void Promise.all(Array.from({ length: 6 }, () => archive(api))).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2000));
    expect(archivesServed()).toBe(5);
  });

  it('with gitlab.com pacing, waits past the limit, and logs and counts the wait', { timeout: 10_000 }, async () => {
    const lines: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    const log = { info: (obj: object, msg: string) => void lines.push({ obj: obj as Record<string, unknown>, msg }) };
    const api = createGitlabClient({ host: gl.url, token: TOKEN, rateLimits: 'gitlab.com', log, windowMs: 1500 });
    const before = await pacingWaits();
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => archive(api)));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(archivesServed()).toBe(6);
    expect(await pacingWaits()).toBe(before + 1);
    expect(lines).toEqual([{ obj: expect.objectContaining({ wait: 'gitlab-client-pacing', endpoint: 'Repositories.showArchive' }), msg: expect.stringMatching(/^waiting 1\.\d s: pacing GitLab requests/) }]);
    // Other endpoints are not paced, and the token is never in the log.
    await api.Projects.show(projectId);
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });
});

describe('slidingWindow', () => {
  it('gives the (limit+1)th start the first start plus the window', () => {
    let t = 1000;
    const take = slidingWindow(2, 60_000, () => t);
    expect([take(), take()]).toEqual([0, 0]);
    t = 1500;
    expect(take()).toBe(59_500);
    expect(take()).toBe(59_500);
    t = 200_000;
    expect(take()).toBe(0);
  });
});
