// Push webhooks to the default branch say whether a config file was touched (or may have
// been), which tells the sweep to read a repository's config again (jobs/event-worker.ts):
// GitHub's and GitLab's real payloads, with their file lists changed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { pushTouchesConfig } from '../../src/core/config-files.js';
import type { EventMeta, RepoEvent } from '../../src/core/events.js';
import { repoEventSchema } from '../../src/jobs/event-job.js';
import { mapGithubWebhook } from '../../src/platforms/github/to-event.js';
import { mapGitlabWebhook } from '../../src/platforms/gitlab/to-event.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const require = createRequire(import.meta.url);
const meta: EventMeta = { deliveryId: 'delivery-1', installationId: 1 };
const githubPush = (): Json => {
  const all = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: Json[] }>;
  const found = all.find((e) => e.name === 'push')?.examples.find((p) => String(p['ref']).startsWith('refs/heads/'));
  if (found === undefined) throw new Error('no branch push example');
  return structuredClone(found);
};
const gitlabPush = (): Json => JSON.parse(readFileSync(new URL('../fixtures/gitlab/push.json', import.meta.url), 'utf8')) as Json;

function touched(mapping: { kind: string; event?: RepoEvent }): true | null | 'absent' {
  const event = mapping.event;
  if (event?.kind !== 'branch-pushed') throw new Error(`not a branch push: ${JSON.stringify(mapping)}`);
  return 'configTouched' in event && event.configTouched !== undefined ? event.configTouched : 'absent';
}

describe('pushTouchesConfig', () => {
  it.each([
    ['pyproject.toml modified', [{ modified: ['pyproject.toml'] }], true, true],
    ['.pyrelease.yml added', [{ added: ['README.md'] }, { added: ['.pyrelease.yml'] }], true, true],
    ['pyproject.toml removed', [{ removed: ['pyproject.toml'] }], true, true],
    ['a pyproject.toml below the root', [{ modified: ['sub/pyproject.toml'] }], true, false],
    ['other files', [{ modified: ['src/pkg/__init__.py'] }], true, false],
    ['other files, list cut short', [{ modified: ['src/pkg/__init__.py'] }], false, null],
  ])('%s', (_name, commits, complete, expected) => {
    expect(pushTouchesConfig(commits, complete)).toBe(expected);
  });
});

describe('GitHub push', () => {
  const map = (payload: Json) => mapGithubWebhook('push', payload, meta, { botLogin: 'pyrelease[bot]', appId: 1 });

  it('marks a push to the default branch that touched pyproject.toml', () => {
    const payload = githubPush();
    payload['commits'][0].modified = ['pyproject.toml'];
    expect(touched(map(payload))).toBe(true);
  });

  it('leaves it out when no config file was touched, or for another branch', () => {
    expect(touched(map(githubPush()))).toBe('absent');
    const other = githubPush();
    other['ref'] = 'refs/heads/feature';
    other['commits'][0].modified = ['pyproject.toml'];
    expect(touched(map(other))).toBe('absent');
  });

  it('a forced push may have dropped commits that touched one: null', () => {
    const payload = githubPush();
    payload['forced'] = true;
    expect(touched(map(payload))).toBeNull();
  });

  it('a list of 2048 commits may be cut short, and an unreadable list says nothing: null', () => {
    const payload = githubPush();
    payload['commits'] = Array.from({ length: 2048 }, () => ({ added: [], removed: [], modified: ['README.md'] }));
    expect(touched(map(payload))).toBeNull();
    const odd = githubPush();
    odd['commits'] = 'not a list';
    expect(touched(map(odd))).toBeNull();
  });

  it('the event job schema takes the field, and leaves it out when absent', () => {
    const payload = githubPush();
    payload['commits'][0].added = ['.pyrelease.yml'];
    const mapped = map(payload);
    if (mapped.kind !== 'event') throw new Error('not mapped');
    expect(repoEventSchema.parse(mapped.event)).toEqual(mapped.event);
    const plain = map(githubPush());
    if (plain.kind !== 'event') throw new Error('not mapped');
    expect(repoEventSchema.parse(plain.event)).not.toHaveProperty('configTouched');
  });
});

describe('GitLab Push Hook', () => {
  const map = (payload: Json) => mapGitlabWebhook('Push Hook', payload, { deliveryId: 'd', installationId: null }, { botUserId: 1, botUsername: 'bot' });

  it('marks a push to the default branch that touched a config file, among the commits listed', () => {
    const payload = gitlabPush();
    payload['commits'][1].modified = ['pyproject.toml'];
    expect(touched(map(payload))).toBe(true);
    expect(touched(map(gitlabPush()))).toBe('absent');
  });

  it('GitLab lists 20 commits at most: with more pushed, any of the others may have touched one', () => {
    const payload = gitlabPush();
    const commit = payload['commits'][0];
    payload['commits'] = Array.from({ length: 20 }, () => ({ ...commit, added: [], removed: [], modified: ['README.md'] }));
    payload['total_commits_count'] = 21;
    expect(touched(map(payload))).toBeNull();
    payload['total_commits_count'] = 20;
    expect(touched(map(payload))).toBe('absent');
  });

  it('ignores other branches', () => {
    const payload = gitlabPush();
    payload['ref'] = 'refs/heads/feature';
    payload['commits'][0].modified = ['pyproject.toml'];
    expect(touched(map(payload))).toBe('absent');
  });
});
