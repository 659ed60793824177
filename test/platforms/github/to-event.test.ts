import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { EventMeta } from '../../../src/core/events.js';
import { REPORT_MARKER } from '../../../src/core/report.js';
import { isRecheckCommand, mapGithubWebhook } from '../../../src/platforms/github/to-event.js';
import type { GithubMapping, GithubMappingOptions } from '../../../src/platforms/github/to-event.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const require = createRequire(import.meta.url);
const SOURCES = ['api.github.com', 'ghes-31', 'ghes-32', 'ghes-33', 'ghes-34', 'ghes-35'] as const;
const HANDLED = ['push', 'create', 'pull_request', 'issue_comment'];

/** Every example payload of the events we handle, from every API flavour in @octokit/webhooks-examples. */
const examples: Array<{ source: string; event: string; index: number; payload: Json }> = SOURCES.flatMap((source) =>
  (require(`@octokit/webhooks-examples/${source}/index.json`) as Array<{ name: string; examples: Json[] }>)
    .filter((entry) => HANDLED.includes(entry.name))
    .flatMap((entry) => entry.examples.map((payload, index) => ({ source, event: entry.name, index, payload }))),
);

const example = (event: string, pick: (p: Json) => boolean, source = 'api.github.com'): Json => {
  const found = examples.find((e) => e.source === source && e.event === event && pick(e.payload));
  if (found === undefined) throw new Error(`no ${event} example`);
  return structuredClone(found.payload);
};

const meta: EventMeta = { deliveryId: 'delivery-1', installationId: 999 };
const bot: GithubMappingOptions = { botLogin: 'pyrelease[bot]', appId: 4242 };
const ZEROS = '0'.repeat(40);
const repo = { platform: 'github', id: '186853002', path: 'Codertocat/Hello-World', defaultBranch: 'master' } as const;
const map = (event: string, payload: unknown, options = bot): GithubMapping => mapGithubWebhook(event, payload, meta, options);

describe('every relevant @octokit/webhooks-examples payload', () => {
  it('covers them all', () => {
    // 7 + 5 + 29 + 9 on api.github.com, and the GHES flavours: a shrinking package would fail here.
    expect(examples.length).toBeGreaterThanOrEqual(88);
  });

  it.each(examples.map((e) => [`${e.source} ${e.event} #${e.index} ${String(e.payload['action'] ?? e.payload['ref'])}`, e] as const))('%s', (_name, { event, payload }) => {
    const result = map(event, payload);
    const installationId = (payload['installation']?.id as number | undefined) ?? null;
    const repoRef = { platform: 'github', id: String(payload['repository'].id), path: payload['repository'].full_name, defaultBranch: payload['repository'].default_branch };
    const eventMeta = { deliveryId: 'delivery-1', installationId };
    if (event === 'push') {
      const ref = payload['ref'] as string;
      if (payload['deleted'] === true) {
        expect(payload['after']).toBe(ZEROS);
        expect(result).toEqual({ kind: 'ignored', reason: ref.startsWith('refs/tags/') ? 'tag deleted' : 'ref deleted' });
      } else if (ref.startsWith('refs/tags/')) {
        expect(result).toEqual({ kind: 'event', event: { kind: 'tag-pushed', repo: repoRef, tag: ref.slice(10), sha: payload['head_commit'].id, protected: null, meta: eventMeta } });
      } else {
        expect(result).toEqual({
          kind: 'event',
          event: { kind: 'branch-pushed', repo: repoRef, branch: ref.slice(11), sha: payload['after'], headMessage: payload['head_commit'].message, meta: eventMeta },
        });
      }
    } else if (event === 'create') {
      expect(result).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('no sha') });
    } else if (event === 'pull_request') {
      const action = { opened: 'opened', reopened: 'reopened', synchronize: 'updated' }[payload['action'] as string];
      if (action === undefined) {
        expect(result).toEqual({ kind: 'ignored', reason: `pull request action ${JSON.stringify(payload['action'])} is not handled` });
      } else {
        const pr = payload['pull_request'];
        expect(result).toEqual({
          kind: 'event',
          event: { kind: 'change-request', repo: repoRef, action, number: pr.number, sourceBranch: pr.head.ref, targetBranch: pr.base.ref, headSha: pr.head.sha, sameRepo: true, meta: eventMeta },
        });
      }
    } else {
      // The examples' comments are all on issues, not pull requests.
      expect(payload['issue'].pull_request).toBeUndefined();
      expect(result).toEqual({ kind: 'ignored', reason: 'comment is not on a pull request' });
    }
  });

  it('maps the documented tag push and PR with literal values', () => {
    expect(map('push', example('push', (p) => p['created'] === true && p['ref'] === 'refs/tags/simple-tag'))).toEqual({
      kind: 'event',
      event: { kind: 'tag-pushed', repo, tag: 'simple-tag', sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', protected: null, meta: { deliveryId: 'delivery-1', installationId: null } },
    });
    expect(map('pull_request', example('pull_request', (p) => p['action'] === 'synchronize'))).toEqual({
      kind: 'event',
      event: {
        kind: 'change-request',
        repo,
        action: 'updated',
        number: 2,
        sourceBranch: 'changes',
        targetBranch: 'master',
        headSha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
        sameRepo: true,
        meta: { deliveryId: 'delivery-1', installationId: 1 },
      },
    });
  });
});

const TAG_OBJECT = 'a'.repeat(40);
const COMMIT = 'b'.repeat(40);
const tagPush = (changes: Json = {}): Json => ({ ...example('push', (p) => p['created'] === true && p['ref'].startsWith('refs/tags/')), installation: { id: 7 }, ...changes });
const branchPush = (changes: Json = {}): Json => ({ ...example('push', (p) => p['ref'] === 'refs/heads/master' && p['created'] === true), ...changes });

describe('push variants', () => {
  const HOSTILE = ['v1.0.0; rm -rf /', '$(id)', '../../etc/passwd', 'v1.0\n0', '-rf', 'ünïcödé', 'v1 .0', '`x`', "'q'"];

  it('peels an annotated tag: after is the tag object, head_commit the commit', () => {
    const result = map('push', tagPush({ ref: 'refs/tags/v1.2.3', after: TAG_OBJECT, head_commit: { id: COMMIT, message: 'Release 1.2.3' } }));
    expect(result).toMatchObject({ kind: 'event', event: { kind: 'tag-pushed', tag: 'v1.2.3', sha: COMMIT, meta: { installationId: 7 } } });
  });

  it.each([
    ['a tag moved with --force is mapped like a new one', { created: false, forced: true, before: COMMIT }, 'event'],
    ['a created tag without head_commit cannot be peeled', { head_commit: null }, 'invalid'],
    ['deleted: true', { deleted: true, created: false, after: ZEROS, head_commit: null }, 'ignored'],
    ['after all zeros without the deleted flag', { after: ZEROS, head_commit: null }, 'ignored'],
    ['a SHA-256 null after', { after: '0'.repeat(64), head_commit: null }, 'ignored'],
    ['a ref that is neither branch nor tag', { ref: 'refs/notes/commits' }, 'ignored'],
    ['a bare refs/tags/', { ref: 'refs/tags/' }, 'ignored'],
    ['no repository', { repository: undefined }, 'invalid'],
    ['a head_commit id that is not a sha', { head_commit: { id: 'HEAD', message: 'x' } }, 'invalid'],
  ])('%s', (_name, changes, kind) => {
    expect(map('push', tagPush(changes)).kind).toBe(kind);
  });

  it.each(HOSTILE)('keeps the tag name raw: %j', (name) => {
    expect(map('push', tagPush({ ref: `refs/tags/${name}` }))).toMatchObject({ kind: 'event', event: { tag: name } });
  });

  it.each(HOSTILE)('keeps the branch name raw: %j', (name) => {
    expect(map('push', branchPush({ ref: `refs/heads/${name}` }))).toMatchObject({ kind: 'event', event: { kind: 'branch-pushed', branch: name } });
  });

  it('takes the head message only from the commit the branch now names', () => {
    const result = map('push', branchPush({ after: COMMIT, head_commit: { id: 'c'.repeat(40), message: 'older' } }));
    expect(result).toMatchObject({ kind: 'event', event: { sha: COMMIT, headMessage: null } });
    expect(map('push', branchPush({ head_commit: null }))).toMatchObject({ kind: 'event', event: { headMessage: null } });
  });

  it('refuses a branch push whose after is not a sha', () => {
    expect(map('push', branchPush({ after: 'not-a-sha' }))).toEqual({ kind: 'invalid', reason: 'after is not a commit sha' });
  });

  it('reads a null default branch as null', () => {
    const payload = branchPush();
    payload['repository'] = { ...payload['repository'], default_branch: null };
    expect(map('push', payload)).toMatchObject({ event: { repo: { defaultBranch: null } } });
  });
});

describe('pull request variants', () => {
  const opened = (): Json => example('pull_request', (p) => p['action'] === 'opened');

  it('a fork is not the same repository; a deleted fork neither', () => {
    const fork = opened();
    fork['pull_request'].head.repo = { ...fork['pull_request'].head.repo, id: 1 };
    expect(map('pull_request', fork)).toMatchObject({ event: { sameRepo: false } });
    fork['pull_request'].head.repo = null;
    expect(map('pull_request', fork)).toMatchObject({ event: { sameRepo: false } });
  });

  it('a retargeted pull request is an update; other edits are ignored', () => {
    const edited = { ...opened(), action: 'edited', changes: { base: { ref: { from: 'develop' } } } };
    expect(map('pull_request', edited)).toMatchObject({ kind: 'event', event: { action: 'updated' } });
    expect(map('pull_request', { ...edited, changes: { title: { from: 'x' } } })).toMatchObject({ kind: 'ignored' });
  });

  it('keeps hostile branch names raw', () => {
    const pr = opened();
    pr['pull_request'].head.ref = '$(curl evil)\n';
    pr['pull_request'].base.ref = 'main; true';
    expect(map('pull_request', pr)).toMatchObject({ event: { sourceBranch: '$(curl evil)\n', targetBranch: 'main; true' } });
  });

  it.each([
    ['head sha missing', (p: Json) => delete p['pull_request'].head.sha],
    ['number missing', (p: Json) => delete p['pull_request'].number],
    ['base repo missing', (p: Json) => delete p['pull_request'].base.repo],
  ])('invalid when %s', (_name, breakIt) => {
    const pr = opened();
    breakIt(pr);
    expect(map('pull_request', pr).kind).toBe('invalid');
  });

  it('never puts a payload value in the reason', () => {
    const pr = opened();
    pr['pull_request'].head.sha = 'SECRET-LOOKING-VALUE';
    const result = map('pull_request', pr);
    expect(result).toEqual({ kind: 'invalid', reason: 'payload does not match: pull_request.head.sha' });
  });
});

describe('issue comment variants', () => {
  const prComment = (changes: { body?: string; action?: string; user?: Json; sender?: Json; app?: Json | null } = {}): Json => {
    const p = example('issue_comment', (x) => x['action'] === 'created' && x['installation'] !== undefined);
    p['issue'].pull_request = { url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/1' };
    p['comment'].body = changes.body ?? '/pyrelease check';
    if (changes.action !== undefined) p['action'] = changes.action;
    if (changes.user !== undefined) p['comment'].user = changes.user;
    if (changes.sender !== undefined) p['sender'] = changes.sender;
    if (changes.app !== undefined) p['comment'].performed_via_github_app = changes.app;
    return p;
  };
  const botActor = { login: 'pyrelease[bot]', type: 'Bot', id: 5 };

  it('a /pyrelease check comment on a pull request asks the caller to resolve the head', () => {
    expect(map('issue_comment', prComment())).toEqual({ kind: 'recheck', repo, number: 1, meta: { deliveryId: 'delivery-1', installationId: 1 } });
  });

  it.each([
    ['edited', { action: 'edited' }, 'comment "edited"'],
    ['deleted', { action: 'deleted' }, 'comment "deleted"'],
    ['not a command', { body: 'please /pyrelease check' }, 'comment is not a command'],
    ['a longer word', { body: '/pyrelease checks' }, 'comment is not a command'],
    ['our report, by marker, whoever posted it', { body: `${REPORT_MARKER}\n/pyrelease check` }, 'own comment'],
    ['our bot, by comment author', { user: botActor }, 'own comment'],
    ['our bot, by sender', { sender: botActor }, 'own comment'],
    ['our app, by performed_via_github_app', { app: { id: 4242, slug: 'pyrelease' } }, 'own comment'],
  ])('ignored: %s', (_name, changes, reason) => {
    expect(map('issue_comment', prComment(changes))).toEqual({ kind: 'ignored', reason });
  });

  it.each([
    ['another bot with our login but a User type', { user: { login: 'pyrelease[bot]', type: 'User' } }],
    ['another app', { app: { id: 1, slug: 'other' } }],
    ['a command with arguments after whitespace', { body: '  /pyrelease check\nplease' }],
  ])('still a recheck: %s', (_name, changes) => {
    expect(map('issue_comment', prComment(changes)).kind).toBe('recheck');
  });

  it('without a configured identity only the marker marks our comments', () => {
    expect(map('issue_comment', prComment({ user: botActor }), {}).kind).toBe('recheck');
  });

  it('a null comment body is not a command', () => {
    const p = prComment();
    p['comment'].body = null;
    expect(map('issue_comment', p)).toEqual({ kind: 'ignored', reason: 'comment is not a command' });
  });

  it.each([
    ['/pyrelease check', true],
    ['/pyrelease check\tnow', true],
    ['/pyrelease', false],
    ['/pyrelease checking', false],
    ['x /pyrelease check', false],
  ])('isRecheckCommand(%j) = %s', (body, expected) => {
    expect(isRecheckCommand(body)).toBe(expected);
  });
});

describe('other events', () => {
  it.each([
    ['ping', { zen: 'Keep it logically awesome.' }, 'ping'],
    ['installation', {}, 'event "installation" is not handled'],
    ['check_run', {}, 'event "check_run" is not handled'],
    [undefined, {}, 'no X-GitHub-Event header'],
  ])('%s is ignored', (event, payload, reason) => {
    expect(mapGithubWebhook(event, payload, meta, bot)).toEqual({ kind: 'ignored', reason });
  });

  it.each([[null], ['text'], [[]], [42]])('a non-object payload %j is invalid', (payload) => {
    expect(map('push', payload).kind).toBe('invalid');
  });
});

describe('the payload schemas', () => {
  it('keep only the fields the mapper reads, so the ~100 others of a push are neither copied nor passed on', async () => {
    const { pushSchema } = await import('../../../src/platforms/github/payloads.js');
    const push = example('push', (p) => p['deleted'] === false);
    expect(Object.keys(push['repository'] as Json).length).toBeGreaterThan(50);
    const parsed = pushSchema.parse(push);
    expect(Object.keys(parsed).sort()).toEqual(['after', 'created', 'deleted', 'head_commit', 'ref', 'repository'].concat('installation' in push ? ['installation'] : []).sort());
    expect(Object.keys(parsed.repository).sort()).toEqual(['default_branch', 'full_name', 'id']);
  });
});
