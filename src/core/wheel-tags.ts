// Wheel compatibility tags (PEP 425) as packaging.tags.parse_tag reads them.
import { compareCodePoints, pythonLower } from './name-unicode.js';

export interface WheelTag {
  readonly interpreter: string;
  readonly abi: string;
  readonly platform: string;
}

export type WheelTagResult =
  | { readonly ok: true; readonly tags: readonly WheelTag[] }
  | { readonly ok: false; readonly code: 'parts' | 'order'; readonly reason: string };

export interface ParseTagOptions {
  /** Refuse compressed tag sets whose components are not sorted (PEP 425), as validate_order=True. */
  readonly validateOrder?: boolean;
}

/** str(Tag): "interpreter-abi-platform". */
export function formatWheelTag(tag: WheelTag): string {
  return `${tag.interpreter}-${tag.abi}-${tag.platform}`;
}

function isSorted(parts: readonly string[]): boolean {
  for (let i = 1; i < parts.length; i++) {
    if (compareCodePoints(parts[i - 1] ?? '', parts[i] ?? '') > 0) return false;
  }
  return true;
}

/**
 * Expand a (possibly compressed) tag such as "py2.py3-none-any" into its triples.
 * Like packaging, components are lowercased, empty components are kept ("py3-none-"
 * is one tag with an empty platform), and duplicates collapse; the order is
 * interpreter-major, first occurrence wins (packaging returns an unordered frozenset).
 */
export function parseWheelTag(tag: string, options: ParseTagOptions = {}): WheelTagResult {
  const components = tag.split('-');
  if (components.length !== 3) {
    // packaging raises a bare ValueError from tuple unpacking here.
    return { ok: false, code: 'parts', reason: `a tag has exactly three dash-separated parts: ${JSON.stringify(tag)}` };
  }
  const [interpreters, abis, platforms] = components.map((c) => c.split('.')) as [string[], string[], string[]];
  if (options.validateOrder === true) {
    for (const parts of [interpreters, abis, platforms]) {
      if (!isSorted(parts)) {
        return {
          ok: false,
          code: 'order',
          reason: `tag component ${JSON.stringify(parts.join('.'))} is not in sorted order per PEP 425`,
        };
      }
    }
  }
  const seen = new Set<string>();
  const tags: WheelTag[] = [];
  for (const i of interpreters) {
    for (const a of abis) {
      for (const p of platforms) {
        const t = { interpreter: pythonLower(i), abi: pythonLower(a), platform: pythonLower(p) };
        const key = formatWheelTag(t);
        // The key is unambiguous only because no component can contain "-".
        if (seen.has(key)) continue;
        seen.add(key);
        tags.push(t);
      }
    }
  }
  return { ok: true, tags };
}
