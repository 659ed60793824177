import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { addMergeRequest } from '../fakes/fake-gitlab-arrange.js';
import { eventually, gitlabService } from '../helpers/gitlab-service.js';
import type { GitlabService } from '../helpers/gitlab-service.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

/**
 * The whole service with known secrets, through a good release, a refused one (wrong
 * index token), a merge request with problems and bad webhook attempts; then every log
 * line, comment, status, release, Redis key and job record is scanned for the secrets,
 * plain and encoded.
 */
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/gitlab/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
const sha = (c: string) => c.repeat(40);

function encodings(secret: string): string[] {
  const b = Buffer.from(secret);
  return [secret, b.toString('base64'), b.toString('base64url'), encodeURIComponent(secret), b.toString('hex'), Buffer.from(`__token__:${secret}`).toString('base64')];
}

async function redisDump(prefix: string): Promise<string> {
  const redis = new Redis(TEST_REDIS_URL);
  const out: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', '500');
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === 'string') out.push(String(await redis.get(key)));
        else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'list') out.push(JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === 'set') out.push(JSON.stringify(await redis.smembers(key)));
        else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
        else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return out.join('\n');
}

let s: GitlabService;
beforeAll(async () => {
  // The worker's token for the index is wrong on purpose for the second release (see below).
  s = await gitlabService();
}, 60_000);
afterAll(async () => {
  await s.close();
});

function projectBlock() {
  return { ...(fixture('tag-push')['project'] as object), id: s.project.id, path_with_namespace: s.project.pathWithNamespace, default_branch: 'main' };
}

describe('no secret anywhere', () => {
  it('keeps every secret out of logs, forge writes, Redis and job records', { timeout: 180_000 }, async () => {
    // A good release.
    await s.commitFixture('main', sha('a'), 'Release 1.4.0', 'setuptools-static');
    s.project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: sha('a'), message: '', target: sha('a') });
    await s.send('Tag Push Hook', { ...fixture('tag-push'), ref: 'refs/tags/v1.4.0', before: '0'.repeat(40), after: sha('a'), checkout_sha: sha('a'), project_id: s.project.id, project: projectBlock() });
    await eventually(() => s.project.releases.get('v1.4.0'), 120_000, 'the release');

    // A release the index refuses: the index forgets the token, so the upload is a 403.
    await s.commitFixture('main', sha('b'), 'Release 1.5.0', 'setuptools-static', '1.5.0');
    s.project.tags.set('v1.5.0', { name: 'v1.5.0', commitId: sha('b'), message: '', target: sha('b') });
    s.index.fail(50, { status: 403 });
    await s.send('Tag Push Hook', { ...fixture('tag-push'), ref: 'refs/tags/v1.5.0', before: '0'.repeat(40), after: sha('b'), checkout_sha: sha('b'), project_id: s.project.id, project: projectBlock() });
    await eventually(() => (s.project.statuses.some((st) => st.sha === sha('b') && st.status === 'failed') ? true : undefined), 120_000, 'the failed status');

    // A merge request with a problem.
    s.project.branches.set('feature', [sha('a')]);
    await s.commitFixture('feature', sha('c'), 'lower', 'setuptools-static', '1.0.0');
    addMergeRequest(s.project, 3, [sha('c')]);
    const base = fixture('merge-request');
    const attrs = base['object_attributes'] as Record<string, unknown>;
    await s.send('Merge Request Hook', { ...base, project: projectBlock(), object_attributes: { ...attrs, iid: 3, action: 'open', oldrev: null, source_branch: 'feature', target_branch: 'main', source_project_id: s.project.id, target_project_id: s.project.id, last_commit: { ...(attrs['last_commit'] as object), id: sha('c') } } });
    await eventually(() => s.project.notes.find((n) => n.noteable.type === 'MergeRequest'), 30_000, 'the MR note');

    // Bad webhook attempts that carry secret-like values.
    for (const token of [`${s.secret}x`, s.tokens.gitlab, s.tokens.index]) {
      const res = await fetch(`${s.service.url}/webhooks/gitlab`, { method: 'POST', headers: { 'x-gitlab-token': token, 'x-gitlab-event': 'Tag Push Hook' }, body: `{"secret":"${token}"}` });
      expect(res.status).toBe(401);
    }

    const haystacks = {
      logs: s.logLines.join('\n'),
      notes: s.project.notes.map((n) => n.body).join('\n'),
      statuses: JSON.stringify(s.project.statuses),
      releases: JSON.stringify([...s.project.releases.values()]),
      redis: await redisDump(s.env['PYRELEASE_QUEUE_PREFIX'] ?? '{none}'),
    };
    // The scan itself sees what it should: the failure reason is stored in Redis.
    expect(haystacks.redis).toContain('index-auth');
    expect(haystacks.logs).toContain('gitlab webhook');
    for (const secret of [s.secret, s.tokens.gitlab, s.tokens.index]) {
      for (const form of encodings(secret)) {
        for (const [where, text] of Object.entries(haystacks)) expect(text.includes(form), `${where} contains a form of a secret`).toBe(false);
      }
    }
  });
});
