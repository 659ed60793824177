/**
 * reStructuredText inline markup to markdown, only where the result reads exactly the
 * same: ``literal`` -> a code span, *em*, **strong**, `text <https://…>`_ and references
 * to a `.. _name: https://…` target of the same entry -> links, standalone URLs ->
 * autolinks. Every other character that markdown would read as markup is
 * backslash-escaped (CommonMark shows an escaped ASCII punctuation character as itself).
 * Anything else (roles such as :func:`x`, default-role `text`, substitutions, footnotes,
 * plain `name`_ references without a target, backslashes) returns null: the caller then
 * shows the whole entry as preformatted text.
 *
 * The recognition rules are docutils' ("inline markup recognition rules"): a start-string
 * follows the start of text, whitespace or an opening punctuation character and is
 * followed by a non-space; an end-string follows a non-space and is followed by the end,
 * whitespace or punctuation. Scanned by hand, once, no regular expressions.
 */
const START_BEFORE = ' \t\'"([{<-/:\u2018\u201c\u2019\u00ab\u00a1\u00bf\u2010\u2011\u2012\u2013\u2014\u00a0';
const END_AFTER = ' \t\'")]}>-/:.,;!?\\\u2019\u201d\u00bb\u2010\u2011\u2012\u2013\u2014\u00a0';
const CLOSER: Readonly<Record<string, string>> = { "'": "'", '"': '"', '(': ')', '[': ']', '{': '}', '<': '>' };
/** Characters markdown (GitHub's and GitLab's) may read as markup anywhere in a line. */
const ESCAPED = '\\`*_[]<>&|~$';
const URL_BAD = '()<>[]`*"\'\\|{}';
const URL_TRAILING = '.,;:!?\'")]>';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\u00a0';
}

function isAlnum(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

function validStart(text: string, i: number, length: number): boolean {
  const prev = text[i - 1];
  const next = text[i + length];
  if (next === undefined || isSpace(next)) return false;
  if (prev === undefined) return true;
  if (!START_BEFORE.includes(prev)) return false;
  return CLOSER[prev] !== next;
}

function validEnd(text: string, j: number, length: number): boolean {
  const prev = text[j - 1];
  const after = text[j + length];
  if (prev === undefined || isSpace(prev)) return false;
  return after === undefined || END_AFTER.includes(after);
}

/** The first valid end-string `mark` at or after `from`, or -1. Each call scans forward once. */
function findEnd(text: string, mark: string, from: number): number {
  let j = text.indexOf(mark, from);
  while (j >= 0) {
    if (validEnd(text, j, mark.length) && text[j + mark.length] !== mark[0]) return j;
    j = text.indexOf(mark, j + 1);
  }
  return -1;
}

export function escapeMarkdown(text: string): string {
  let out = '';
  for (const c of text) out += ESCAPED.includes(c) ? `\\${c}` : c;
  return out;
}

function codeSpan(content: string): string {
  let longest = 0;
  let run = 0;
  for (const c of content) {
    run = c === '`' ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  const fence = '`'.repeat(longest + 1);
  const pad = content.startsWith('`') || content.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${content}${pad}${fence}`;
}

function safeUrl(url: string): boolean {
  if (!(url.startsWith('https://') || url.startsWith('http://') || url.startsWith('mailto:'))) return false;
  for (const c of url) if (isSpace(c) || URL_BAD.includes(c)) return false;
  return url.length > 8;
}

function link(label: string, url: string): string {
  return `[${escapeMarkdown(label)}](${url})`;
}

/** The name a reference or target is known by: case-folded, whitespace collapsed (docutils' normalisation). */
export function refName(name: string): string {
  return name.trim().split(/\s+/).join(' ').toLowerCase();
}

/** `` `content`_ `` (or `__`): a link, or null when it is not one we can show exactly. */
function phraseReference(content: string, targets: ReadonlyMap<string, string>): string | null {
  if (content.endsWith('>')) {
    const lt = content.lastIndexOf('<');
    if (lt < 0) return null;
    const url = content.slice(lt + 1, -1);
    const label = content.slice(0, lt).trim();
    if (lt > 0 && !isSpace(content[lt - 1])) return null;
    return safeUrl(url) ? link(label === '' ? url : label, url) : null;
  }
  const url = targets.get(refName(content));
  return url === undefined ? null : link(content, url);
}

/** A standalone URL at i: its markdown and where it ends, or null (then the caller gives up). */
function standaloneUrl(text: string, i: number): { out: string; next: number } | null {
  let j = i;
  while (j < text.length && !isSpace(text[j])) j++;
  while (j > i && URL_TRAILING.includes(text[j - 1] ?? '')) j--;
  const url = text.slice(i, j);
  return safeUrl(url) ? { out: `<${url}>`, next: j } : null;
}

/** One paragraph's text (lines joined with spaces) as markdown, or null. */
export function rstInline(text: string, targets: ReadonlyMap<string, string>): string | null {
  if (text.includes(']_') || text.includes('\\')) return null;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === '`') {
      if (text[i + 1] === '`') {
        if (!validStart(text, i, 2)) return null;
        const j = findEnd(text, '``', i + 3);
        if (j < 0) return null;
        out += codeSpan(text.slice(i + 2, j));
        i = j + 2;
        continue;
      }
      if (!validStart(text, i, 1) || text[i - 1] === ':') return null;
      const k = text.indexOf('`', i + 1);
      if (k < 0 || text[k + 1] !== '_' || isSpace(text[k - 1])) return null;
      const marks = text[k + 2] === '_' ? 3 : 2;
      if (!validEnd(text, k, marks)) return null;
      const linked = phraseReference(text.slice(i + 1, k), targets);
      if (linked === null) return null;
      out += linked;
      i = k + marks;
      continue;
    }
    if (c === '*') {
      const strong = text[i + 1] === '*';
      const mark = strong ? '**' : '*';
      if (!validStart(text, i, mark.length)) {
        out += strong ? '\\*\\*' : '\\*';
        i += mark.length;
        continue;
      }
      const j = findEnd(text, mark, i + mark.length + 1);
      if (j < 0) return null;
      out += `${mark}${escapeMarkdown(text.slice(i + mark.length, j))}${mark}`;
      i = j + mark.length;
      continue;
    }
    if (c === '_') {
      let r = i;
      while (text[r] === '_') r++;
      const after = text[r];
      if (after === '`') return null;
      // `name_` / `name__` is a reference; we show only references we can resolve exactly.
      if (r - i <= 2 && isAlnum(text[i - 1]) && (after === undefined || END_AFTER.includes(after))) return null;
      out += '\\_'.repeat(r - i);
      i = r;
      continue;
    }
    if (c === '|') {
      if (!isSpace(text[i + 1]) && text[i + 1] !== undefined) return null;
      out += '\\|';
      i++;
      continue;
    }
    if ((c === 'h' || c === 'm') && (i === 0 || START_BEFORE.includes(text[i - 1] ?? '')) && (text.startsWith('https://', i) || text.startsWith('http://', i) || text.startsWith('mailto:', i))) {
      const url = standaloneUrl(text, i);
      if (url === null) return null;
      out += url.out;
      i = url.next;
      continue;
    }
    out += ESCAPED.includes(c) ? `\\${c}` : c;
    i++;
  }
  return escapeLineStart(out);
}

/** What would start a block at the beginning of a markdown line is escaped: `# `, `-`, `+`, `=`, `>`, `1.`. */
export function escapeLineStart(line: string): string {
  const first = line[0];
  if (first === '-' || first === '+' || first === '=' || first === '>') return `\\${line}`;
  if (first === '#') {
    // Only `#` runs that make an ATX heading (`## x`, `#`), not an issue reference such as #3685.
    let h = 0;
    while (line[h] === '#') h++;
    return h <= 6 && (line[h] === undefined || line[h] === ' ' || line[h] === '\t') ? `\\${line}` : line;
  }
  let d = 0;
  while (d < line.length && d < 10 && line[d]! >= '0' && line[d]! <= '9') d++;
  if (d > 0 && (line[d] === '.' || line[d] === ')')) return `${line.slice(0, d)}\\${line.slice(d)}`;
  return line;
}
