import { describe, expect, it } from 'vitest';
import { RELEASE_BODY_LIMITS, cutNotes, entryMarkdown, releaseDescription } from '../../src/core/release-notes.js';

const footer = 'Released 1.2.0 with pyrelease.\n\n- [demo 1.2.0 on PyPI](https://pypi.org/project/demo/1.2.0/)\n\n| File | Registry | Outcome | sha256 |\n| --- | --- | --- | --- |\n| demo-1.2.0.tar.gz | pypi | uploaded | `0123456789abcdef…` |';
const links = [{ name: 'demo 1.2.0 on PyPI', url: 'https://pypi.org/project/demo/1.2.0/' }];

describe('releaseDescription', () => {
  it('without an entry is the description pyrelease always wrote', () => {
    expect(releaseDescription({ notes: null, footer, forge: 'gitlab', links })).toBe(footer);
    expect(releaseDescription({ notes: { markdown: '  \n', file: 'CHANGELOG.md' }, footer, forge: 'github', links })).toBe(footer);
  });

  it('puts the entry first and the file links below it', () => {
    const notes = { markdown: '### Fixed\n\n- A bug.', file: 'CHANGELOG.md' };
    expect(releaseDescription({ notes, footer, forge: 'gitlab', links })).toBe(`### Fixed\n\n- A bug.\n\n---\n\n${footer}`);
  });

  it('closes a fence the entry left open, so the links below stay links', () => {
    const notes = { markdown: '- Example:\n\n```python\nprint(1)', file: 'CHANGELOG.md' };
    expect(releaseDescription({ notes, footer, forge: 'gitlab', links })).toBe(`- Example:\n\n\`\`\`python\nprint(1)\n\`\`\`\n\n---\n\n${footer}`);
  });

  it.each([
    ['github', 125_000],
    ['gitlab', 1_000_000],
  ] as const)('keeps a %s release within %d characters and says where the entry was cut', (forge, limit) => {
    expect(RELEASE_BODY_LIMITS[forge]).toBe(limit);
    const lines = Array.from({ length: 40_000 }, (_, i) => `- Change number ${i}, described at some length.`);
    const notes = { markdown: lines.join('\n'), file: 'docs/changes.rst' };
    const body = releaseDescription({ notes, footer, forge, links });
    // The GitHub adapter adds the files section below; it fits too.
    const room = forge === 'github' ? limit - 64 - 2 * links[0]!.name.length - 3 * links[0]!.url.length - 8 : limit;
    expect(body.length).toBeLessThanOrEqual(room);
    expect(body.length).toBeGreaterThan(room - 200);
    expect(body.startsWith('- Change number 0, described at some length.\n')).toBe(true);
    expect(body.endsWith(`\n\n---\n\n${footer}`)).toBe(true);
    const note = /\n\n\*pyrelease cut the changelog entry here, after line (\d+) of 40000: a (GitHub|GitLab) release holds at most ([\d,]+) characters\. The whole entry is in docs\\\/changes\\\.rst\.\*\n/.exec(body);
    expect(note?.[2]).toBe(forge === 'github' ? 'GitHub' : 'GitLab');
    expect(note?.[3]).toBe(limit.toLocaleString('en-US'));
    const shown = Number(note?.[1]);
    expect(body).toContain(`- Change number ${shown - 1}, described at some length.\n\n*pyrelease cut`);
    expect(body).not.toContain(`- Change number ${shown},`);
  });

  it('cuts a preformatted entry inside its code block and closes the block before the note', () => {
    const rst = entryMarkdown({ format: 'rst', heading: '1.2.0', line: 1, body: `.. note::\n\n${'   A long line of notes.\n'.repeat(10_000)}` });
    const body = releaseDescription({ notes: { markdown: rst, file: 'NEWS.rst' }, footer, forge: 'github', links });
    expect(body.startsWith('```rst\n.. note::\n')).toBe(true);
    expect(body).toMatch(/ {3}A long line of notes\.\n```\n\n\*pyrelease cut the changelog entry here, after line \d+ of 10005/);
    expect(body.length).toBeLessThanOrEqual(125_000);
  });
});

describe('cutNotes', () => {
  const note = (shown: number, total: number): string => `[cut ${shown}/${total}]`;
  it('keeps whole lines only', () => {
    expect(cutNotes('aaaa\nbbbb\ncccc\ndddd', 18, note)).toBe('aaaa\n\n[cut 1/4]');
    expect(cutNotes('aaaa\nbbbb\ncccc', 14, note)).toBe('aaaa\nbbbb\ncccc');
  });
  it('gives only the note when not one line fits, and nothing when not even the note does', () => {
    expect(cutNotes('a'.repeat(100), 20, note)).toBe('[cut 0/1]');
    expect(cutNotes('a'.repeat(100), 5, note)).toBe('');
  });
  it('closes an HTML comment left open at the cut', () => {
    expect(cutNotes('x\n<!--\nhidden\nmore hidden', 28, note)).toBe('x\n<!--\nhidden\n-->\n\n[cut 3/4]');
  });
});
