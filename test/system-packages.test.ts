import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePackageList } from '../src/publishing/system-packages.js';
import { PROBED_PACKAGES } from '../src/publishing/toolchain-probe.js';
// @ts-expect-error: a plain .mjs script, without types
import { readPackageLists } from '../scripts/test-prerequisites.mjs';

// One source for the Debian packages: system-packages/runtime.txt (what a worker needs)
// and test.txt (what the suites need on top). The image, .ci/run, `npm test` and the
// README take them from there, so they cannot drift apart.
const root = join(import.meta.dirname, '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const runtime = parsePackageList(read('system-packages/runtime.txt'));
const tests = parsePackageList(read('system-packages/test.txt'));
const listed = new Set([...runtime, ...tests]);
/** Lines without their comments, continuation lines joined (shell and Dockerfile alike). */
const code = (text: string): string[] => text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ').split('\n');
/** The listed packages a piece of code names itself. */
const named = (lines: readonly string[]): string[] => [...new Set(lines.flatMap((l) => l.split(/[^\w.+-]+/)).filter((w) => listed.has(w)))];
/** What follows each `apt-get install` (or `apt install`), up to the end of its command. */
const installArgs = (lines: readonly string[]): string[] => lines.flatMap((l) => [...l.matchAll(/apt(?:-get)? install\b((?:(?!&&|\|\||;).)*)/g)].map((m) => m[1] ?? ''));
/** Code lines that name two or more listed packages: a list of their own. */
const lists = (lines: readonly string[]): string[] => lines.filter((l) => named([l]).length >= 2);

describe('system-packages/', () => {
  it('lists each package once, across both files', () => {
    expect(runtime.length).toBeGreaterThan(10);
    expect(tests.length).toBeGreaterThan(3);
    const all = [...runtime, ...tests];
    expect(all.filter((p, i) => all.indexOf(p) !== i)).toEqual([]);
  });

  it.each(['runtime.txt', 'test.txt'])('%s says why each package is there: a comment on its line or heading its group', (file) => {
    const groups = read(`system-packages/${file}`).split(/\n\s*\n/);
    for (const group of groups) {
      const lines = group.split('\n').filter((l) => l.trim() !== '');
      const headed = /^\s*#/.test(lines[0] ?? '');
      for (const line of lines.filter((l) => parsePackageList(l).length > 0)) expect(headed || line.includes('#'), `${file}: ${line}`).toBe(true);
    }
  });

  it('has one package name a line, as Debian spells them', () => {
    for (const p of listed) expect(p).toMatch(/^[a-z0-9][a-z0-9.+-]+$/);
  });

  it('is what `npm test` installs: its pretest reads both files the same way', () => {
    expect(JSON.parse(read('package.json')).scripts.pretest).toBe('node scripts/test-prerequisites.mjs');
    expect(readPackageLists()).toEqual([...runtime, ...tests]);
  });

  it('names every package the worker\'s toolchain probe may ask for in runtime.txt', () => {
    expect(PROBED_PACKAGES.filter((p) => !runtime.includes(p))).toEqual([]);
  });
});

describe('the users of the lists carry none of their own', () => {
  it('.ci/run runs `npm test` (whose pretest installs the lists) and names no package', () => {
    const ci = code(read('.ci/run'));
    expect(ci.some((l) => /^\s*npm test\b/.test(l))).toBe(true);
    expect(ci.filter((l) => /apt-get|apt install|dpkg/.test(l))).toEqual([]);
    expect(lists(ci)).toEqual([]);
  });

  it('the Dockerfile installs runtime.txt, copied in just before, and names no package in a RUN', () => {
    const lines = code(read('Dockerfile'));
    const runtimeStage = lines.slice(lines.findLastIndex((l) => /^FROM\s/i.test(l)));
    const copy = runtimeStage.findIndex((l) => /^COPY\s+system-packages\/runtime\.txt\s+\S+$/.test(l.trim()));
    expect(copy, 'COPY system-packages/runtime.txt in the runtime stage').toBeGreaterThan(-1);
    const dest = runtimeStage[copy]?.trim().split(/\s+/).at(-1) ?? '';
    const install = runtimeStage[copy + 1] ?? '';
    expect(install).toMatch(/^RUN apt-get update\s+&& .*apt-get install -y --no-install-recommends\s+\$\(sed 's\/#\.\*\/\/' (\S+)\)\s+&& rm -rf \/var\/lib\/apt\/lists\/\*$/);
    expect(/\$\(sed '[^']*' (\S+)\)/.exec(install)?.[1]).toBe(dest);
    const runs = lines.filter((l) => /^RUN\s/.test(l));
    expect(named(installArgs(runs))).toEqual([]);
    expect(lists(runs)).toEqual([]);
    expect(read('.dockerignore').split('\n')).toContain('!system-packages/');
  });

  it('the README points at the lists and spells out no apt-get list of its own', () => {
    const readme = read('README.md');
    expect(readme).toContain('system-packages/runtime.txt');
    expect(readme).toContain('system-packages/test.txt');
    // An install command in the README takes its packages from the files, never by name.
    const installs = installArgs(readme.split('\n'));
    expect(installs.length).toBeGreaterThan(0);
    expect(named(installs)).toEqual([]);
  });
});
