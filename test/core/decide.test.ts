// decideRelease and decideChangeRequest: facts in, actions out, one rule per row.
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/core/actions.js';
import type { ChangeFacts, VersionFact } from '../../src/core/checks.js';
import { buildToolFor, commitTriggerRelease, decideChangeRequest, decideRelease, isReleaseTagCandidate } from '../../src/core/decide.js';
import type { ChangeRequestEvent, PushEvent, ReleaseFacts, TagEvent } from '../../src/core/decide.js';
import { DEFAULT_REPO_CONFIG, readRepoConfig } from '../../src/core/repo-config.js';

const SHA = 'a'.repeat(40);
const repo = { platform: 'gitlab' as const, id: '7', path: 'acme/demo', defaultBranch: 'main' };
const meta = { deliveryId: 'd-1', installationId: null };
const tagEvent = (tag: string): TagEvent => ({ kind: 'tag-pushed', repo, tag, sha: SHA, protected: true, meta });
const pushEvent = (message: string | null, branch = 'main'): PushEvent => ({ kind: 'branch-pushed', repo, branch, sha: SHA, headMessage: message, meta });
const crEvent: ChangeRequestEvent = { kind: 'change-request', repo, action: 'opened', number: 5, sourceBranch: 'feature', targetBranch: 'main', headSha: SHA, sameRepo: true, meta };

function change(over: { yml?: string | undefined; head?: VersionFact | undefined; tag?: string | null | undefined; target?: ChangeFacts['target'] | undefined } = {}): ChangeFacts {
  return {
    head: { version: over.head ?? { kind: 'static', version: '1.2.0' } },
    target: over.target ?? null,
    tags: [],
    tag: over.tag === undefined ? 'v1.2.0' : over.tag,
    published: [],
    config: readRepoConfig({ pyreleaseYml: over.yml ?? 'registries: [pypi]' }),
    projectProblems: [],
  };
}

function release(over: Partial<ReleaseFacts> & { yml?: string; head?: VersionFact; tag?: string | null } = {}): ReleaseFacts {
  const { yml, head, tag, ...rest } = over;
  return { change: change({ yml, head, tag }), projectName: 'demo', backend: 'setuptools', defaultBranch: 'main', branchesWithCommit: ['main'], tagProtected: true, ...rest };
}

const kinds = (actions: readonly Action[]): string[] => actions.map((a) => (a.kind === 'set-status' ? `set-status:${a.state}` : a.kind));

describe('decideRelease', () => {
  it.each<[string, TagEvent | PushEvent, ReleaseFacts, string[]]>([
    ['a good tag is published, pending until the job says', tagEvent('v1.2.0'), release(), ['enqueue-publish', 'set-status:pending']],
    ['no registries: checked, success, nothing queued', tagEvent('v1.2.0'), release({ yml: 'registries: []' }), ['set-status:success']],
    ['a tag that is no release tag is ignored', tagEvent('docs-2024'), release({ tag: 'docs-2024' }), ['ignore']],
    ['no tag at all is ignored', pushEvent('fix'), release({ tag: null }), ['ignore']],
    ['a mismatch fails with a comment on the commit', tagEvent('v1.3.0'), release({ tag: 'v1.3.0' }), ['set-status:failure', 'upsert-comment']],
    ['a commit off the default branch fails', tagEvent('v1.2.0'), release({ branchesWithCommit: ['feature'] }), ['set-status:failure', 'upsert-comment']],
    ['a release branch is allowed', tagEvent('v1.2.0'), release({ branchesWithCommit: ['release/1.x'], yml: 'registries: [pypi]\nrelease-branches: ["release/*"]' }), ['enqueue-publish', 'set-status:pending']],
    ['an unprotected tag fails where protection is required', tagEvent('v1.2.0'), release({ tagProtected: false, yml: 'registries: [pypi]\nrequire-protected-tag: true' }), ['set-status:failure', 'upsert-comment']],
    ['a version only code knows goes ahead from the tag', tagEvent('v1.2.0'), release({ head: { kind: 'unreadable', file: 'setup.py', line: 9, reason: 'x' } }), ['enqueue-publish', 'set-status:pending']],
    ['the commit trigger creates its tag first', pushEvent('1.2.0 Release'), release(), ['ensure-tag', 'enqueue-publish', 'set-status:pending']],
  ])('%s', (_label, event, facts, expected) => {
    expect(kinds(decideRelease(event, facts))).toEqual(expected);
  });

  it('queues what the job needs: canonical version, registries, build tool and path', () => {
    const [job] = decideRelease(tagEvent('v1.2.0'), release({ backend: 'poetry', yml: 'registries: [pypi, gitlab]\npath: sub' }));
    expect(job).toEqual({ kind: 'enqueue-publish', version: '1.2.0', tag: 'v1.2.0', sha: SHA, project: 'demo', registries: ['pypi', 'gitlab'], buildTool: 'poetry', path: 'sub' });
  });
});

describe('decideChangeRequest', () => {
  it('says nothing new on a clean change: the status, and an edit only of an existing comment', () => {
    const actions = decideChangeRequest(crEvent, { change: change({ tag: null, target: { version: { kind: 'static', version: '1.1.0' }, branch: 'main' } }), projectName: 'demo' });
    expect(kinds(actions)).toEqual(['set-status:success', 'upsert-comment']);
    expect(actions[1]).toMatchObject({ onlyIfExists: true });
  });

  it('comments when there is an error, and fails the status', () => {
    const actions = decideChangeRequest(crEvent, { change: change({ tag: null, target: { version: { kind: 'static', version: '1.3.0' }, branch: 'main' } }), projectName: 'demo' });
    expect(kinds(actions)).toEqual(['set-status:failure', 'upsert-comment']);
    expect(actions[1]).not.toHaveProperty('onlyIfExists');
  });

  it('a version only code knows is a notice: success, no new comment', () => {
    const head: VersionFact = { kind: 'unreadable', file: 'setup.py', line: 3, reason: 'x' };
    const actions = decideChangeRequest(crEvent, { change: change({ tag: null, head }), projectName: 'demo' });
    expect(kinds(actions)).toEqual(['set-status:success', 'upsert-comment']);
    expect(actions[1]).toMatchObject({ onlyIfExists: true });
  });
});

describe('the small decisions', () => {
  it.each<[string, string | null, string, { tag: string; version: string } | null]>([
    ['a version subject on the default branch', '1.2.0 Release', 'main', { tag: 'v1.2.0', version: '1.2.0' }],
    ['another branch', '1.2.0 Release', 'feature', null],
    ['no version in the subject', 'Fix the docs', 'main', null],
    ['no message in the payload', null, 'main', null],
  ])('commitTriggerRelease: %s', (_label, message, branch, expected) => {
    expect(commitTriggerRelease(pushEvent(message, branch), DEFAULT_REPO_CONFIG, 'main')).toEqual(expected);
  });

  it.each<[string, boolean]>([
    ['v1.2.0', true],
    ['1.2.0', true],
    ['v1.0-RC1', true],
    ['docs', false],
  ])('isReleaseTagCandidate(%j) is %s', (tag, expected) => {
    expect(isReleaseTagCandidate(tag, DEFAULT_REPO_CONFIG)).toBe(expected);
  });

  it.each<['auto' | 'build' | 'poetry', 'poetry' | 'setuptools', 'build' | 'poetry']>([
    ['auto', 'poetry', 'poetry'],
    ['auto', 'setuptools', 'build'],
    ['build', 'poetry', 'build'],
    ['poetry', 'setuptools', 'poetry'],
  ])('buildToolFor(%s, %s) is %s', (tool, backend, expected) => {
    expect(buildToolFor({ ...DEFAULT_REPO_CONFIG, buildTool: tool }, backend)).toBe(expected);
  });
});
