import { findHeadings } from './changelog-headings.js';
import type { ChangelogFormat, Heading } from './changelog-headings.js';
import { headingVersion } from './changelog-version.js';
import { parseVersion, versionsEqual } from './pep440.js';

export type { ChangelogFormat } from './changelog-headings.js';

/**
 * One version's entry in a changelog: Keep a Changelog, towncrier's markdown and
 * reStructuredText, and plain headings with underlines. Versions match by PEP 440
 * equality (`1.2` is `1.2.0`, `v1.2.0` is `1.2.0`). The first heading that names the
 * version wins; its entry runs to the next heading of the same or a higher level.
 *
 * Bounded: only the first MAX_CHANGELOG_CHARS characters are scanned (a release's entry
 * sits at the top; a changelog can be megabytes), lines are cut by hand, and the few
 * regular expressions run on single short lines without nested quantifiers. Never
 * throws: anything unexpected is "no entry".
 */
export const MAX_CHANGELOG_CHARS = 1_048_576;
/** Link reference definitions looked at, and appended, at most. */
const MAX_DEFINITIONS = 2000;
const MAX_APPENDED = 200;

export interface ChangelogEntry {
  readonly format: ChangelogFormat;
  /** The heading's title as written, e.g. `[1.2.0] - 2026-01-01`. */
  readonly heading: string;
  /** 1-based line of the heading in the file. */
  readonly line: number;
  /**
   * The entry without its heading, blank lines around it trimmed, line endings `\n`.
   * Markdown: with the link reference definitions it uses that sit elsewhere in the file
   * (Keep a Changelog keeps them at the bottom) appended.
   */
  readonly body: string;
}

export interface VersionHeading {
  readonly title: string;
  /** The version as the heading spells it. */
  readonly version: string;
  readonly line: number;
  /** The underline character (setext or RST), null for `##` headings. */
  readonly adornment: string | null;
  readonly level: number;
}

function extensionOf(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1).toLowerCase();
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1);
}

/** By extension; a file without one (`CHANGES`, `NEWS`) is markdown when it has `#` headings early on. */
export function changelogFormat(fileName: string, lines: readonly string[]): ChangelogFormat {
  const ext = extensionOf(fileName);
  if (ext === 'md' || ext === 'markdown' || ext === 'mdown') return 'markdown';
  if (ext === 'rst' || ext === 'rest' || ext === 'txt') return 'rst';
  for (let i = 0; i < Math.min(lines.length, 200); i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('#')) {
      let j = 0;
      while (line[j] === '#') j++;
      if (j <= 6 && line[j] === ' ') return 'markdown';
    }
  }
  return 'rst';
}

export function changelogLines(text: string): string[] {
  let t = text.length > MAX_CHANGELOG_CHARS ? text.slice(0, MAX_CHANGELOG_CHARS) : text;
  if (t.charCodeAt(0) === 0xfeff) t = t.slice(1);
  const lines = t.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? '';
    if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
  }
  // A cut in the middle of the last line leaves half a line: drop it.
  if (text.length > MAX_CHANGELOG_CHARS) lines.pop();
  return lines;
}

function trimBlank(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && (lines[a] ?? '').trim() === '') a++;
  while (b > a && (lines[b - 1] ?? '').trim() === '') b--;
  return lines.slice(a, b);
}

/** `[label]: url` at the start of a line, or null. */
function definitionLabel(line: string): string | null {
  const indent = line.length - line.trimStart().length;
  if (indent > 3 || line.length > 2000) return null;
  const t = line.trimStart();
  if (!t.startsWith('[')) return null;
  const close = t.indexOf(']:');
  if (close <= 1 || close > 200 || t.slice(1, close).includes('[')) return null;
  return t.slice(close + 2).trim() === '' ? null : t.slice(1, close).toLowerCase();
}

/** Every `[text]` in the lines (text up to 200 characters), lower-cased: one pass, no search per label. */
function bracketed(lines: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const line of lines) {
    let open = -1;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '[') open = i;
      else if (c === ']' && open >= 0) {
        if (i - open <= 201) out.add(line.slice(open + 1, i).toLowerCase());
        open = -1;
      }
    }
  }
  return out;
}

/** Lines of `body` with trailing link definitions dropped; the used definitions found elsewhere appended. */
function withDefinitions(all: readonly string[], body: string[]): string[] {
  while (body.length > 0) {
    const last = body[body.length - 1] ?? '';
    if (last.trim() !== '' && definitionLabel(last) === null) break;
    body.pop();
  }
  const own = new Set(body.map(definitionLabel).filter((l): l is string => l !== null));
  const used = bracketed(body);
  const extra: string[] = [];
  let seen = 0;
  for (let i = 0; i < all.length && seen < MAX_DEFINITIONS && extra.length < MAX_APPENDED; i++) {
    const line = all[i] ?? '';
    const label = definitionLabel(line);
    if (label === null) continue;
    seen++;
    if (own.has(label) || !used.has(label)) continue;
    own.add(label);
    extra.push(line.trim());
  }
  return extra.length === 0 ? body : [...body, '', ...extra];
}

/** Headings that name a version, in file order. */
export function versionHeadings(text: string, fileName: string): VersionHeading[] {
  try {
    const lines = changelogLines(text);
    const format = changelogFormat(fileName, lines);
    const out: VersionHeading[] = [];
    for (const h of findHeadings(lines, format)) {
      const v = headingVersion(h.title);
      if (v !== null) out.push({ title: h.title, version: v.text, line: h.start + (h.end - h.start === 3 ? 2 : 1), adornment: h.adornment, level: h.rank });
    }
    return out;
  } catch {
    return [];
  }
}

function entryEnd(headings: readonly Heading[], at: number, lineCount: number): number {
  const own = headings[at];
  for (let k = at + 1; k < headings.length; k++) {
    const h = headings[k];
    if (h !== undefined && own !== undefined && h.rank <= own.rank) return h.start;
  }
  return lineCount;
}

/** The entry for `version` in a changelog's text, or null when there is none. */
export function changelogEntry(text: string, fileName: string, version: string): ChangelogEntry | null {
  try {
    const wanted = parseVersion(version);
    if (wanted === null) return null;
    const lines = changelogLines(text);
    const format = changelogFormat(fileName, lines);
    const headings = findHeadings(lines, format);
    for (let k = 0; k < headings.length; k++) {
      const h = headings[k];
      if (h === undefined) continue;
      const named = headingVersion(h.title);
      if (named === null || !versionsEqual(named.version, wanted)) continue;
      const end = entryEnd(headings, k, lines.length);
      let body = trimBlank(lines.slice(h.end, end));
      if (format === 'markdown') body = trimBlank(withDefinitions(lines, body));
      else body = trimBlank(dropTrailingLabels(body));
      const titleLine = h.end - h.start === 3 ? h.start + 1 : h.start;
      return { format, heading: h.title, line: titleLine + 1, body: body.join('\n') };
    }
    return null;
  } catch {
    return null;
  }
}

/** `.. _v38-0-4:` before the next version's heading belongs to that heading, not to this entry. */
function dropTrailingLabels(body: string[]): string[] {
  const out = [...body];
  for (;;) {
    const last = (out[out.length - 1] ?? '').trim();
    if (last === '' && out.length > 0) {
      out.pop();
      continue;
    }
    if (last.startsWith('.. _') && last.endsWith(':') && !last.includes(' ', 4)) {
      out.pop();
      continue;
    }
    return out;
  }
}
