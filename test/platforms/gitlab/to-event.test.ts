import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EventMeta, RepoEvent } from '../../../src/core/events.js';
import { REPORT_MARKER } from '../../../src/core/report.js';
import { isRecheckCommand, mapGitlabWebhook } from '../../../src/platforms/gitlab/to-event.js';
import type { GitlabMapping, GitlabMappingOptions } from '../../../src/platforms/gitlab/to-event.js';

type Json = Record<string, unknown>;

function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(`../../fixtures/gitlab/${name}.json`, import.meta.url), 'utf8')) as Json;
}

/** A deep copy of a fixture with fields replaced (dotted paths; undefined deletes). */
function variant(name: string, changes: Record<string, unknown>): Json {
  const copy = fixture(name);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    let node = copy;
    for (const key of keys.slice(0, -1)) node = node[key] as Json;
    const last = keys[keys.length - 1] as string;
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return copy;
}

const meta: EventMeta = { deliveryId: 'delivery-1', installationId: null };
const bot: GitlabMappingOptions = { botUserId: 4242, botUsername: 'pyrelease-bot' };
const ZEROS = '0'.repeat(40);

const tagRepo = { platform: 'gitlab', id: '1', path: 'jsmith/example', defaultBranch: 'master' } as const;
const pushRepo = { platform: 'gitlab', id: '15', path: 'mike/diaspora', defaultBranch: 'master' } as const;
const mrRepo = { platform: 'gitlab', id: '1', path: 'gitlabhq/gitlab-test', defaultBranch: 'master' } as const;
const noteRepo = { platform: 'gitlab', id: '5', path: 'gitlab-org/gitlab-test', defaultBranch: 'master' } as const;

function tagEvent(tag: string, protectedTag: boolean | null = true): GitlabMapping {
  const event: RepoEvent = { kind: 'tag-pushed', repo: tagRepo, tag, sha: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7', protected: protectedTag, meta };
  return { kind: 'event', event };
}

const mrEvent = (action: 'opened' | 'reopened' | 'updated', sameRepo = true): GitlabMapping => ({
  kind: 'event',
  event: {
    kind: 'change-request',
    repo: mrRepo,
    action,
    number: 1,
    sourceBranch: 'ms-viewport',
    targetBranch: 'master',
    headSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    sameRepo,
    meta,
  },
});

const recheck: GitlabMapping = {
  kind: 'event',
  event: {
    kind: 'change-request',
    repo: noteRepo,
    action: 'recheck',
    number: 1,
    sourceBranch: 'master',
    targetBranch: 'markdown',
    headSha: '562e173be03b8ff2efb05345d12df18815438a4b',
    sameRepo: true,
    meta,
  },
};

const ignored = (reason: string): GitlabMapping => ({ kind: 'ignored', reason });

const note = (text: string, more: Record<string, unknown> = {}): Json =>
  variant('note-merge-request', { 'object_attributes.note': text, ...more });

describe('mapGitlabWebhook', () => {
  const cases: Array<[string, string | undefined, unknown, GitlabMapping, GitlabMappingOptions?]> = [
    // Tag Push Hook
    ['documented tag push', 'Tag Push Hook', fixture('tag-push'), tagEvent('v1.0.0')],
    ['unprotected tag', 'Tag Push Hook', variant('tag-push', { ref_protected: false }), tagEvent('v1.0.0', false)],
    ['tag push from a GitLab without ref_protected', 'Tag Push Hook', variant('tag-push', { ref_protected: undefined }), tagEvent('v1.0.0', null)],
    ['tag deletion', 'Tag Push Hook', variant('tag-push', { before: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7', after: ZEROS, checkout_sha: null }), ignored('tag deleted')],
    [
      'annotated tag: checkout_sha (the commit), not after (the tag object)',
      'Tag Push Hook',
      variant('tag-push', { after: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }),
      tagEvent('v1.0.0'),
    ],
    ['hostile tag name is mapped raw', 'Tag Push Hook', variant('tag-push', { ref: 'refs/tags/v1.0;rm -rf /' }), tagEvent('v1.0;rm -rf /')],
    ['tag name with $() and newline is mapped raw', 'Tag Push Hook', variant('tag-push', { ref: 'refs/tags/$(id)\nv2' }), tagEvent('$(id)\nv2')],
    ['nested tag name', 'Tag Push Hook', variant('tag-push', { ref: 'refs/tags/release/v1.0.0' }), tagEvent('release/v1.0.0')],
    ['tag hook with a branch ref', 'Tag Push Hook', variant('tag-push', { ref: 'refs/heads/main' }), { kind: 'invalid', reason: 'ref is not a tag' }],
    ['tag hook with an empty tag name', 'Tag Push Hook', variant('tag-push', { ref: 'refs/tags/' }), { kind: 'invalid', reason: 'ref is not a tag' }],
    ['tag push without checkout_sha', 'Tag Push Hook', variant('tag-push', { checkout_sha: null }), { kind: 'invalid', reason: 'checkout_sha missing' }],
    ['tag push with a non-sha checkout_sha', 'Tag Push Hook', variant('tag-push', { checkout_sha: 'HEAD' }), { kind: 'invalid', reason: 'payload does not match: checkout_sha' }],
    ['tag push without project', 'Tag Push Hook', variant('tag-push', { project: undefined }), { kind: 'invalid', reason: 'payload does not match: project' }],
    ['tag push with a string project id', 'Tag Push Hook', variant('tag-push', { 'project.id': '1' }), { kind: 'invalid', reason: 'payload does not match: project.id' }],
    ['payload of another kind under the tag header', 'Tag Push Hook', variant('tag-push', { object_kind: 'push' }), { kind: 'invalid', reason: 'object_kind "push" does not match the event header' }],
    ['JSON array', 'Tag Push Hook', [], { kind: 'invalid', reason: 'payload does not match: (root)' }],
    ['JSON null', 'Tag Push Hook', null, { kind: 'invalid', reason: 'payload does not match: (root)' }],
    // Push Hook
    [
      'documented push',
      'Push Hook',
      fixture('push'),
      { kind: 'event', event: { kind: 'branch-pushed', repo: pushRepo, branch: 'master', sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', headMessage: 'fixed readme', meta } },
    ],
    [
      'push to another branch is mapped too (the core decides)',
      'Push Hook',
      variant('push', { ref: 'refs/heads/feature/x' }),
      { kind: 'event', event: { kind: 'branch-pushed', repo: pushRepo, branch: 'feature/x', sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', headMessage: 'fixed readme', meta } },
    ],
    [
      'head commit not among the commits',
      'Push Hook',
      variant('push', { commits: [] }),
      { kind: 'event', event: { kind: 'branch-pushed', repo: pushRepo, branch: 'master', sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', headMessage: null, meta } },
    ],
    [
      'head message with a body',
      'Push Hook',
      variant('push', { checkout_sha: 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327', after: 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327' }),
      {
        kind: 'event',
        event: {
          kind: 'branch-pushed',
          repo: pushRepo,
          branch: 'master',
          sha: 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327',
          headMessage: 'Update Catalan translation to e38cb41.\n\nSee https://gitlab.com/gitlab-org/gitlab for more information',
          meta,
        },
      },
    ],
    [
      'push without checkout_sha falls back to after',
      'Push Hook',
      variant('push', { checkout_sha: undefined }),
      { kind: 'event', event: { kind: 'branch-pushed', repo: pushRepo, branch: 'master', sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', headMessage: 'fixed readme', meta } },
    ],
    [
      'project without a default branch (empty repository)',
      'Push Hook',
      variant('push', { 'project.default_branch': null }),
      { kind: 'event', event: { kind: 'branch-pushed', repo: { ...pushRepo, defaultBranch: null }, branch: 'master', sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', headMessage: 'fixed readme', meta } },
    ],
    ['branch deletion', 'Push Hook', variant('push', { after: ZEROS, checkout_sha: null, commits: [] }), ignored('branch deleted')],
    ['push hook with a tag ref', 'Push Hook', variant('push', { ref: 'refs/tags/v1' }), { kind: 'invalid', reason: 'ref is not a branch' }],
    ['push with a non-sha after and no checkout_sha', 'Push Hook', variant('push', { checkout_sha: null, after: 'main' }), { kind: 'invalid', reason: 'after is not a commit sha' }],
    ['push with commits that are not a list', 'Push Hook', variant('push', { commits: 'x' }), { kind: 'invalid', reason: 'payload does not match: commits' }],
    // Merge Request Hook
    ['documented merge request (open)', 'Merge Request Hook', fixture('merge-request'), mrEvent('opened')],
    ['reopen', 'Merge Request Hook', variant('merge-request', { 'object_attributes.action': 'reopen' }), mrEvent('reopened')],
    ['update with new commits', 'Merge Request Hook', variant('merge-request', { 'object_attributes.action': 'update', 'object_attributes.oldrev': '95790bf891e76fee5e1747ab589903a6a1f80f22' }), mrEvent('updated')],
    ['update without new commits (labels, title)', 'Merge Request Hook', variant('merge-request', { 'object_attributes.action': 'update' }), ignored('merge request updated without new commits')],
    ['update with a null oldrev', 'Merge Request Hook', variant('merge-request', { 'object_attributes.action': 'update', 'object_attributes.oldrev': null }), ignored('merge request updated without new commits')],
    ['merge', 'Merge Request Hook', variant('merge-request', { 'object_attributes.action': 'merge' }), ignored('merge request action "merge" is not handled')],
    ['close', 'Merge Request Hook', variant('merge-request', { 'object_attributes.action': 'close' }), ignored('merge request action "close" is not handled')],
    ['approved', 'Merge Request Hook', variant('merge-request', { 'object_attributes.action': 'approved' }), ignored('merge request action "approved" is not handled')],
    ['action named like an Object property', 'Merge Request Hook', variant('merge-request', { 'object_attributes.action': 'toString' }), ignored('merge request action "toString" is not handled')],
    ['no action', 'Merge Request Hook', variant('merge-request', { 'object_attributes.action': undefined }), ignored('merge request action "" is not handled')],
    ['from a fork', 'Merge Request Hook', variant('merge-request', { 'object_attributes.source_project_id': 99 }), mrEvent('opened', false)],
    ['without last_commit', 'Merge Request Hook', variant('merge-request', { 'object_attributes.last_commit': undefined }), { kind: 'invalid', reason: 'payload does not match: object_attributes.last_commit' }],
    ['with a string iid', 'Merge Request Hook', variant('merge-request', { 'object_attributes.iid': '1' }), { kind: 'invalid', reason: 'payload does not match: object_attributes.iid' }],
    // Note Hook
    ['documented merge request note (not a command)', 'Note Hook', fixture('note-merge-request'), ignored('note is not a command')],
    ['/pyrelease check', 'Note Hook', note('/pyrelease check'), recheck],
    ['/pyrelease check with surrounding whitespace', 'Note Hook', note('  \n/pyrelease check \n'), recheck],
    ['/pyrelease check followed by words', 'Note Hook', note('/pyrelease check please, again'), recheck],
    ['/pyrelease checking is not the command', 'Note Hook', note('/pyrelease checking'), ignored('note is not a command')],
    ['command in the middle of a note', 'Note Hook', note('please run /pyrelease check'), ignored('note is not a command')],
    ['command without the leading slash', 'Note Hook', note('pyrelease check'), ignored('note is not a command')],
    ['note from before GitLab 16.11 (no action)', 'Note Hook', note('/pyrelease check', { 'object_attributes.action': undefined }), recheck],
    ['edited command note', 'Note Hook', note('/pyrelease check', { 'object_attributes.action': 'update' }), ignored('edited note')],
    ['bot note by author id', 'Note Hook', note('/pyrelease check', { 'object_attributes.author_id': 4242, 'user.id': 4242 }), ignored('own note'), bot],
    ['bot note by user id only', 'Note Hook', note('/pyrelease check', { 'user.id': 4242 }), ignored('own note'), bot],
    ['bot note by username', 'Note Hook', note('/pyrelease check', { 'user.username': 'pyrelease-bot' }), ignored('own note'), bot],
    ['report marker without a configured bot', 'Note Hook', note(`${REPORT_MARKER}\n/pyrelease check`), ignored('own note'), {}],
    ['report marker after whitespace', 'Note Hook', note(`\n ${REPORT_MARKER}\nall good`), ignored('own note'), { botUserId: null, botUsername: null }],
    ['another user with the command', 'Note Hook', note('/pyrelease check'), recheck, bot],
    ['system note', 'Note Hook', note('/pyrelease check', { 'object_attributes.system': true }), ignored('system note')],
    ['note on an issue', 'Note Hook', note('/pyrelease check', { 'object_attributes.noteable_type': 'Issue', merge_request: undefined }), ignored('note is not on a merge request')],
    ['note on a commit', 'Note Hook', note('/pyrelease check', { 'object_attributes.noteable_type': 'Commit', merge_request: undefined }), ignored('note is not on a merge request')],
    ['command note without merge_request', 'Note Hook', note('/pyrelease check', { merge_request: undefined }), { kind: 'invalid', reason: 'merge_request missing from a merge request note' }],
    ['command note on a fork merge request', 'Note Hook', note('/pyrelease check', { 'merge_request.source_project_id': 77 }), { kind: 'event', event: { ...(recheck as { event: RepoEvent }).event, sameRepo: false } as RepoEvent }],
    // Release Hook
    ['documented release (top-level action)', 'Release Hook', fixture('release'), ignored('release events are handled by the self-hosted tagging feature')],
    ['release with object_attributes.action', 'Release Hook', variant('release', { action: undefined, object_attributes: { action: 'update' } }), ignored('release events are handled by the self-hosted tagging feature')],
    ['release without any action', 'Release Hook', variant('release', { action: undefined }), { kind: 'invalid', reason: 'payload does not match: action' }],
    ['release without tag', 'Release Hook', variant('release', { tag: undefined }), { kind: 'invalid', reason: 'payload does not match: tag' }],
    // Other events
    ['system hook (even with a push payload)', 'System Hook', fixture('push'), ignored('event "System Hook" is not handled')],
    ['pipeline hook', 'Pipeline Hook', {}, ignored('event "Pipeline Hook" is not handled')],
    ['no event header', undefined, fixture('push'), ignored('no X-Gitlab-Event header')],
    ['event header case matters', 'push hook', fixture('push'), ignored('event "push hook" is not handled')],
  ];

  it.each(cases)('%s', (_name, header, payload, expected, options = {}) => {
    expect(mapGitlabWebhook(header, payload, meta, options)).toEqual(expected);
  });

  it('maps unknown extra fields without complaint', () => {
    const payload = { ...fixture('tag-push'), brand_new_field: { nested: [1, 2, 3] } };
    expect(mapGitlabWebhook('Tag Push Hook', payload, meta, {})).toEqual(tagEvent('v1.0.0'));
  });

  it('never puts payload values in an invalid reason', () => {
    const secretish = 'value-that-must-not-leak';
    const result = mapGitlabWebhook('Tag Push Hook', variant('tag-push', { checkout_sha: secretish, 'project.id': secretish }), meta, {});
    expect(result.kind).toBe('invalid');
    expect(JSON.stringify(result)).not.toContain(secretish);
  });

  it('works for group hooks alike: the payload names the project', () => {
    const other = variant('tag-push', { 'project.id': 987, 'project.path_with_namespace': 'group/sub/pkg', 'project.default_branch': 'main' });
    const result = mapGitlabWebhook('Tag Push Hook', other, meta, {});
    expect(result).toMatchObject({ kind: 'event', event: { repo: { id: '987', path: 'group/sub/pkg', defaultBranch: 'main' } } });
  });
});

describe('isRecheckCommand', () => {
  it.each([
    ['/pyrelease check', true],
    ['/pyrelease check\tnow', true],
    ['/pyrelease check\n\nmore text', true],
    ['/pyrelease checks', false],
    ['/pyrelease  check', false],
    ['/Pyrelease check', false],
    ['', false],
  ])('%j -> %s', (body, expected) => {
    expect(isRecheckCommand(body)).toBe(expected);
  });
});
