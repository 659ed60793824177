// Issue 15, "no silent waits": @gitbeaker/rest paced every GitLab like gitlab.com (5
// archive downloads a minute, on the client, silently), so the sixth release in a minute sat
// in its worker slot for up to 60 s. Eight releases at once must all start building now.
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, gitlabService } from '../helpers/gitlab-service.js';
import type { GitlabService } from '../helpers/gitlab-service.js';
import { gitlabTagPush } from '../helpers/webhook-payloads.js';

const RELEASES = 8;
const shaOf = (i: number): string => i.toString(16).padStart(2, '0').repeat(20);

let svc: GitlabService | undefined;
afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

describe('eight releases on one GitLab at once', () => {
  it('all download their source and start building within a few seconds', { timeout: 240_000 }, async () => {
    svc = await gitlabService({ env: { PYRELEASE_WORKER_CONCURRENCY: String(RELEASES) } });
    const s = svc;
    const tags = Array.from({ length: RELEASES }, (_, i) => ({ tag: `v2.0.${i}`, sha: shaOf(i + 1), version: `2.0.${i}` }));
    for (const t of tags) {
      await s.commitFixture('main', t.sha, `Release ${t.version}`, 'setuptools-static', t.version);
      s.project.tags.set(t.tag, { name: t.tag, commitId: t.sha, message: '', target: t.sha });
    }

    // When each release's archive was first served, seen from here (the fake logs no time).
    const firstArchive = new Map<string, number>();
    const watch = setInterval(() => {
      for (const r of s.gitlab.log) {
        const sha = /\/repository\/archive[^?]*\?(?:.*&)?sha=([0-9a-f]{40})/.exec(r.url)?.[1];
        if (sha !== undefined && r.status === 200 && !firstArchive.has(sha)) firstArchive.set(sha, Date.now());
      }
    }, 20);
    try {
      const sent = Date.now();
      const answers = await Promise.all(tags.map((t) => s.send('Tag Push Hook', gitlabTagPush(s.project, t.tag, t.sha))));
      expect(answers.map((a) => a.status)).toEqual(tags.map(() => 200));
      // Without the fix the sixth download waits out gitbeaker's minute: give it 20 s to show.
      await eventually(() => (firstArchive.size === RELEASES ? true : undefined), 20_000, `${RELEASES} archive downloads (${firstArchive.size} seen)`).catch(() => undefined);
      const startedAfter = tags.map((t) => (firstArchive.get(t.sha) ?? Infinity) - sent);
      console.log(`archive downloads, ms after the webhooks were sent: ${startedAfter.map((ms) => Math.round(ms)).sort((a, b) => a - b).join(', ')}`);
      expect(startedAfter.filter((ms) => ms > 5_000)).toEqual([]);
      // Each one reached the build, as the log says.
      await eventually(() => (s.logLines.filter((l) => l.includes('"msg":"building"')).length >= RELEASES ? true : undefined), 30_000, 'eight "building" lines');
      // Nothing waited on the client, so nothing was logged as a wait.
      expect(s.logLines.filter((l) => l.includes('"wait":"gitlab-client-pacing"'))).toEqual([]);
    } finally {
      clearInterval(watch);
    }
    // Let the builds finish before the service is closed.
    await eventually(() => (tags.every((t) => s.project.releases.has(t.tag)) ? true : undefined), 180_000, 'eight GitLab releases');
  });
});
