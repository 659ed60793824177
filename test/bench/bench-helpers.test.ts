import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyGithubSignature } from '../../src/platforms/github/webhook-signature.js';

// bench/ is plain JS without type declarations: load it by URL and state the shape we use.
type BuildRequest = (sender: number, seq: number) => { headers: Record<string, string>; body: string };
interface LoadGenerator {
  REQUEST_KINDS: Record<string, (options: { secret: string; runId: string }) => BuildRequest>;
  githubPushExample(): Record<string, unknown> & { head_commit: Record<string, unknown> };
  prefixSigner(secret: string, prefix: string): (tail: string) => string;
}
interface ReadmeSection {
  replaceBlock(readme: string, name: string, generated: string): string | null;
}
const generator = (await import(new URL('../../bench/load-generator.js', import.meta.url).href)) as LoadGenerator;
const readme = (await import(new URL('../../bench/readme-section.js', import.meta.url).href)) as ReadmeSection;

describe('github-push request kind', () => {
  const build = generator.REQUEST_KINDS['github-push']?.({ secret: 'bench-secret', runId: 'r1' });
  it('is signed as GitHub signs, with a new delivery id per request, and is a push', () => {
    expect(build).toBeDefined();
    const requests = Array.from({ length: 5 }, (_, i) => build?.(0, i));
    const deliveries = new Set(requests.map((r) => r?.headers['x-github-delivery']));
    expect(deliveries.size).toBe(5);
    for (const r of requests) {
      expect(r?.headers['x-github-event']).toBe('push');
      const body = Buffer.from(r?.body ?? '');
      expect(verifyGithubSignature(r?.headers['x-hub-signature-256'], body, ['bench-secret'])).toEqual({ ok: true });
      expect(verifyGithubSignature(r?.headers['x-hub-signature-256'], body, ['other'])).toEqual({ ok: false, reason: 'mismatch' });
      expect((JSON.parse(body.toString('utf8')) as { ref: string; deleted: boolean }).deleted).toBe(false);
    }
  });
});

describe('every request is a new delivery, body included', () => {
  // pyrelease deduplicates GitHub deliveries by the body's digest as well as by
  // X-GitHub-Delivery: a bench that sent one body under fresh ids measured the duplicate path.
  it('github-push: each request carries a commit of its own, in both runs and senders, and only that differs from the example', () => {
    const example = generator.githubPushExample();
    const bodies: string[] = [];
    for (const runId of ['a1b2c3d4e5f6', 'f6e5d4c3b2a1']) {
      const build = generator.REQUEST_KINDS['github-push']?.({ secret: 'bench-secret', runId });
      for (const sender of [0, 1, 49]) for (const seq of [0, 1, 2, 70_000]) bodies.push(build?.(sender, seq).body ?? '');
    }
    expect(new Set(bodies).size).toBe(bodies.length);
    const shas = bodies.map((b) => JSON.parse(b) as { after: string; head_commit: { id: string } });
    for (const [i, p] of shas.entries()) {
      expect(p.after).toMatch(/^[0-9a-f]{40}$/);
      expect(p.head_commit.id).toBe(p.after);
      expect({ ...p, after: example['after'], head_commit: { ...p.head_commit, id: example.head_commit['id'] } }).toEqual(example);
      expect(bodies[i]?.length).toBe(JSON.stringify(example).length);
    }
  });

  it('gitlab-tag-push: a body and an Idempotency-Key of its own per request', () => {
    const build = generator.REQUEST_KINDS['gitlab-tag-push']?.({ secret: 't', runId: 'r1' });
    const requests = [0, 1, 2].flatMap((sender) => [0, 1, 2].map((seq) => build?.(sender, seq)));
    expect(new Set(requests.map((r) => r?.body)).size).toBe(9);
    expect(new Set(requests.map((r) => r?.headers['idempotency-key'])).size).toBe(9);
  });

  it.each([['a short key', 'bench-secret'], ['a key longer than the block', 'k'.repeat(100)], ['no key', '']])('prefixSigner is HMAC-SHA256 with %s', (_name, key) => {
    const sign = generator.prefixSigner(key, 'fixed part, ');
    for (const tail of ['', 'one', 'x'.repeat(300)]) expect(sign(tail)).toBe(createHmac('sha256', key).update(`fixed part, ${tail}`).digest('hex'));
  });
});

describe('replaceBlock', () => {
  const doc = 'intro\n<!-- q: begin generated -->\nold\n<!-- q: end generated -->\nnotes\n';
  it.each([
    { name: 'q', readme: doc, expected: 'intro\n<!-- q: begin generated -->\n\nnew\n\n<!-- q: end generated -->\nnotes\n' },
    { name: 'other', readme: doc, expected: null },
    { name: 'q', readme: '<!-- q: end generated -->\n<!-- q: begin generated -->\n', expected: null },
  ])('block $name', ({ name, readme: text, expected }) => {
    expect(readme.replaceBlock(text, name, '  new\n')).toBe(expected);
  });
});
