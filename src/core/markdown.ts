import { stripControl, truncate } from './findings.js';

/**
 * Escaping for text that goes into a GitHub or GitLab comment. Both render CommonMark
 * plus extensions (tables, autolinks, mentions, issue references, emoji), so text from
 * a repository must be made inert: no HTML, no links, no mentions or references, no
 * table breakage, and nothing that could close our hidden marker comment.
 */

// Characters that start a mention or reference: GitHub @user and #123; GitLab also
// !123 (merge request), ~label, %milestone, $snippet, &epic and ^ (in some filters).
// Both forges look for them in the rendered text, where a backslash escape is already
// gone, so a zero-width space after the character is what breaks them.
const REFERENCE_CHARS = new Set(['@', '#', '!', '~', '%', '$', '^']);
const ZWSP = '&#8203;';
const ASCII_PUNCT = /[!-/:-@[-`{-~]/;

/**
 * Escapes prose for a markdown table cell or heading: HTML characters become entities,
 * every other ASCII punctuation character is backslash-escaped (CommonMark allows that
 * for all of them, and it also stops `www.` and `https:` autolinks and emoji
 * shortcodes), reference characters get a zero-width space, and line breaks and control
 * characters are gone.
 */
export function escapeText(text: string, max = 1000): string {
  let out = '';
  for (const ch of truncate(stripControl(text), max)) {
    if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '&') out += '&amp;' + ZWSP;
    else if (REFERENCE_CHARS.has(ch)) out += '\\' + ch + ZWSP;
    else if (ASCII_PUNCT.test(ch)) out += '\\' + ch;
    else out += ch;
  }
  return out;
}

/**
 * A code span inside a table cell. Inside a code span nothing is markdown, HTML, a
 * mention or a reference; only a backtick could end it (the caller passes text without
 * backticks, and any left are replaced) and only `|` could end the table cell (GFM
 * unescapes `\|` inside code spans in tables). A backslash is shown as U+FF3C: table
 * parsers differ on whether `\\|` is an escaped backslash before a cell break, and no
 * version or tag legitimately holds one.
 */
export function codeSpan(text: string, max = 120): string {
  const clean = truncate(stripControl(text).replace(/`/g, "'").replace(/\\/g, '\uff3c'), max).replace(/\|/g, '\\|');
  if (clean.trim() === '') return '\\(empty\\)';
  return '`' + clean + '`';
}

/**
 * Renders one of our messages: text between backticks is a repository value and
 * becomes a code span; the rest is escaped prose. An unpaired backtick stays prose.
 */
export function renderMessage(message: string, max = 1000): string {
  const text = truncate(message, max);
  const parts = text.split('`');
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const isCode = i % 2 === 1 && i < parts.length - 1;
    if (isCode) out += codeSpan(part);
    else out += (i % 2 === 1 ? '\\`' : '') + escapeText(part, max);
  }
  return out;
}

/** Plain text for a status line: our backticks dropped, control characters gone. */
export function plainText(message: string): string {
  return stripControl(message).replace(/`/g, '');
}
