import { codeSpan, escapeText } from './markdown.js';
import type { ReleaseForge } from './release-notes.js';

/** A merged change request as the release notes show it (the Platform's MergedChange, without its URL). */
export interface MergedChangeLine {
  readonly number: number;
  readonly title: string;
  readonly author: string | null;
}

/** How many merged change requests the fallback notes list at most. */
export const MERGED_CHANGES_LIMIT = 100;

// A GitLab username or GitHub login as the forges allow them (letters, digits, `_`, `.`,
// `-`; not ending in `.`): shown as a mention. Anything else (a bot's `name[bot]`) is
// escaped text, so it can neither mention nor link.
const USERNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

function author(name: string | null): string {
  if (name === null || name === '') return '';
  return USERNAME.test(name) && !name.endsWith('.') ? `, @${name}` : `, ${escapeText(name, 255)}`;
}

/**
 * The release notes of a version without a changelog entry: a line that says so and
 * names the previous release tag, then one line per merged change request, newest
 * first: `- Title (!12, @author)` on GitLab, `- Title (#12, @author)` on GitHub (the
 * forge links the reference). Titles are escaped prose; a cut list says so at its end.
 */
export function mergedChangesMarkdown(input: {
  readonly version: string;
  readonly previousTag: string;
  readonly changes: readonly MergedChangeLine[];
  readonly complete: boolean;
  readonly forge: ReleaseForge;
}): string {
  const what = input.forge === 'github' ? 'pull requests' : 'merge requests';
  const ref = input.forge === 'github' ? '#' : '!';
  const head = `No changelog entry was found for ${escapeText(input.version, 100)}, so these are the ${what} merged since ${codeSpan(input.previousTag, 255)}:`;
  const lines = input.changes.map((c) => `- ${escapeText(c.title, 500)} (${ref}${c.number}${author(c.author)})`);
  const cut = input.complete ? [] : ['', `*pyrelease lists at most ${MERGED_CHANGES_LIMIT} ${what}, found through the newest 100 commits since ${codeSpan(input.previousTag, 255)}: older ones are left out.*`];
  return [head, '', ...lines, ...cut].join('\n');
}
