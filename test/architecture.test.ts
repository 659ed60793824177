import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
  const dynamic = [...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? '');
  return [...specifiers, ...dynamic];
}

const files = tsFiles(src).map((path) => ({ path, rel: relative(src, path), imports: importsOf(path) }));

// The core decides; it must not reach the network, the disk, the clock or a process.
// re2js: linear-time regular expressions, for the version patterns repositories write.
const CORE_ALLOWED_PACKAGES = new Set(['zod', 'semver', 'smol-toml', 'yaml', 're2js']);

describe('import rules', () => {
  it('finds the source files (the scan itself works)', () => {
    expect(files.some((f) => f.rel === join('core', 'repo-config.ts'))).toBe(true);
    expect(files.find((f) => f.rel === join('core', 'repo-config.ts'))?.imports).toContain('zod');
  });

  it.each(files.filter((f) => f.rel.startsWith('core')).map((f) => [f.rel, f] as const))(
    '%s imports only core files and pure packages',
    (_rel, file) => {
      for (const spec of file.imports) {
        if (spec.startsWith('.')) {
          expect(spec, `${file.rel} imports ${spec}`).toMatch(/^\.\/[^/]+\.js$/);
        } else {
          expect(CORE_ALLOWED_PACKAGES.has(spec), `${file.rel} imports ${spec}`).toBe(true);
        }
      }
      expect(readFileSync(file.path, 'utf8')).not.toMatch(/\b(Date\.now|new Date\(\)|Math\.random|process\.)/);
    },
  );

  it.each([
    ['github', 'gitlab'],
    ['gitlab', 'github'],
  ])('platforms/%s never imports platforms/%s', (from, to) => {
    for (const file of files.filter((f) => f.rel.startsWith(join('platforms', from)))) {
      for (const spec of file.imports) expect(spec, `${file.rel} imports ${spec}`).not.toContain(`/${to}/`);
    }
  });

  it('keeps every source file under 400 lines', () => {
    const long = files
      .map((f) => ({ rel: f.rel, lines: readFileSync(f.path, 'utf8').split('\n').length }))
      .filter((f) => f.lines > 400);
    expect(long).toEqual([]);
  });

  it('uses no default exports and no enums', () => {
    for (const file of files) {
      const text = readFileSync(file.path, 'utf8');
      expect(text, file.rel).not.toMatch(/^export default /m);
      expect(text, file.rel).not.toMatch(/^\s*(export\s+)?(const\s+)?enum\s/m);
    }
  });
});
