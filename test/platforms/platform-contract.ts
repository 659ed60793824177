// The contract every Platform passes: the in-memory fake, the GitLab adapter (against
// the fake GitLab) and the GitHub adapter. Each implementation supplies an Arranger that
// sets up repository state and reads back what the platform wrote.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommentTarget, StatusState } from '../../src/core/actions.js';
import { TagConflictError } from '../../src/errors.js';
import type { Platform } from '../../src/platforms/platform.js';

export interface Arranger {
  /** A commit with a full tree on a branch (created when new), on top of the branch head. */
  commit(branch: string, sha: string, message: string, files: Record<string, string>): Promise<void>;
  /** A new branch with the same history as `from`. */
  branch(name: string, from: string): Promise<void>;
  tag(name: string, sha: string): Promise<void>;
  /** Protects exactly this tag name. */
  protectTag(name: string): Promise<void>;
  changeRequest(number: number, shas: string[]): Promise<void>;
  /** A change request that was merged, bringing these commits into its target branch. */
  mergedChangeRequest(number: number, shas: string[], title: string, author: string): Promise<void>;
  archive(sha: string, bytes: Buffer): Promise<void>;
  /** Bodies of every comment on the target, oldest first. */
  comments(target: CommentTarget): Promise<string[]>;
  /** Statuses the platform set on sha, oldest first (the latest one last). */
  statuses(sha: string): Promise<Array<{ state: StatusState; description: string }>>;
  release(tag: string): Promise<{ name: string; description: string; links: Array<{ name: string; url: string }> } | null>;
}

export interface ContractSubject {
  platform: Platform;
  arrange: Arranger;
  /** The repository's id and path as its forge (or fake) holds them: what identity() must answer. */
  identity: { id: string; path: string };
  teardown(): Promise<void>;
}

export const A = 'a'.repeat(40);
export const B = 'b'.repeat(40);
export const C = 'c'.repeat(40);
export const D = 'd'.repeat(40);
const MARKER = '<!-- pyrelease:report -->';

export function platformContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`Platform contract: ${name}`, () => {
    let subject: ContractSubject;
    let p: Platform;
    let arrange: Arranger;

    beforeEach(async () => {
      subject = await setup();
      p = subject.platform;
      arrange = subject.arrange;
      await arrange.commit('main', A, 'first', { 'pyproject.toml': '[project]\nversion = "1.0"\n', 'README.md': 'héllo ✓\n' });
      await arrange.commit('main', B, '1.1.0\n\nbump', { 'pyproject.toml': '[project]\nversion = "1.1.0"\n' });
      await arrange.branch('feature', 'main');
      await arrange.commit('feature', C, 'feature work', { 'pyproject.toml': '[project]\nversion = "2.0.dev0"\n' });
      await arrange.tag('v1.0', A);
    });

    afterEach(async () => {
      await subject.teardown();
    });

    it('reads the default branch', async () => {
      expect(await p.defaultBranch()).toBe('main');
    });

    it("identity: the forge's own id and path of the repository", async () => {
      expect(await p.identity()).toEqual(subject.identity);
    });

    it.each([
      ['at a branch', 'pyproject.toml', 'main', '[project]\nversion = "1.1.0"\n'],
      ['at a tag', 'pyproject.toml', 'v1.0', '[project]\nversion = "1.0"\n'],
      ['at a sha', 'pyproject.toml', C, '[project]\nversion = "2.0.dev0"\n'],
      ['as UTF-8', 'README.md', A, 'héllo ✓\n'],
      ['absent file', 'setup.cfg', 'main', null],
      ['absent in this tree', 'README.md', B, null],
      ['absent ref', 'pyproject.toml', 'no-such-branch', null],
    ])('readFile %s', async (_name, path, ref, expected) => {
      expect(await p.readFile(path, ref)).toBe(expected);
    });

    it.each([
      ['main', { sha: B, message: '1.1.0\n\nbump' }],
      ['feature', { sha: C, message: 'feature work' }],
      ['v1.0', { sha: A, message: 'first' }],
      [A, { sha: A, message: 'first' }],
      ['nope', null],
    ])('resolveCommit %s', async (ref, expected) => {
      expect(await p.resolveCommit(ref)).toEqual(expected);
    });

    it('lists and reads tags', async () => {
      await arrange.tag('v1.1.0', B);
      // committedAt is optional: forges that tell commit dates cheaply add it.
      const listed = (await p.listTags()).map(({ name, sha }) => ({ name, sha })).sort((x, y) => x.name.localeCompare(y.name));
      expect(listed).toEqual([
        { name: 'v1.0', sha: A },
        { name: 'v1.1.0', sha: B },
      ]);
      expect(await p.getTag('v1.1.0')).toEqual({ name: 'v1.1.0', sha: B });
      expect(await p.getTag('v9')).toBeNull();
    });

    it('listTagsIfChanged: the tags with a validator, unchanged with it, the new list after a tag', async () => {
      const names = (tags: ReadonlyArray<{ name: string }>): string[] => tags.map((t) => t.name).sort();
      const first = await p.listTagsIfChanged(null);
      if (!first.changed) throw new Error('a null validator must answer the tags');
      expect(names(first.value)).toEqual(['v1.0']);
      expect(first.validator).not.toBeNull();
      expect(first.cost.requests).toBeGreaterThanOrEqual(1);
      const again = await p.listTagsIfChanged(first.validator);
      expect(again.changed).toBe(false);
      expect(again.validator).toBe(first.validator);
      await arrange.tag('v1.1.0', B);
      const after = await p.listTagsIfChanged(first.validator);
      if (!after.changed) throw new Error('a new tag must change the listing');
      expect(names(after.value)).toEqual(['v1.0', 'v1.1.0']);
      expect(after.value.find((t) => t.name === 'v1.1.0')?.sha).toBe(B);
      // A validator it did not make is no validator.
      expect((await p.listTagsIfChanged('{"not":"ours"}')).changed).toBe(true);
    });

    it('listTagsIfChanged over several pages: unchanged, then a tag on any page is seen', async () => {
      for (let i = 0; i < 150; i++) await arrange.tag(`t${String(i).padStart(3, '0')}`, A);
      const first = await p.listTagsIfChanged(null);
      if (!first.changed) throw new Error('a null validator must answer the tags');
      expect(first.value).toHaveLength(151);
      expect((await p.listTagsIfChanged(first.validator)).changed).toBe(false);
      await arrange.tag('t999', B);
      const after = await p.listTagsIfChanged(first.validator);
      if (!after.changed) throw new Error('a new tag must change the listing');
      expect(after.value).toHaveLength(152);
    });

    it('ensureTag: created, then exists, then a conflict naming both shas', async () => {
      expect(await p.ensureTag('v1.1.0', B, 'Release 1.1.0')).toBe('created');
      expect(await p.getTag('v1.1.0')).toEqual({ name: 'v1.1.0', sha: B });
      expect(await p.ensureTag('v1.1.0', B, 'Release 1.1.0')).toBe('exists');
      const error: unknown = await p.ensureTag('v1.1.0', C, 'Release 1.1.0').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TagConflictError);
      expect(error).toMatchObject({ code: 'tag-conflict', tag: 'v1.1.0', existingSha: B, wantedSha: C });
      expect(await p.getTag('v1.1.0')).toEqual({ name: 'v1.1.0', sha: B });
    });

    it('isTagProtected', async () => {
      await arrange.tag('v1.1.0', B);
      await arrange.protectTag('v1.1.0');
      expect(await p.isTagProtected('v1.1.0')).toBe(true);
      expect(await p.isTagProtected('v1.0')).toBe(false);
    });

    it.each([
      ['change request', { kind: 'change-request', number: 5 }],
      ['commit', { kind: 'commit', sha: B }],
    ] as Array<[string, CommentTarget]>)('upsertComment on a %s: created, unchanged, updated, and one comment', async (_name, target) => {
      await arrange.changeRequest(5, [C]);
      expect(await p.upsertComment(target, `${MARKER}\nfirst`, MARKER)).toBe('created');
      expect(await p.upsertComment(target, `${MARKER}\nfirst`, MARKER)).toBe('unchanged');
      expect(await p.upsertComment(target, `${MARKER}\nsecond`, MARKER)).toBe('updated');
      expect(await arrange.comments(target)).toEqual([`${MARKER}\nsecond`]);
    });

    it('upsertComment leaves comments without the marker alone', async () => {
      const target: CommentTarget = { kind: 'change-request', number: 5 };
      await arrange.changeRequest(5, [C]);
      expect(await p.upsertComment(target, `${MARKER}\nx`, MARKER)).toBe('created');
      expect(await p.upsertComment(target, `<!-- other -->\ny`, '<!-- other -->')).toBe('created');
      expect(await arrange.comments(target)).toEqual([`${MARKER}\nx`, `<!-- other -->\ny`]);
    });

    it('upsertComment with createIfMissing false only edits a comment that exists', async () => {
      const target: CommentTarget = { kind: 'change-request', number: 6 };
      await arrange.changeRequest(6, [C]);
      expect(await p.upsertComment(target, `${MARKER}\nall fixed`, MARKER, { createIfMissing: false })).toBe('absent');
      expect(await arrange.comments(target)).toEqual([]);
      expect(await p.upsertComment(target, `${MARKER}\nproblem`, MARKER)).toBe('created');
      expect(await p.upsertComment(target, `${MARKER}\nall fixed`, MARKER, { createIfMissing: false })).toBe('updated');
      expect(await arrange.comments(target)).toEqual([`${MARKER}\nall fixed`]);
    });

    it('ensureBranch: created at the sha, then exists (whatever its head), and branchHead reads it', async () => {
      expect(await p.branchHead('stable-1-1-ee')).toBeNull();
      expect(await p.ensureBranch('stable-1-1-ee', B)).toBe('created');
      expect(await p.branchHead('stable-1-1-ee')).toBe(B);
      expect(await p.ensureBranch('stable-1-1-ee', B)).toBe('exists');
      // A stable branch moves on after it is cut: asking again with another sha is not an error.
      expect(await p.ensureBranch('stable-1-1-ee', A)).toBe('exists');
      expect(await p.branchHead('stable-1-1-ee')).toBe(B);
    });

    it('mergeBase: where a branch was cut, by branch, tag or sha, whichever moved on; null for a missing ref', async () => {
      // feature was cut from main at B and moved on to C; main then moves on to D.
      expect(await p.mergeBase('main', 'feature')).toBe(B);
      await arrange.commit('main', D, 'main moves on', { 'pyproject.toml': '[project]\nversion = "1.2.0"\n' });
      expect(await p.mergeBase('main', 'feature')).toBe(B);
      expect(await p.mergeBase('feature', 'main')).toBe(B);
      expect(await p.mergeBase(D, C)).toBe(B);
      expect(await p.mergeBase('main', 'v1.0')).toBe(A);
      expect(await p.mergeBase('main', 'main')).toBe(D);
      expect(await p.mergeBase('main', 'no-such-branch')).toBeNull();
    });

    it('setStatus is recorded in order', async () => {
      await p.setStatus(B, { state: 'pending', description: 'checking 1.1.0' });
      await p.setStatus(B, { state: 'failure', description: 'version not bumped' });
      // GitLab moves a live pending status to its next state in place, so only the
      // latest state is common to every forge.
      const statuses = await arrange.statuses(B);
      expect(statuses.at(-1)).toEqual({ state: 'failure', description: 'version not bumped' });
      expect(await arrange.statuses(A)).toEqual([]);
    });

    it('ensureRelease: created, then updated with the new description and links', async () => {
      await arrange.tag('v1.1.0', B);
      const first = { tag: 'v1.1.0', name: 'pkg 1.1.0', description: 'one', links: [{ name: 'pkg-1.1.0.tar.gz', url: 'https://example.invalid/pkg-1.1.0.tar.gz' }] };
      expect(await p.ensureRelease(first)).toBe('created');
      const second = { ...first, description: 'two', links: [...first.links, { name: 'pkg-1.1.0-py3-none-any.whl', url: 'https://example.invalid/pkg.whl' }] };
      expect(await p.ensureRelease(second)).toBe('updated');
      const stored = await arrange.release('v1.1.0');
      expect(stored).toMatchObject({ name: 'pkg 1.1.0', description: 'two' });
      expect(stored?.links.map((l) => l.name).sort()).toEqual(['pkg-1.1.0-py3-none-any.whl', 'pkg-1.1.0.tar.gz']);
    });

    it('changeRequestsForCommit and branchesContaining', async () => {
      await arrange.changeRequest(5, [C]);
      await arrange.changeRequest(6, [B, C]);
      expect((await p.changeRequestsForCommit(C)).sort()).toEqual([5, 6]);
      expect(await p.changeRequestsForCommit(A)).toEqual([]);
      expect((await p.branchesContaining(A)).sort()).toEqual(['feature', 'main']);
      expect(await p.branchesContaining(C)).toEqual(['feature']);
    });

    it('listMergedChanges: the merged change requests between two commits, newest first, each once, within the limit', async () => {
      const E = 'e'.repeat(40);
      await arrange.commit('main', D, 'Add *things* <b>', { 'pyproject.toml': '[project]\nversion = "1.2.0"\n' });
      await arrange.commit('main', E, 'Fix it', { 'pyproject.toml': '[project]\nversion = "1.2.1"\n' });
      await arrange.mergedChangeRequest(7, [B], 'Bump to 1.1.0', 'alice');
      await arrange.mergedChangeRequest(8, [D], 'Add *things* <b>', 'bob');
      await arrange.mergedChangeRequest(9, [E, D], 'Fix it', 'carol');
      // Open (not merged), and outside the range.
      await arrange.changeRequest(5, [C]);
      await arrange.changeRequest(6, [D]);
      const all = await p.listMergedChanges(A, E, 100);
      expect(all.complete).toBe(true);
      expect(all.changes.map(({ number, title, author }) => ({ number, title, author }))).toEqual([
        { number: 9, title: 'Fix it', author: 'carol' },
        { number: 8, title: 'Add *things* <b>', author: 'bob' },
        { number: 7, title: 'Bump to 1.1.0', author: 'alice' },
      ]);
      expect(all.changes.every((c) => c.url === null || typeof c.url === 'string')).toBe(true);
      expect((await p.listMergedChanges(B, E, 100)).changes.map((c) => c.number)).toEqual([9, 8]);
      expect(await p.listMergedChanges(A, E, 2)).toMatchObject({ complete: false, changes: [{ number: 9 }, { number: 8 }] });
      expect(await p.listMergedChanges(E, E, 100)).toEqual({ changes: [], complete: true });
    });

    it('listMergedChanges looks at the newest commits only, and says the list is not complete', async () => {
      const shas = Array.from({ length: 120 }, (_, i) => (i + 1).toString(16).padStart(40, '0'));
      for (const sha of shas) await arrange.commit('main', sha, `commit ${sha.slice(-3)}`, { 'pyproject.toml': '[project]\nversion = "1.2.0"\n' });
      await arrange.mergedChangeRequest(21, [shas[0] ?? ''], 'Oldest', 'alice');
      await arrange.mergedChangeRequest(22, [shas[119] ?? ''], 'Newest', 'bob');
      await arrange.mergedChangeRequest(23, [shas[20] ?? ''], 'The 100th newest', 'carol');
      const listed = await p.listMergedChanges(B, shas[119] ?? '', 100);
      expect(listed).toMatchObject({ complete: false, changes: [{ number: 22 }, { number: 23 }] });
      expect(listed.changes).toHaveLength(2);
    });

    it('downloadArchive writes the bytes', async () => {
      const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
      await arrange.archive(B, bytes);
      const dir = await mkdtemp(join(tmpdir(), 'platform-contract-'));
      try {
        const dest = join(dir, 'source.tar.gz');
        await p.downloadArchive(B, dest);
        expect((await readFile(dest)).equals(bytes)).toBe(true);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
