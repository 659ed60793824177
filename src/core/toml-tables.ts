// Plain-object access to a parsed TOML document. Own keys only, so a repository's
// `tool.constructor` never finds Object.prototype.constructor.
export type Table = Record<string, unknown>;

export function isTable(x: unknown): x is Table {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Date);
}

// Own keys only: `tool.constructor` must not find Object.prototype.constructor.
export function get(t: Table | null, key: string): unknown {
  return t !== null && Object.hasOwn(t, key) ? t[key] : undefined;
}

export function tableAt(t: Table | null, ...path: string[]): Table | null {
  let cur: Table | null = t;
  for (const key of path) {
    const next = get(cur, key);
    cur = isTable(next) ? next : null;
  }
  return cur;
}
