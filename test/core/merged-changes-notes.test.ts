import { describe, expect, it } from 'vitest';
import { MERGED_CHANGES_LIMIT, mergedChangesMarkdown } from '../../src/core/merged-changes-notes.js';
import { releaseDescription } from '../../src/core/release-notes.js';

const base = { version: '1.2.0', previousTag: 'v1.1.0', complete: true } as const;

describe('mergedChangesMarkdown: the notes of a version without a changelog entry', () => {
  it.each<[string, { number: number; title: string; author: string | null }, 'gitlab' | 'github', string]>([
    ['a GitLab merge request', { number: 12, title: 'Fix the build', author: 'alice' }, 'gitlab', '- Fix the build (!12, @alice)'],
    ['a GitHub pull request', { number: 12, title: 'Fix the build', author: 'alice-b' }, 'github', '- Fix the build (#12, @alice-b)'],
    ['a dotted GitLab username', { number: 3, title: 'x', author: 'jane.doe_2' }, 'gitlab', '- x (!3, @jane.doe_2)'],
    ["a bot's login is not a mention", { number: 4, title: 'Bump', author: 'renovate[bot]' }, 'github', '- Bump (#4, renovate\\[bot\\])'],
    ['a name ending in a dot is not a mention', { number: 4, title: 'x', author: 'odd.' }, 'gitlab', '- x (!4, odd\\.)'],
    ['no author', { number: 5, title: 'x', author: null }, 'gitlab', '- x (!5)'],
    ['a title is escaped prose: no links, mentions, references or HTML', { number: 6, title: '[a](https://e.invalid) @all #1 <img> *x*', author: 'a' }, 'github', '- \\[a\\]\\(https\\:\\/\\/e\\.invalid\\) \\@&#8203;all \\#&#8203;1 &lt;img&gt; \\*x\\* (#6, @a)'],
  ])('%s', (_name, change, forge, line) => {
    const text = mergedChangesMarkdown({ ...base, forge, changes: [change] });
    const what = forge === 'github' ? 'pull requests' : 'merge requests';
    expect(text).toBe(`No changelog entry was found for 1\\.2\\.0, so these are the ${what} merged since \`v1.1.0\`:\n\n${line}`);
  });

  it('says when the list was cut', () => {
    const text = mergedChangesMarkdown({ ...base, complete: false, forge: 'gitlab', changes: [{ number: 1, title: 'x', author: null }] });
    expect(text.endsWith(`\n\n*pyrelease lists at most ${MERGED_CHANGES_LIMIT} merge requests, found through the newest 100 commits since \`v1.1.0\`: older ones are left out.*`)).toBe(true);
  });

  it('within the size limit, a cut list says so without naming a file', () => {
    const changes = Array.from({ length: 30_000 }, (_, i) => ({ number: i, title: `Change ${i} with a long enough title`, author: 'someone' }));
    const markdown = mergedChangesMarkdown({ ...base, forge: 'github', changes });
    const body = releaseDescription({ notes: { markdown, file: null }, footer: 'Released.', forge: 'github', links: [] });
    expect(body.length).toBeLessThanOrEqual(125_000);
    expect(body).toMatch(/\n\n\*pyrelease cut the list here, after line \d+ of 30002: a GitHub release holds at most 125,000 characters\. The rest of the list is left out\.\*\n\n---\n\nReleased\.$/);
  });
});
