import type { RepoEvent } from '../../src/core/events.js';

/** A GitLab tag push as the mapper makes it, for queue tests that need many distinct deliveries. */
export function tagPushedEvent(deliveryId: string, tag = 'v1.0.0'): RepoEvent {
  return {
    kind: 'tag-pushed',
    repo: { platform: 'gitlab', id: '1', path: 'a/b', defaultBranch: 'main' },
    tag,
    sha: 'a'.repeat(40),
    protected: null,
    meta: { deliveryId, installationId: null },
  };
}
