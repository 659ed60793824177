// The corpus of real layouts (test/fixtures/layouts/README.md): every entry reproduces
// the files that decide one public project's name and version at a recorded commit, and
// the core must read each as that project's build backend would, without running it.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseVersion, versionsEqual } from '../../src/core/pep440.js';
import { resolveProjectFacts } from '../../src/core/version-layout.js';
import type { ResolvedVersion } from '../../src/core/version-layout.js';

const ROOT = new URL('../fixtures/layouts/', import.meta.url).pathname;

interface Entry {
  readonly dir: string;
  readonly repo: string;
  readonly commit: string;
  readonly tag: string | null;
  readonly layout: string;
  readonly oddities: readonly string[];
  readonly expected: {
    readonly name: string | null;
    readonly source: string;
    readonly version: string | null;
    readonly file?: string;
    readonly line?: number;
    readonly provider?: string;
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const entries: Entry[] = readdirSync(ROOT)
  .filter((d) => statSync(join(ROOT, d)).isDirectory())
  .sort()
  .map((dir) => ({ dir, ...(JSON.parse(readFileSync(join(ROOT, dir, 'layout.json'), 'utf8')) as Omit<Entry, 'dir'>) }));

function treeOf(dir: string): Map<string, string> {
  const tree = join(ROOT, dir, 'tree');
  // Read as UTF-8, as forges' raw-file APIs hand them over: a BOM stays in the text.
  return new Map(walk(tree).map((path) => [relative(tree, path), readFileSync(path, 'utf8')]));
}

function sourceOf(v: ResolvedVersion): string {
  return v.kind === 'static' ? v.origin : v.kind;
}

describe('the layout corpus', () => {
  it('holds at least 200 real layouts, each citing its repository and commit', () => {
    expect(entries.length).toBeGreaterThanOrEqual(200);
    for (const e of entries) expect(e.commit, e.dir).toMatch(/^[0-9a-f]{40}$/);
  });

  it('covers every layout family and the oddities the issue names', () => {
    const sources = new Set(entries.map((e) => e.expected.source));
    for (const s of ['project', 'poetry', 'setup.cfg', 'setup.py', 'module', 'file', 'scm', 'unreadable']) expect(sources, s).toContain(s);
    const providers = new Set(entries.map((e) => e.expected.provider));
    for (const p of ['setuptools-scm', 'hatch-vcs', 'flit_scm', 'versioningit', 'poetry-dynamic-versioning', 'pdm-scm']) expect(providers, p).toContain(p);
    const oddities = new Set(entries.flatMap((e) => e.oddities));
    // No BOM here: the code index the corpus was read from strips BOMs (and shows CRLF
    // only through its character counts), so a BOM entry could not be spelled as the
    // project spells it. version-layout.test.ts and pyproject.test.ts cover BOMs.
    for (const o of ['crlf', 'comments', 'annotated', 'several-version-lines', 'backend-path', 'poetry-beside-project', 'tuple-version', 'monorepo']) expect(oddities, o).toContain(o);
  });

  it.each(entries.map((e) => [e.dir, e] as const))('%s', async (_dir, e) => {
    const tree = treeOf(e.dir);
    const read = async (path: string): Promise<string | null> => tree.get(path) ?? null;
    const project = await resolveProjectFacts(read);
    const v = project.version;
    const got = {
      name: project.name,
      source: sourceOf(v),
      version: v.kind === 'static' ? v.version : null,
      ...(v.kind === 'static' || v.kind === 'unreadable' ? { file: v.file } : {}),
      ...(v.kind === 'static' ? { line: v.line } : {}),
      ...(v.kind === 'scm' ? { provider: v.provider } : {}),
    };
    const want = {
      name: e.expected.name,
      source: e.expected.source,
      version: e.expected.version,
      ...(e.expected.source === 'unreadable' && e.expected.file !== undefined ? { file: e.expected.file } : {}),
      ...(got.source === 'static' || ['project', 'poetry', 'setup.cfg', 'setup.py', 'module', 'file'].includes(e.expected.source) ? { file: e.expected.file, line: e.expected.line } : {}),
      ...(e.expected.source === 'scm' ? { provider: e.expected.provider } : {}),
    };
    expect(got).toEqual(want);
    // The recorded tag names the version the files hold.
    if (e.tag !== null && e.expected.version !== null) {
      const tagVersion = /\d.*$/.exec(e.tag)?.[0] ?? e.tag;
      // Some projects spell dots as underscores in tags (SQLAlchemy's rel_0_6beta3).
      const [a, b] = [parseVersion(tagVersion) ?? parseVersion(tagVersion.replace(/_/g, '.')), parseVersion(e.expected.version)];
      expect(a !== null && b !== null && versionsEqual(a, b), `${e.tag} vs ${e.expected.version}`).toBe(true);
    }
  });
});
