// Where things are in configuration text: safe project-relative paths, and the line of a
// TOML key or an INI option, found by a line scan (smol-toml and the INI reader give
// values, not positions), so messages can name the line they read.

/** A repository-relative path made safe: no absolute paths, no `..`, no control characters. */
export function safePath(path: string): string | null {
  if (path.length === 0 || path.length > 512 || [...path].some((c) => c.charCodeAt(0) < 0x20 || c === '\\') || path.startsWith('/')) return null;
  const parts: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') return null;
    parts.push(seg);
  }
  return parts.length === 0 ? null : parts.join('/');
}

export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let k = 0; k < offset && k < text.length; k++) if (text[k] === '\n') line++;
  return line;
}
/** The line of "version" in `[project] dynamic`, which may span lines. */
export function dynamicVersionLine(text: string): number | null {
  const start = tomlKeyLine(text, 'project', 'dynamic');
  if (start === null) return null;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n/);
  for (let k = start - 1; k < lines.length && k < start + 40; k++) {
    const l = lines[k] ?? '';
    if (/["']version["']/.test(l)) return k + 1;
    if (l.includes(']')) break;
  }
  return start;
}

/** 1-based line of `key = ...` in TOML table `table` (dotted), by a line scan. */
export function tomlKeyLine(text: string, table: string, key: string): number | null {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n/);
  let current = '';
  for (let k = 0; k < lines.length; k++) {
    const l = (lines[k] ?? '').trim();
    const header = /^\[([^\][]+)\]/.exec(l);
    if (header !== null) {
      current = (header[1] ?? '').split('.').map((p) => p.trim().replace(/^["']|["']$/g, '')).join('.');
      continue;
    }
    const m = /^["']?([A-Za-z0-9_.-]+?)["']?\s*=/.exec(l);
    if (m === null) continue;
    const full = current === '' ? (m[1] ?? '') : `${current}.${m[1] ?? ''}`;
    if (full === `${table}.${key}`) return k + 1;
  }
  return null;
}

export function iniKeyLine(text: string, section: string, key: string): number | null {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  let current = '';
  for (let k = 0; k < lines.length; k++) {
    const l = (lines[k] ?? '').trim();
    const header = /^\[([^\]]+)\]/.exec(l);
    if (header !== null) current = header[1] ?? '';
    else if (current === section && new RegExp(`^${key}\\s*[=:]`, 'i').test(l)) return k + 1;
  }
  return null;
}
