// The simple repository API pages of the fake index: PEP 503 HTML and PEP 691 JSON
// (api-version 1.1 with PEP 700's `versions` and `size`), as pypi.org's warehouse and
// GitLab's SimplePackageVersions(Json)Presenter serve them.
import type { IndexFlavour } from './fake-index-rules.js';

export const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
const JSON_LATEST = 'application/vnd.pypi.simple.latest+json';
const HTML_TYPE = 'application/vnd.pypi.simple.v1+html';
const HTML_LATEST = 'application/vnd.pypi.simple.latest+html';

export interface SimpleFile {
  readonly filename: string;
  readonly url: string;
  readonly sha256: string;
  readonly size: number;
  readonly version: string;
  readonly requiresPython: string | null;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };

/** Python's html.escape(quote=True), which warehouse's templates and GitLab's presenters amount to. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/**
 * Which representation to send. pypi (PEP 691 "Version + Format Selection"): the
 * highest q wins, ties go to the server's preference (JSON first), nothing acceptable
 * is a 406. gitlab (pypi_packages.rb json_format_requested?): JSON when any Accept
 * entry starts with the JSON type, q values ignored; HTML otherwise.
 */
export function negotiate(flavour: IndexFlavour, accept: string | undefined): { type: string; json: boolean } | null {
  const entries = (accept ?? '').split(',').map((part) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    return { type: type.toLowerCase(), q: q === undefined ? 1 : Number(q.slice(2)) };
  });
  if (flavour === 'gitlab') {
    return entries.some((e) => e.type.startsWith(JSON_TYPE) || e.type.startsWith(JSON_LATEST))
      ? { type: `${JSON_TYPE}; charset=utf-8`, json: true }
      : { type: 'text/html; charset=utf-8', json: false };
  }
  if (accept === undefined || accept.trim() === '') return { type: 'text/html', json: false };
  const offers: Array<{ type: string; json: boolean; matches: (t: string) => boolean }> = [
    { type: JSON_TYPE, json: true, matches: (t) => t === JSON_TYPE || t === JSON_LATEST },
    { type: HTML_TYPE, json: false, matches: (t) => t === HTML_TYPE || t === HTML_LATEST },
    { type: 'text/html', json: false, matches: (t) => t === 'text/html' || t === 'text/*' || t === '*/*' },
  ];
  let best: { type: string; json: boolean; q: number } | null = null;
  for (const offer of offers) {
    const q = Math.max(0, ...entries.filter((e) => offer.matches(e.type)).map((e) => (Number.isFinite(e.q) ? e.q : 0)));
    if (q > 0 && (best === null || q > best.q)) best = { type: offer.type, json: offer.json, q };
  }
  return best;
}

export function projectListHtml(names: readonly string[]): string {
  const links = names.map((n) => `    <a href="${escapeHtml(n)}/">${escapeHtml(n)}</a>`).join('\n');
  return `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="1.1">\n    <title>Simple index</title>\n  </head>\n  <body>\n${links}\n  </body>\n</html>\n`;
}

export function projectListJson(names: readonly string[]): string {
  return JSON.stringify({ meta: { 'api-version': '1.1' }, projects: names.map((name) => ({ name })) });
}

export function projectPageHtml(name: string, files: readonly SimpleFile[]): string {
  const links = files
    .map((f) => {
      const requires = f.requiresPython === null ? '' : ` data-requires-python="${escapeHtml(f.requiresPython)}"`;
      return `    <a href="${escapeHtml(`${f.url}#sha256=${f.sha256}`)}"${requires}>${escapeHtml(f.filename)}</a><br />`;
    })
    .join('\n');
  const title = `Links for ${escapeHtml(name)}`;
  return `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="1.1">\n    <title>${title}</title>\n  </head>\n  <body>\n    <h1>${title}</h1>\n${links}\n  </body>\n</html>\n`;
}

export function projectPageJson(name: string, files: readonly SimpleFile[]): string {
  const versions = [...new Set(files.map((f) => f.version))];
  return JSON.stringify({
    meta: { 'api-version': '1.1' },
    name,
    versions,
    files: files.map((f) => ({
      filename: f.filename,
      url: f.url,
      hashes: { sha256: f.sha256 },
      'requires-python': f.requiresPython,
      size: f.size,
      yanked: false,
    })),
  });
}
