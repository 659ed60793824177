import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkChange } from '../../src/core/checks.js';
import type { ChangeFacts, VersionFact } from '../../src/core/checks.js';
import type { ChangelogFact } from '../../src/core/changelog-check.js';
import { readRepoConfig } from '../../src/core/repo-config.js';

const s = (version: string): VersionFact => ({ kind: 'static', version });
const fixture = (path: string): string => readFileSync(new URL(`../fixtures/changelogs/${path}`, import.meta.url), 'utf8');
const found = (file: string, text: string): ChangelogFact => ({ kind: 'found', file, text });

function facts(head: string, changelog: ChangelogFact | undefined, yml = 'require-changelog: true'): ChangeFacts {
  return {
    head: { version: s(head) },
    target: { version: s('1.0.0'), branch: 'main' },
    tags: [],
    tag: null,
    published: [],
    config: readRepoConfig({ pyreleaseYml: yml }),
    projectProblems: [],
    ...(changelog === undefined ? {} : { changelog }),
  };
}

const KAC = '# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-01\n\n- First.\n';

describe('require-changelog', () => {
  it.each<[string, ChangeFacts, string[]]>([
    ['off by default, even without an entry', facts('1.1.0', found('CHANGELOG.md', KAC), ''), []],
    ['a bump with its entry', facts('1.1.0', found('CHANGELOG.md', KAC.replace('## [1.0.0]', '## [1.1.0] - 2026-02-01\n\n- More.\n\n## [1.0.0]'))), []],
    ['the entry spelled 1.1 for 1.1.0', facts('1.1.0', found('CHANGELOG.md', '## 1.1\n\n- More.\n')), []],
    ['a bump without its entry', facts('1.1.0', found('CHANGELOG.md', KAC)), ['error:changelog-entry-missing']],
    ['an unchanged version needs no entry', facts('1.0.0', found('CHANGELOG.md', '')), []],
    ['no changelog at all', facts('1.1.0', { kind: 'absent', configured: null }), ['error:changelog-entry-missing']],
    ['the configured changelog is missing', facts('1.1.0', { kind: 'absent', configured: 'docs/changes.rst' }), ['error:changelog-entry-missing']],
    ['the changelog is too large to read', facts('1.1.0', { kind: 'unreadable', file: 'CHANGELOG.md', reason: 'larger than pyrelease reads' }), ['error:changelog-entry-missing']],
    ['facts not gathered (no require-changelog when they were read)', facts('1.1.0', undefined), []],
  ])('%s', (_name, input, expected) => {
    expect(checkChange(input).map((f) => `${f.severity}:${f.code}`)).toEqual(expected);
  });

  it.each([
    // The heading to add follows the changelog's own latest version heading.
    ['poetry/CHANGELOG.md', 'CHANGELOG.md', '1.4.0', 'Add the heading `## [1.4.0] - YYYY-MM-DD` to `CHANGELOG.md`, above `[1.3.2] - 2022-01-10`, with what changed in `1.4.0`.'],
    ['attrs/CHANGELOG.md', 'CHANGELOG.md', '23.1.0', 'Add the heading `## [23.1.0] - YYYY-MM-DD` to `CHANGELOG.md`, above `[22.2.0] - 2022-12-21`, with what changed in `23.1.0`.'],
    ['pip/NEWS.rst', 'NEWS.rst', '23.1', 'Add the heading `23.1 (YYYY-MM-DD)` underlined with `=================` to `NEWS.rst`, above `23.0.1 (2023-02-17)`, with what changed in `23.1`.'],
    ['virtualenv/changelog.rst', 'docs/changelog.rst', '20.18.0', 'Add the heading `v20.18.0 (YYYY-MM-DD)` underlined with `---------------------` to `docs/changelog.rst`, above `v20.17.1 (2022-12-05)`, with what changed in `20.18.0`.'],
    ['blinker/CHANGES.rst', 'CHANGES.rst', '1.6', 'Add the heading `Version 1.6` underlined with `-----------` to `CHANGES.rst`, above `Version 1.5`, with what changed in `1.6`.'],
    ['requests/HISTORY.md', 'HISTORY.md', '2.29.0', 'Add the heading `2.29.0 (YYYY-MM-DD)` underlined with `-------------------` to `HISTORY.md`, above `2.28.1 (2022-06-29)`, with what changed in `2.29.0`.'],
    ['pyjwt/CHANGELOG.rst', 'CHANGELOG.rst', '2.7.0', 'Add the heading `v2.7.0` underlined with `------` to `CHANGELOG.rst`, above `v2.6.0`, with what changed in `2.7.0`.'],
  ])('says which heading to add to %s', (path, file, version, fix) => {
    const [f] = checkChange({ ...facts(version, found(file, fixture(path))), target: { version: s('0.1'), branch: 'main' } });
    expect(f?.code).toBe('changelog-entry-missing');
    expect(f?.message).toBe(`\`${file}\` has no entry for \`${version}\`, and this repository requires one for every version (require-changelog).`);
    expect(f?.fix).toBe(fix);
    expect(f?.field).toBe('require-changelog');
  });

  it('names the file to create when there is none', () => {
    const [none] = checkChange(facts('1.1.0', { kind: 'absent', configured: null }));
    expect(none?.message).toBe('No changelog was found (looked for CHANGELOG.md, CHANGES.md, CHANGES.rst, NEWS.md, NEWS.rst, HISTORY.md, CHANGELOG.rst, HISTORY.rst, at the top level and in docs/), and this repository requires an entry for `1.1.0` (require-changelog).');
    expect(none?.fix).toBe('Add the heading `## 1.1.0` to `CHANGELOG.md`, with what changed in `1.1.0`. Or name your changelog with the `changelog` key.');
    const [configured] = checkChange(facts('1.1.0', { kind: 'absent', configured: 'docs/changes.rst' }));
    expect(configured?.fix).toBe('Add the heading `1.1.0` underlined with `=====` to `docs/changes.rst`, with what changed in `1.1.0`. Or correct `changelog` in the pyrelease config.');
    expect(configured?.field).toBe('changelog');
  });
});
