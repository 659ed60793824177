import { afterEach, describe, expect, it } from 'vitest';
import { gitlabCommand, GITLAB_USAGE } from '../../src/cli/gitlab-command.js';
import { gitlabHookApi } from '../../src/platforms/gitlab/install-api.js';
import { captureIo } from '../helpers/cli-io.js';
import { startFakeGitlab } from '../fakes/fake-gitlab-hooks.js';
import type { FakeGitlab, FakeGitlabOptions } from '../fakes/fake-gitlab-hooks.js';

const TOKEN = 'glpat-TESTTOKEN-abc';
const SECRET = 'whsecret-xyz';
const HOOK = 'https://bot.test/webhooks/gitlab';
let fake: FakeGitlab | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const world: FakeGitlabOptions = {
  tokens: { [TOKEN]: { scopes: ['api'] }, 'glpat-READ': { scopes: ['read_api'] } },
  groups: ['acme', 'acme/sub'],
  projects: [
    { id: 1, group: 'acme', path: 'a' },
    { id: 2, group: 'acme/sub', path: 'b' },
    { id: 3, group: 'acme', path: 'gone', archived: true },
    { id: 4, group: 'acme/sub', path: 'locked', developerOnly: true },
  ],
  perPage: 2,
};

async function run(args: string[], env: Record<string, string> = {}, overrides: Partial<FakeGitlabOptions> = {}) {
  fake ??= await startFakeGitlab({ ...world, ...overrides });
  const io = captureIo({ env: { GITLAB_URL: fake.url, GITLAB_TOKEN: TOKEN, GITLAB_WEBHOOK_SECRET: `${SECRET}, next-secret`, ...env } });
  // Small pages, so that the command's own pagination is exercised too.
  const code = await gitlabCommand(args, io, (baseUrl, token) => gitlabHookApi({ baseUrl, token, perPage: 2 }));
  return { code, out: io.stdout(), err: io.stderr() };
}

const install = ['install', '--group', 'acme', '--webhook-url', HOOK];

describe('pyrelease gitlab install', () => {
  it('creates the group hook with the first secret, then says nothing changed', async () => {
    const first = await run(install);
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toBe(`webhook ${HOOK} at group level\ngroup acme: created\nsummary: 1 created\n`);
    expect(fake?.groupHooks.get('acme')?.[0]?.token).toBe(SECRET);
    const second = await run(install);
    expect(second.out).toBe(`webhook ${HOOK} at group level\ngroup acme: unchanged\nsummary: 1 unchanged\nnothing changed\n`);
    expect(second.code).toBe(0);
  });

  it('falls back to project hooks, reports each project and exits 1 when one failed', async () => {
    const r = await run(install, {}, { tier: 'ce' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('note: the group hooks endpoint answered 404');
    expect(r.out).toContain('project acme/a: created\n');
    expect(r.out).toContain('project acme/sub/b: created\n');
    expect(r.out).toMatch(/project acme\/sub\/locked: failed: forbidden \(403\)/);
    expect(r.out).not.toContain('gone');
    expect(r.out).toContain('summary: 2 created, 1 failed\n');
  });

  it('--dry-run prints what it would do and writes nothing', async () => {
    const r = await run([...install, '--dry-run'], {}, { tier: 'ce' });
    expect(r.out).toContain('dry run: nothing is written\n');
    expect(r.out).toContain('project acme/a: would be created\n');
    expect(fake?.writes()).toBe(0);
  });

  it.each([
    [{ GITLAB_TOKEN: 'glpat-READ' }, /lacks the "api" scope \(it has: read_api\)/],
    [{ GITLAB_TOKEN: 'glpat-WRONG' }, /401 Unauthorized/],
  ])('refuses %j with exit 1 and a message on stderr', async (env, message) => {
    const r = await run(install, env);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
    expect(fake?.writes()).toBe(0);
  });

  it.each([
    [[], /expected "install" or "uninstall"/, {}],
    [['install', '--webhook-url', HOOK], /--group is required/, {}],
    [['install', '--group', 'acme', '--webhook-url', 'ftp://x'], /--webhook-url must be an http\(s\) URL/, {}],
    [[...install, '--level', 'both'], /--level must be/, {}],
    [install, /GITLAB_TOKEN is not set/, { GITLAB_TOKEN: '' }],
    [install, /GITLAB_WEBHOOK_SECRET is not set/, { GITLAB_WEBHOOK_SECRET: '' }],
    [['uninstall', '--group', 'acme', '--webhook-url', HOOK, '--reset-token'], /install only/, {}],
  ])('usage error %j exits 2', async (args, message, env) => {
    const r = await run(args, env);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(fake?.requests).toEqual([]);
  });

  it('says which scopes the token needs in its usage', () => {
    expect(GITLAB_USAGE).toMatch(/GITLAB_TOKEN .*"api" scope/);
    expect(GITLAB_USAGE).toContain('--dry-run');
  });
});

describe('pyrelease gitlab uninstall', () => {
  it('removes the hooks with the URL at group and project level', async () => {
    await run(install);
    await run([...install, '--level', 'project']);
    const r = await run(['uninstall', '--group', 'acme', '--webhook-url', HOOK]);
    expect(r.out).toContain('group acme: deleted\n');
    expect(r.out).toContain('project acme/a: deleted\n');
    expect(r.out).toContain('project acme/sub/b: deleted\n');
    expect(fake?.groupHooks.get('acme')).toEqual([]);
    expect(fake?.projectHooks.get(1)).toEqual([]);
    expect(r.code).toBe(1); // acme/sub/locked still failed
  });
});

describe('secrets', () => {
  it('never prints the token or the secret, whatever happens', async () => {
    const outputs: string[] = [];
    for (const args of [install, install, [...install, '--reset-token'], [...install, '--level', 'project', '--dry-run'], ['uninstall', '--group', 'acme', '--webhook-url', HOOK]]) {
      const r = await run(args);
      outputs.push(r.out, r.err);
    }
    outputs.push((await run(install, { GITLAB_TOKEN: 'glpat-READ' })).err);
    const all = outputs.join('\n');
    expect(all.length).toBeGreaterThan(100);
    for (const s of [TOKEN, SECRET, 'next-secret', 'glpat-READ']) expect(all).not.toContain(s);
  });
});
