// Reads the file links out of a PEP 503 project page: every <a> with an href; the
// anchor text is the file name ("the text of the anchor tag MUST match the final path
// component"), the URL fragment may carry `<hashname>=<hexdigest>`. A tolerant
// tokenizer, not an HTML parser: simple pages are machine-written and flat.

export interface HtmlLink {
  readonly text: string;
  readonly href: string;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the character references simple pages use: the XML five, nbsp and numeric ones. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
    }
    return NAMED[ref] ?? whole;
  });
}

function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;
  for (const m of tag.matchAll(re)) {
    const name = (m[1] ?? '').toLowerCase();
    if (!out.has(name)) out.set(name, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return out;
}

export function parseSimpleHtml(html: string): HtmlLink[] {
  const links: HtmlLink[] = [];
  // Comments and scripts could hide or fake anchors.
  const clean = html.replace(/<!--[\s\S]*?-->/g, '').replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, '');
  const re = /<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi;
  for (const m of clean.matchAll(re)) {
    const href = attributes(m[1] ?? '').get('href');
    if (href === undefined) continue;
    const text = decodeEntities((m[2] ?? '').replace(/<[^>]*>/g, '')).trim();
    links.push({ text, href });
  }
  return links;
}
