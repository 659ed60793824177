// The contract every RepositoryDirectory passes: the memory fake, the GitHub adapter over
// the fake GitHub (an installation's repositories, pages revalidated with ETags) and the
// GitLab adapter over the fake GitLab (member projects with recent activity).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RepositoryDirectory } from '../../src/platforms/repository-directory.js';

export interface DirectoryArranger {
  /** Adds a repository of the account (default branch main). */
  repo(name: string): Promise<{ id: string; path: string }>;
  /** A push to it, which the forge records now (GitLab: with its last recorded activity more than an hour old). */
  push(id: string): Promise<void>;
}

export interface DirectorySubject {
  directory: RepositoryDirectory;
  arrange: DirectoryArranger;
  teardown(): Promise<void>;
}

/** Forges record changes in whole seconds. */
const SECOND = 1000;

export function directoryContract(name: string, setup: () => Promise<DirectorySubject>): void {
  describe(`RepositoryDirectory contract: ${name}`, () => {
    let subject: DirectorySubject;
    let repos: Array<{ id: string; path: string }>;

    beforeEach(async () => {
      subject = await setup();
      repos = [];
      for (const n of ['alpha', 'beta', 'gamma']) repos.push(await subject.arrange.repo(n));
    });

    afterEach(async () => {
      await subject.teardown();
    });

    it('lists every repository of the account, with its path, default branch and a changedAt, when asked from the start', async () => {
      const listing = await subject.directory.changed(null, null);
      expect(listing.kind).toBe(subject.directory.kind);
      for (const r of repos) {
        const listed = listing.repos.find((x) => x.id === r.id);
        expect(listed).toMatchObject({ path: r.path, defaultBranch: 'main' });
        expect(Number.isFinite(Date.parse(listed?.changedAt ?? ''))).toBe(true);
      }
      expect(listing.cost.requests).toBeGreaterThanOrEqual(1);
    });

    it('after a listing, a pushed repository is listed with its new changedAt, and no quiet one is listed as changed', async () => {
      const first = await subject.directory.changed(null, null);
      const since = Date.now();
      const beta = repos[1] as { id: string };
      await subject.arrange.push(beta.id);
      const second = await subject.directory.changed(since - subject.directory.lagMs - 5 * SECOND, first.validator);
      const listed = second.repos.find((x) => x.id === beta.id);
      expect(Date.parse(listed?.changedAt ?? '')).toBeGreaterThanOrEqual(since - SECOND);
      for (const quiet of second.repos.filter((x) => x.id !== beta.id)) {
        const before = first.repos.find((x) => x.id === quiet.id);
        expect(quiet.changedAt).toBe(before?.changedAt);
      }
    });

    it('nothing changed since the last listing: no repository is listed with a change after it', async () => {
      const first = await subject.directory.changed(null, null);
      const since = Math.max(...first.repos.map((r) => Date.parse(r.changedAt ?? '0'))) + SECOND;
      const second = await subject.directory.changed(since, first.validator);
      expect(second.repos.filter((r) => Date.parse(r.changedAt ?? '0') > since)).toEqual([]);
    });
  });
}
