import { describe, expect, it } from 'vitest';
import { verifyGithubSignature } from '../../src/platforms/github/webhook-signature.js';

// bench/ is plain JS without type declarations: load it by URL and state the shape we use.
type BuildRequest = (sender: number, seq: number) => { headers: Record<string, string>; body: string };
interface LoadGenerator {
  REQUEST_KINDS: Record<string, (options: { secret: string; runId: string }) => BuildRequest>;
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
