// The in-memory platform is the reference the real adapters are held to: it passes the
// same contract.
import type { CommentTarget } from '../../src/core/actions.js';
import { commit, emptyRepo, memoryPlatform } from '../fakes/memory-platform.js';
import { platformContract } from './platform-contract.js';

const sameTarget = (a: CommentTarget, b: CommentTarget): boolean => JSON.stringify(a) === JSON.stringify(b);

platformContract('memory', () => {
  const repo = emptyRepo('main', { id: '17', path: 'group/sub/pkg' });
  return Promise.resolve({
    platform: memoryPlatform(repo),
    identity: { id: '17', path: 'group/sub/pkg' },
    teardown: () => Promise.resolve(),
    arrange: {
      commit: (branch, sha, message, files) => Promise.resolve(void commit(repo, branch, sha, message, files)),
      branch: (name, from) => Promise.resolve(void repo.branches.set(name, [...(repo.branches.get(from) ?? [])])),
      tag: (name, sha) => Promise.resolve(void repo.tags.set(name, sha)),
      protectTag: (name) => Promise.resolve(void repo.protectedTags.add(name)),
      changeRequest: (n, shas) => Promise.resolve(void repo.changeRequests.set(n, shas)),
      mergedChangeRequest: (n, shas, title, author) => {
        repo.changeRequests.set(n, shas);
        (repo.merged ??= new Map()).set(n, { title, author });
        return Promise.resolve();
      },
      archive: (sha, bytes) => {
        const c = repo.commits.get(sha);
        if (c !== undefined) c.archive = bytes;
        return Promise.resolve();
      },
      comments: (target) => Promise.resolve(repo.comments.filter((c) => sameTarget(c.target, target)).map((c) => c.body)),
      statuses: (sha) => Promise.resolve(repo.statuses.filter((s) => s.sha === sha).map((s) => ({ state: s.state, description: s.description }))),
      release: (tag) => {
        const r = repo.releases.get(tag);
        return Promise.resolve(r === undefined ? null : { name: r.name, description: r.description, links: r.links.map((l) => ({ ...l })) });
      },
    },
  });
});
