import { afterEach, describe, expect, it } from 'vitest';
import { gitlabHookApi, nextPage } from '../../../src/platforms/gitlab/install-api.js';
import { hookDrift, installGitlabHooks, uninstallGitlabHooks } from '../../../src/platforms/gitlab/install.js';
import type { InstallOptions, TargetResult } from '../../../src/platforms/gitlab/install.js';
import { startFakeGitlab } from '../../fakes/fake-gitlab-hooks.js';
import type { FakeGitlab, FakeGitlabOptions } from '../../fakes/fake-gitlab-hooks.js';

const HOOK = 'https://bot.test/webhooks/gitlab';
const SECRET = 'hook-secret-123';
let fake: FakeGitlab | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const world: FakeGitlabOptions = {
  tokens: { good: { scopes: ['api'] }, reader: { scopes: ['read_api', 'write_repository'] }, maint: { scopes: ['api'], role: 'maintainer' }, oauth: { scopes: ['api'], type: 'oauth' } },
  groups: ['acme', 'acme/sub', 'acme/sub/deep'],
  projects: [
    { id: 11, group: 'acme', path: 'a' },
    { id: 12, group: 'acme', path: 'old', archived: true },
    { id: 13, group: 'acme/sub', path: 'b' },
    { id: 14, group: 'acme/sub/deep', path: 'c' },
    { id: 15, group: 'acme/sub', path: 'd' },
  ],
  perPage: 2,
};

async function setup(overrides: Partial<FakeGitlabOptions> = {}, token = 'good') {
  fake = await startFakeGitlab({ ...world, ...overrides });
  return gitlabHookApi({ baseUrl: fake.url, token, perPage: 2 });
}
const opts = (more: Partial<InstallOptions> = {}): InstallOptions => ({ group: 'acme', webhookUrl: HOOK, secret: SECRET, ...more });
const outcomes = (results: readonly TargetResult[]) => results.map((r) => `${r.path}:${r.outcome}`);

describe('installGitlabHooks at group level', () => {
  it('creates the group hook with the events and secret, then changes nothing on a second run', async () => {
    const api = await setup();
    const first = await installGitlabHooks(api, opts());
    expect(first).toMatchObject({ ok: true, level: 'group' });
    expect(outcomes(first.results)).toEqual(['acme:created']);
    const hook = fake?.groupHooks.get('acme')?.[0];
    expect(hook?.token).toBe(SECRET);
    expect(hook?.fields).toMatchObject({ url: HOOK, push_events: true, tag_push_events: true, merge_requests_events: true, note_events: true, releases_events: true, enable_ssl_verification: true });
    const writes = fake?.writes();
    const second = await installGitlabHooks(api, opts());
    expect(outcomes(second.results)).toEqual(['acme:unchanged']);
    expect(fake?.writes()).toBe(writes);
    expect(fake?.projectHooks.size).toBe(0);
  });

  it.each([['note_events', false], ['enable_ssl_verification', false], ['releases_events', false]])('updates the hook when %s drifted to %s', async (field, value) => {
    const api = await setup();
    await installGitlabHooks(api, opts());
    const hook = fake?.groupHooks.get('acme')?.[0];
    if (hook === undefined) throw new Error('no hook');
    hook.fields[field] = value;
    hook.token = 'stale';
    const r = await installGitlabHooks(api, opts());
    expect(r.results).toEqual([{ kind: 'group', path: 'acme', outcome: 'updated', detail: field }]);
    expect(hook.fields[field]).toBe(true);
    expect(hook.token).toBe(SECRET);
    expect(fake?.groupHooks.get('acme')).toHaveLength(1);
  });

  it('rewrites the secret of an unchanged hook only with resetToken (GitLab never shows it)', async () => {
    const api = await setup();
    await installGitlabHooks(api, opts());
    const hook = fake?.groupHooks.get('acme')?.[0];
    if (hook === undefined) throw new Error('no hook');
    hook.token = 'old';
    expect(outcomes((await installGitlabHooks(api, opts())).results)).toEqual(['acme:unchanged']);
    expect(hook.token).toBe('old');
    expect((await installGitlabHooks(api, opts({ resetToken: true }))).results).toEqual([{ kind: 'group', path: 'acme', outcome: 'updated', detail: 'token' }]);
    expect(hook.token).toBe(SECRET);
  });

  it('leaves other hooks of the group alone', async () => {
    const api = await setup();
    await api.createHook({ kind: 'group', id: 'acme' }, { url: 'https://other.test/h', token: 'x', push_events: false, tag_push_events: false, merge_requests_events: false, note_events: false, releases_events: false, enable_ssl_verification: false });
    await installGitlabHooks(api, opts());
    expect(fake?.groupHooks.get('acme')?.map((h) => h.fields['url'])).toEqual(['https://other.test/h', HOOK]);
  });
});

describe('installGitlabHooks at project level', () => {
  it.each([
    ['CE (group hooks route absent: 404)', { tier: 'ce' as const }, 'good', /404/],
    ['GitLab.com Free plan', { plan: 'free' }, 'good', /Free plan/],
    ['a Maintainer, not Owner (403)', {}, 'maint', /403/],
  ])('falls back to project hooks on %s, over subgroups and pages, skipping archived', async (_name, overrides, token, note) => {
    const api = await setup(overrides, token);
    const r = await installGitlabHooks(api, opts());
    expect(r).toMatchObject({ ok: true, level: 'project' });
    expect(r.notes.join('\n')).toMatch(note);
    expect(outcomes(r.results).sort()).toEqual(['acme/a:created', 'acme/sub/b:created', 'acme/sub/d:created', 'acme/sub/deep/c:created']);
    expect(fake?.projectHooks.has(12)).toBe(false);
    expect(fake?.groupHooks.get('acme')).toEqual([]);
    for (const id of [11, 13, 14, 15]) expect(fake?.projectHooks.get(id)?.[0]?.token).toBe(SECRET);
    // archived=false leaves four projects: two pages of two.
    expect(fake?.requests.filter((q) => q.startsWith('GET /api/v4/groups/acme/projects')).length).toBe(2);
  });

  it('picks up a project created since the last run and leaves the others unchanged', async () => {
    const api = await setup({ tier: 'ce' });
    await installGitlabHooks(api, opts());
    fake?.projects.push({ id: 16, group: 'acme/sub/deep', path: 'new' });
    const writes = fake?.writes() ?? 0;
    const r = await installGitlabHooks(api, opts());
    expect(outcomes(r.results).sort()).toEqual(['acme/a:unchanged', 'acme/sub/b:unchanged', 'acme/sub/d:unchanged', 'acme/sub/deep/c:unchanged', 'acme/sub/deep/new:created']);
    expect(fake?.writes()).toBe(writes + 1);
  });

  it('reports a project it may not change as failed, with the reason, and goes on', async () => {
    const api = await setup({ tier: 'ce', projects: [...(world.projects ?? []), { id: 17, group: 'acme', path: 'locked', developerOnly: true }] });
    const r = await installGitlabHooks(api, opts());
    const failed = r.results.filter((x) => x.outcome === 'failed');
    expect(failed).toEqual([{ kind: 'project', path: 'acme/locked', outcome: 'failed', detail: expect.stringMatching(/403.*Maintainer/) as unknown }]);
    expect(r.results.filter((x) => x.outcome === 'created')).toHaveLength(4);
  });

  it('installs project hooks when asked, even where group hooks exist (unlicensed EE accepts but never fires them)', async () => {
    const api = await setup({ tier: 'unlicensed-ee' });
    const r = await installGitlabHooks(api, opts({ level: 'project' }));
    expect(r.level).toBe('project');
    expect(fake?.groupHooks.get('acme')).toEqual([]);
    expect(r.results).toHaveLength(4);
  });
});

describe('dry run and uninstall', () => {
  it.each([[{}], [{ tier: 'ce' as const }]])('dry run writes nothing and reports what it would do (%j)', async (overrides) => {
    const api = await setup(overrides);
    const r = await installGitlabHooks(api, opts({ dryRun: true }));
    expect(r.dryRun).toBe(true);
    expect(r.results.every((x) => x.outcome === 'created')).toBe(true);
    expect(fake?.writes()).toBe(0);
    expect(fake?.requests.every((q) => q.startsWith('GET '))).toBe(true);
  });

  it('removes group and project hooks with the URL, keeps others, and says absent afterwards', async () => {
    const api = await setup();
    await installGitlabHooks(api, opts());
    await installGitlabHooks(api, opts({ level: 'project' }));
    await api.createHook({ kind: 'project', id: 11 }, { url: 'https://keep.test/h', token: 't', push_events: true, tag_push_events: false, merge_requests_events: false, note_events: false, releases_events: false, enable_ssl_verification: true });
    const dry = await uninstallGitlabHooks(api, { group: 'acme', webhookUrl: HOOK, dryRun: true });
    expect(dry.results.filter((x) => x.outcome === 'deleted')).toHaveLength(5);
    expect(fake?.groupHooks.get('acme')).toHaveLength(1);
    const r = await uninstallGitlabHooks(api, { group: 'acme', webhookUrl: HOOK });
    expect(outcomes(r.results).sort()).toEqual(['acme/a:deleted', 'acme/sub/b:deleted', 'acme/sub/d:deleted', 'acme/sub/deep/c:deleted', 'acme:deleted']);
    expect(fake?.groupHooks.get('acme')).toEqual([]);
    expect(fake?.projectHooks.get(11)?.map((h) => h.fields['url'])).toEqual(['https://keep.test/h']);
    const again = await uninstallGitlabHooks(api, { group: 'acme', webhookUrl: HOOK });
    expect(again.results.every((x) => x.outcome === 'absent')).toBe(true);
  });
});

describe('refusals', () => {
  it.each([
    ['reader', {}, /lacks the "api" scope \(it has: read_api, write_repository\)/],
    ['wrong', {}, /401 Unauthorized/],
    ['good', {}, /group "nope" not found/],
  ])('token %s is refused before any write', async (token, overrides, message) => {
    const api = await setup(overrides, token);
    const r = await installGitlabHooks(api, opts(token === 'good' ? { group: 'nope' } : {}));
    expect(r.ok).toBe(false);
    expect(r.refusal).toMatch(message);
    expect(fake?.writes()).toBe(0);
  });

  it.each([
    ['GitLab older than 15.5 (no /self)', { noSelfEndpoint: true }, 'reader'],
    ['an OAuth token (/self answers 400)', { tokens: { ...world.tokens, reader: { scopes: ['read_api'], type: 'oauth' as const } } }, 'reader'],
  ])('without /self (%s) a missing scope is found from the 403 and named', async (_name, overrides, token) => {
    const api = await setup(overrides, token);
    const r = await installGitlabHooks(api, opts());
    expect(r.ok).toBe(true);
    expect(r.results).toEqual([{ kind: 'group', path: 'acme', outcome: 'failed', detail: 'GITLAB_TOKEN lacks the "api" scope (403 insufficient_scope)' }]);
  });

  it('an unreachable GitLab is a refusal, not a throw', async () => {
    fake = await startFakeGitlab(world);
    const url = fake.url;
    await fake.close();
    fake = undefined;
    const r = await installGitlabHooks(gitlabHookApi({ baseUrl: url, token: 'good' }), opts());
    expect(r.ok).toBe(false);
    expect(r.refusal).toMatch(/cannot reach/);
  });
});

describe('helpers', () => {
  it.each([
    [{ 'x-next-page': '3' }, '3'],
    [{ 'x-next-page': '' }, null],
    [{ link: '<https://elsewhere.test/api/v4/x?page=4&per_page=2>; rel="next", <https://elsewhere.test/api/v4/x?page=1>; rel="first"' }, '4'],
    [{ link: '<https://g.test/x?page=1>; rel="first"' }, null],
    [{}, null],
  ])('nextPage(%j) is %j (a page number only, never a URL)', (headers, page) => {
    expect(nextPage(new Headers(headers))).toBe(page);
  });

  it('hookDrift names every wanted field that differs', () => {
    expect(hookDrift({ id: 1, url: HOOK, push_events: true, tag_push_events: false, merge_requests_events: true, note_events: true, releases_events: true, enable_ssl_verification: true })).toEqual(['tag_push_events']);
  });
});
