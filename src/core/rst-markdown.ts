import { adornmentOf } from './changelog-headings.js';
import { escapeLineStart, refName, rstInline } from './rst-inline.js';

/**
 * A reStructuredText changelog entry shown in the forge's markdown. Converted only when
 * every block is one whose conversion is exact: paragraphs, bullet lists (nested too),
 * section titles (as `###` and below), hyperlink targets (`.. _name: https://…`, used by
 * the entry's references and otherwise invisible) and comments. Anything else
 * (directives, literal blocks, block quotes, definition, field, enumerated or option
 * lists, tables, transitions) and any inline markup rst-inline.ts cannot show exactly
 * makes the whole entry a fenced code block holding the entry byte for byte.
 */
export type RstMarkdown = { readonly kind: 'converted' | 'preformatted'; readonly markdown: string };

const ADORNMENT_CHARS = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const BULLETS = '-*+';
/** Deeper nesting than this is shown preformatted rather than converted recursively. */
const MAX_DEPTH = 8;

class Unconvertible extends Error {}

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && line[i] === ' ') i++;
  return i;
}

const blank = (line: string | undefined): boolean => line === undefined || line.trim() === '';

/** The entry as a fenced code block: a fence longer than any backtick run inside, so nothing can close it early. */
export function preformatted(entry: string): string {
  let longest = 0;
  let run = 0;
  for (const c of entry) {
    run = c === '`' ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}rst\n${entry}\n${fence}`;
}

interface Context {
  readonly targets: Map<string, string>;
  /** Section styles in order of appearance inside the entry. */
  readonly styles: string[];
}

function inline(text: string, ctx: Context): string {
  const out = rstInline(text, ctx.targets);
  if (out === null) throw new Unconvertible();
  return out;
}

/** `1.`, `(a)`, `iv)`, `#.`: an enumerated list item's start (arabic, one letter, roman, auto). */
function isEnumerated(text: string): boolean {
  let i = text[0] === '(' ? 1 : 0;
  const start = i;
  while (i < text.length && i - start < 10 && /[0-9]/.test(text[i] ?? '')) i++;
  if (i === start) {
    while (i < text.length && i - start < 10 && /[ivxlcdmIVXLCDM]/.test(text[i] ?? '')) i++;
    if (i === start && /[A-Za-z#]/.test(text[i] ?? '')) i++;
  }
  return i > start && (text[i] === '.' || text[i] === ')') && (text[i + 1] === ' ' || text[i + 1] === undefined);
}

/** Explicit markup: a target (recorded), an anchor or a comment (dropped); anything else is unconvertible. Returns the next line. */
function explicit(lines: readonly string[], i: number, ctx: Context): number {
  const text = (lines[i] ?? '').trim();
  let next = i + 1;
  while (next < lines.length && (blank(lines[next]) ? !blank(lines[next + 1]) && indentOf(lines[next + 1] ?? '') > 0 : indentOf(lines[next] ?? '') > 0)) next++;
  const body = text.slice(3);
  if (body.startsWith('_')) {
    const colon = body.indexOf(': ');
    if (body.endsWith(':') && colon < 0 && next === i + 1) return next; // an anchor: `.. _v38-0-4:`
    if (colon < 0 || next !== i + 1) throw new Unconvertible();
    let name = body.slice(1, colon);
    if (name.startsWith('`') && name.endsWith('`')) name = name.slice(1, -1);
    const url = body.slice(colon + 2).trim();
    if (!/^(https?:\/\/|mailto:)\S+$/.test(url) || url.length > 2000) throw new Unconvertible();
    ctx.targets.set(refName(name), url);
    return next;
  }
  if (body.startsWith('[') || body.startsWith('|') || body.includes('::')) throw new Unconvertible();
  return next; // a comment: never shown
}

/** Targets first, so that a reference above its target resolves. */
function collectTargets(lines: readonly string[], ctx: Context): void {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (indentOf(line) === 0 && line.startsWith('.. _')) explicit(lines, i, ctx);
  }
}

function heading(title: string, style: string, ctx: Context): string {
  let at = ctx.styles.indexOf(style);
  if (at < 0) at = ctx.styles.push(style) - 1;
  const level = Math.min(6, 3 + at);
  let text = inline(title, ctx);
  if (text.endsWith('#')) text = `${text.slice(0, -1)}\\#`;
  return `${'#'.repeat(level)} ${text}`;
}

interface Block {
  readonly text: string;
}

/** Blocks of lines all indented at least `base` (already stripped of it). */
function blocks(lines: readonly string[], ctx: Context, depth: number, top: boolean): Block[] {
  if (depth > MAX_DEPTH) throw new Unconvertible();
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (blank(line)) {
      i++;
      continue;
    }
    if (line.includes('\t') || indentOf(line) > 0) throw new Unconvertible();
    const next = lines[i + 1];
    if (line.startsWith('..') && (line.length === 2 || line[2] === ' ')) {
      i = explicit(lines, i, ctx);
      continue;
    }
    const bullet = line[0] ?? '';
    if (BULLETS.includes(bullet) && (line[1] === ' ' || line.length === 1)) {
      const list = bulletList(lines, i, ctx, depth);
      out.push(...list.items);
      i = list.next;
      continue;
    }
    if (adornmentOf(line, ADORNMENT_CHARS, 1) !== null) {
      // An overlined title inside an entry, or a transition: shown preformatted.
      throw new Unconvertible();
    }
    const under = next === undefined ? null : adornmentOf(next, ADORNMENT_CHARS, line.trimEnd().length);
    if (under !== null && indentOf(next ?? '') === 0) {
      if (!top) throw new Unconvertible();
      out.push({ text: heading(line.trim(), under, ctx) });
      i += 2;
      continue;
    }
    i = paragraph(lines, i, ctx, out);
  }
  return out;
}

function paragraph(lines: readonly string[], i: number, ctx: Context, out: Block[]): number {
  const first = (lines[i] ?? '').trim();
  if (isEnumerated(first) || first.startsWith(':') || first.startsWith('|') || first.startsWith('>>>') || (first.startsWith('-') && first[1] !== ' ')) throw new Unconvertible();
  if (first.startsWith('+') && first.includes('-')) throw new Unconvertible(); // a grid table
  const parts: string[] = [];
  let j = i;
  while (j < lines.length && !blank(lines[j])) {
    const l = lines[j] ?? '';
    // A more-indented line makes a definition list or a block quote; an adornment, a title or a table.
    if (indentOf(l) !== 0 || (j > i && adornmentOf(l, ADORNMENT_CHARS, 1) !== null)) throw new Unconvertible();
    parts.push(l.trim());
    j++;
  }
  const text = parts.join(' ');
  // `::` at the end introduces a literal block.
  if (text.endsWith('::')) throw new Unconvertible();
  out.push({ text: escapeLineStart(inline(text, ctx)) });
  return j;
}

function bulletList(lines: readonly string[], start: number, ctx: Context, depth: number): { items: Block[]; next: number } {
  const items: Block[] = [];
  const bullet = (lines[start] ?? '')[0] ?? '-';
  const isItem = (l: string | undefined): boolean => l !== undefined && l[0] === bullet && (l[1] === ' ' || l.length === 1);
  let i = start;
  for (;;) {
    const line = lines[i] ?? '';
    let col = 1;
    while (line[col] === ' ') col++;
    if (col >= line.length) throw new Unconvertible(); // an empty item
    const body = [line.slice(col)];
    let j = i + 1;
    while (j < lines.length) {
      const l = lines[j] ?? '';
      if (blank(l)) {
        let k = j;
        while (k < lines.length && blank(lines[k])) k++;
        if (k >= lines.length || indentOf(lines[k] ?? '') < col) break;
        for (; j < k; j++) body.push('');
        continue;
      }
      const indent = indentOf(l);
      if (indent === 0) break;
      if (indent < col) throw new Unconvertible();
      body.push(l.slice(col));
      j++;
    }
    const inner = blocks(body, ctx, depth + 1, false);
    const text = inner.map((b) => b.text).join('\n\n').split('\n').map((l, n) => (n === 0 || l === '' ? l : `  ${l}`)).join('\n');
    items.push({ text: `${bullet} ${text}` });
    let k = j;
    while (k < lines.length && blank(lines[k])) k++;
    if (isItem(lines[k])) {
      i = k;
      continue;
    }
    // A list must end with a blank line (docutils warns otherwise): no guessing.
    if (k === j && k < lines.length) throw new Unconvertible();
    return { items: [joinList(items)], next: k };
  }
}

/** A tight list when each item is one line; otherwise items apart by a blank line. */
function joinList(items: readonly Block[]): Block {
  const tight = items.every((it) => !it.text.includes('\n'));
  return { text: items.map((it) => it.text).join(tight ? '\n' : '\n\n') };
}

export function rstToMarkdown(entry: string): RstMarkdown {
  try {
    const lines = entry.split('\n');
    const ctx: Context = { targets: new Map(), styles: [] };
    collectTargets(lines, ctx);
    const out = blocks(lines, ctx, 0, true);
    if (out.length === 0) return { kind: 'preformatted', markdown: preformatted(entry) };
    return { kind: 'converted', markdown: out.map((b) => b.text).join('\n\n') };
  } catch {
    return { kind: 'preformatted', markdown: preformatted(entry) };
  }
}
