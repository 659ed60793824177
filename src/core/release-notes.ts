import { MarkdownBlocks } from './changelog-headings.js';
import type { ChangelogEntry } from './changelog-entry.js';
import { escapeText } from './markdown.js';
import { rstToMarkdown } from './rst-markdown.js';

/**
 * The forge release's description: the changelog entry for the version, then the text
 * pyrelease writes today (the links to the published files and the files table), kept
 * within the forge's size limit. Without an entry the notes list the change requests
 * merged since the previous release tag (merged-changes-notes.ts); with neither, the
 * description is today's text, unchanged.
 */
export type ReleaseForge = 'github' | 'gitlab';

/**
 * The most a release description may hold, in characters.
 * - GitHub: 125,000. A longer release body is refused with 422 "body is too long
 *   (maximum is 125000 characters)"; the REST docs (rest/releases/releases, "Create a
 *   release") give no number, the API's validation message does. The GitHub adapter
 *   already cuts at it (platforms/github/github-releases.ts).
 * - GitLab: 1,000,000. gitlabhq app/models/release.rb validates `description` with
 *   `length: { maximum: Gitlab::Database::MAX_TEXT_SIZE_LIMIT }`, and
 *   lib/gitlab/database.rb sets MAX_TEXT_SIZE_LIMIT = 1_000_000 (doc/api/releases gives
 *   no number).
 * Both count characters; a JavaScript length counts UTF-16 code units, never fewer, so
 * a description within the limit here is within it there.
 */
export const RELEASE_BODY_LIMITS: Readonly<Record<ReleaseForge, number>> = { github: 125_000, gitlab: 1_000_000 };

export interface ReleaseNotes {
  /** The entry as markdown (converted or preformatted reStructuredText, or markdown as written). */
  readonly markdown: string;
  /** The changelog's path in the repository, for the note that says where the whole entry is; null: the notes list merged change requests. */
  readonly file: string | null;
}

export function entryMarkdown(entry: ChangelogEntry): string {
  return entry.format === 'markdown' ? entry.body : rstToMarkdown(entry.body).markdown;
}

const SEPARATOR = '\n\n---\n\n';

/** 125000 -> "125,000", without Intl. */
function thousands(n: number): string {
  const digits = String(n);
  let out = '';
  for (let i = 0; i < digits.length; i++) out += (i > 0 && (digits.length - i) % 3 === 0 ? ',' : '') + digits[i];
  return out;
}

/**
 * What the GitHub adapter adds below the description (github-releases.ts: a marker, a
 * `### Files` heading and one escaped link per line). Counted high: escaping at most
 * doubles a name and triples a URL.
 */
function githubFilesAllowance(links: ReadonlyArray<{ readonly name: string; readonly url: string }>): number {
  return links.length === 0 ? 0 : 64 + links.reduce((sum, l) => sum + 2 * l.name.length + 3 * l.url.length + 8, 0);
}

/** `text` cut at a line boundary to at most `room` characters, with what was left open closed and a note at the cut; '' when nothing fits. */
export function cutNotes(text: string, room: number, note: (shown: number, total: number) => string): string {
  const lines = text.split('\n');
  const blocks = new MarkdownBlocks();
  const closeAll = (b: MarkdownBlocks): string => (b.closing() === '' ? '' : `\n${b.closing()}`);
  let length = 0;
  let best: { count: number; length: number; closing: string } = { count: 0, length: 0, closing: '' };
  const fits = (kept: number, closing: string, shown: number): boolean => kept + closing.length + 2 + note(shown, lines.length).length <= room;
  for (let i = 0; i < lines.length; i++) {
    length += (i === 0 ? 0 : 1) + (lines[i] ?? '').length;
    blocks.feed(lines[i] ?? '');
    const closing = closeAll(blocks);
    if (length + closing.length > room) break;
    if (i === lines.length - 1) return `${text}${closing}`;
    if (fits(length, closing, i + 1)) best = { count: i + 1, length, closing };
  }
  const shown = lines.slice(0, best.count).join('\n');
  const cutNote = note(best.count, lines.length);
  if (cutNote.length > room) return '';
  return best.count === 0 ? cutNote : `${shown}${best.closing}\n\n${cutNote}`;
}

/** The release description: the notes above today's text, within the forge's limit. */
export function releaseDescription(input: {
  readonly notes: ReleaseNotes | null;
  /** Today's description: "Released X with pyrelease.", the links, the files table. */
  readonly footer: string;
  readonly forge: ReleaseForge;
  readonly links: ReadonlyArray<{ readonly name: string; readonly url: string }>;
}): string {
  const { notes, footer, forge } = input;
  if (notes === null || notes.markdown.trim() === '') return footer;
  const limit = RELEASE_BODY_LIMITS[forge] - (forge === 'github' ? githubFilesAllowance(input.links) : 0);
  const room = limit - footer.length - SEPARATOR.length;
  const where = forge === 'github' ? 'a GitHub release' : 'a GitLab release';
  const what = notes.file === null ? 'list' : 'changelog entry';
  const rest = notes.file === null ? 'The rest of the list is left out.' : `The whole entry is in ${escapeText(notes.file, 255)}.`;
  const note = (shown: number, total: number): string =>
    `*pyrelease cut the ${what} here, after line ${shown} of ${total}: ${where} holds at most ${thousands(RELEASE_BODY_LIMITS[forge])} characters. ${rest}*`;
  const shown = room <= 0 ? '' : cutNotes(notes.markdown, room, note);
  return shown === '' ? footer : `${shown}${SEPARATOR}${footer}`;
}
