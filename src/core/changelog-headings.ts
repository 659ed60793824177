/**
 * The headings of a changelog, markdown or reStructuredText, found line by line with no
 * regular expression (a changelog comes from the repository: nothing here may backtrack
 * on hostile text). Markdown: ATX headings (`## 1.2.0`) and setext underlines (`===`,
 * `---`), skipping fenced code and HTML comments. reStructuredText: section titles
 * underlined, or over- and underlined, with any adornment character; their levels are
 * the order in which each style first appears, as docutils ranks them.
 */
export type ChangelogFormat = 'markdown' | 'rst';

export interface Heading {
  /** First line of the heading (the overline, when there is one), 0-based. */
  readonly start: number;
  /** The line after the heading's last line. */
  readonly end: number;
  /** The title line's text, trimmed, ATX markers removed. */
  readonly title: string;
  /** Lower is higher: the entry under a heading ends at the next heading of rank <= its own. */
  readonly rank: number;
  /** The underline character of a setext or RST title, null for ATX. */
  readonly adornment: string | null;
}

/** Longer lines are never taken for headings (a version heading is short). */
export const MAX_HEADING_LINE = 300;

const ADORNMENT_CHARS = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && line[i] === ' ') i++;
  return i;
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) if (line[i] !== ' ' && line[i] !== '\t') return false;
  return true;
}

/** The character of a line made of one repeated punctuation character (3 or more, or at least minLength), else null. */
export function adornmentOf(line: string, allowed: string, minLength: number): string | null {
  const text = line.trimEnd();
  const first = text[0];
  if (first === undefined || !allowed.includes(first)) return null;
  for (let i = 1; i < text.length; i++) if (text[i] !== first) return null;
  return text.length >= Math.min(3, minLength) ? first : null;
}

/** `## Title ##` -> level and `Title`; null when the line is no ATX heading. */
export function atxHeading(line: string): { level: number; title: string } | null {
  if (line.length > MAX_HEADING_LINE) return null;
  const indent = indentOf(line);
  if (indent > 3) return null;
  let i = indent;
  while (i < line.length && line[i] === '#') i++;
  const level = i - indent;
  if (level < 1 || level > 6) return null;
  if (i < line.length && line[i] !== ' ' && line[i] !== '\t') return null;
  let title = line.slice(i).trim();
  // An optional closing sequence of #s, preceded by a space.
  let j = title.length;
  while (j > 0 && title[j - 1] === '#') j--;
  if (j === 0) title = '';
  else if (j < title.length && (title[j - 1] === ' ' || title[j - 1] === '\t')) title = title.slice(0, j).trimEnd();
  return { level, title };
}

function isListItem(text: string): boolean {
  const c = text[0];
  if ((c === '-' || c === '*' || c === '+') && (text.length === 1 || text[1] === ' ' || text[1] === '\t')) return true;
  let i = 0;
  while (i < text.length && i < 10 && text[i]! >= '0' && text[i]! <= '9') i++;
  return i > 0 && (text[i] === '.' || text[i] === ')') && (i + 1 === text.length || text[i + 1] === ' ');
}

/** A fence opener or closer: its character and length, or null. */
function fenceOf(line: string): { char: string; length: number; rest: string } | null {
  const indent = indentOf(line);
  if (indent > 3) return null;
  const char = line[indent];
  if (char !== '`' && char !== '~') return null;
  let i = indent;
  while (i < line.length && line[i] === char) i++;
  const length = i - indent;
  return length >= 3 ? { char, length, rest: line.slice(i) } : null;
}

/** Tracks fenced code and HTML comments in markdown, line by line. */
export class MarkdownBlocks {
  private fence: { char: string; length: number } | null = null;
  private comment = false;

  /** Feeds one line; true when the line is inside (or opens or closes) code or a comment. */
  feed(line: string): boolean {
    if (this.fence !== null) {
      const f = fenceOf(line);
      if (f !== null && f.char === this.fence.char && f.length >= this.fence.length && isBlank(f.rest)) this.fence = null;
      return true;
    }
    if (this.comment) {
      if (line.includes('-->')) this.comment = false;
      return true;
    }
    const f = fenceOf(line);
    if (f !== null && !(f.char === '`' && f.rest.includes('`'))) {
      this.fence = { char: f.char, length: f.length };
      return true;
    }
    const trimmed = line.trimStart();
    if (trimmed.startsWith('<!--') && indentOf(line) <= 3) {
      this.comment = !trimmed.slice(4).includes('-->');
      return true;
    }
    return false;
  }

  /** What closes whatever is open after the lines fed so far ('' when nothing is). */
  closing(): string {
    if (this.fence !== null) return this.fence.char.repeat(this.fence.length);
    return this.comment ? '-->' : '';
  }
}

function markdownHeadings(lines: readonly string[]): Heading[] {
  const out: Heading[] = [];
  const blocks = new MarkdownBlocks();
  let previousBlank = true;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (blocks.feed(line)) {
      previousBlank = false;
      continue;
    }
    const atx = atxHeading(line);
    if (atx !== null) {
      out.push({ start: i, end: i + 1, title: atx.title, rank: atx.level, adornment: null });
      previousBlank = true;
      continue;
    }
    const next = lines[i + 1];
    const text = line.trim();
    if (next !== undefined && previousBlank && text !== '' && indentOf(line) <= 3 && line.length <= MAX_HEADING_LINE && !isListItem(text) && !text.startsWith('>') && indentOf(next) <= 3) {
      const mark = adornmentOf(next.trim(), '=-', text.length);
      if (mark !== null && adornmentOf(text, ADORNMENT_CHARS, 1) === null) {
        out.push({ start: i, end: i + 2, title: text, rank: mark === '=' ? 1 : 2, adornment: mark });
        i++;
        previousBlank = true;
        continue;
      }
    }
    previousBlank = isBlank(line);
  }
  return out;
}

function rstHeadings(lines: readonly string[]): Heading[] {
  const out: Heading[] = [];
  const styles: string[] = [];
  const rankOf = (style: string): number => {
    let at = styles.indexOf(style);
    if (at < 0) at = styles.push(style) - 1;
    return at + 1;
  };
  let previousBlank = true;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const next = lines[i + 1];
    const after = lines[i + 2];
    if (line.length > MAX_HEADING_LINE || next === undefined) {
      previousBlank = isBlank(line);
      continue;
    }
    const over = previousBlank ? adornmentOf(line, ADORNMENT_CHARS, 3) : null;
    if (over !== null && after !== undefined && !isBlank(next) && next.length <= MAX_HEADING_LINE && adornmentOf(next.trim(), ADORNMENT_CHARS, 1) === null) {
      const under = adornmentOf(after, ADORNMENT_CHARS, 3);
      if (under === over && after.trimEnd().length === line.trimEnd().length) {
        out.push({ start: i, end: i + 3, title: next.trim(), rank: rankOf(`over${over}`), adornment: over });
        i += 2;
        previousBlank = true;
        continue;
      }
    }
    const text = line.trimEnd();
    if (previousBlank && text !== '' && indentOf(line) === 0 && !isListItem(text) && adornmentOf(text, ADORNMENT_CHARS, 1) === null) {
      const under = adornmentOf(next, ADORNMENT_CHARS, text.length);
      if (under !== null && indentOf(next) === 0) {
        out.push({ start: i, end: i + 2, title: text.trim(), rank: rankOf(`under${under}`), adornment: under });
        i++;
        previousBlank = true;
        continue;
      }
    }
    previousBlank = isBlank(line);
  }
  return out;
}

export function findHeadings(lines: readonly string[], format: ChangelogFormat): Heading[] {
  return format === 'markdown' ? markdownHeadings(lines) : rstHeadings(lines);
}
