import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_CHANGELOG_CHARS, changelogEntry, versionHeadings } from '../../src/core/changelog-entry.js';
import { headingVersion } from '../../src/core/changelog-version.js';

// Each fixture reproduces the heading and entry shapes of a real changelog (which one:
// test/fixtures/changelogs/README.md) with text written for the fixture. Each row takes
// one version's entry and compares it with the entry as a person reads it, written down
// by hand.
const fixture = (path: string): string => readFileSync(new URL(`../fixtures/changelogs/${path}`, import.meta.url), 'utf8');

type Row = [path: string, version: string, heading: string, body: string];

const markdown: Row[] = [
  ['attrs/CHANGELOG.md', '22.2.0', '[22.2.0](https://github.com/python-attrs/attrs/tree/22.2.0) - 2022-12-21',
    '### Backwards-incompatible Changes\n\n- Python 3.5 is no longer supported.\n  [#988](https://github.com/python-attrs/attrs/issues/988)\n\n\n### Changes\n\n- `attrs.field()` takes an *alias* option.\n\n  Signatures can now match any taste.\n  [#950](https://github.com/python-attrs/attrs/issues/950)\n- `attrs.NOTHING` is an enum value now.\n  [#983](https://github.com/python-attrs/attrs/issues/983)'],
  ['attrs/CHANGELOG.md', '22.1', '[22.1.0](https://github.com/python-attrs/attrs/tree/22.1.0) - 2022-07-28',
    '### Changes\n\n- Faster class creation.\n  [#900](https://github.com/python-attrs/attrs/issues/900)'],
  ['poetry/CHANGELOG.md', '1.3.2', '[1.3.2] - 2022-01-10',
    '### Fixed\n\n- Fix a slow lock against PyPI ([#7232](https://github.com/python-poetry/poetry/pull/7232)).\n- Fix a relative `-C, --directory` path ([#7266](https://github.com/python-poetry/poetry/pull/7266)).\n\n### Docs\n\n- Document `virtualenvs.path` better ([#7286](https://github.com/python-poetry/poetry/pull/7286)).'],
  // The oldest entry runs into the link definitions at the bottom: they are not part of it.
  ['poetry/CHANGELOG.md', '1.3.1', '[1.3.1] - 2022-12-12',
    '### Fixed\n\n- Add a missing dependency on `lockfile` ([7169](https://github.com/python-poetry/poetry/pull/7169)).'],
  // `[@rabinadk1]` is defined at the bottom of the file: the definition comes along.
  ['python-dotenv/CHANGELOG.md', '0.21.0', '[0.21.0] - 2022-09-03',
    "### Added\n* CLI: run it with 'python -m'. (#395 by @theskumar)\n\n### Fixed\n* Use `open` over `io.open`. (#389 by [@rabinadk1])\n\n[@rabinadk1]: https://github.com/rabinadk1"],
  ['python-dotenv/CHANGELOG.md', '0.20', '[0.20.0] - 2022-03-24',
    '### Added\n\n- An `encoding` parameter for `get_key`.\n  (#379 by [@bbc2])\n\n[@bbc2]: https://github.com/bbc2'],
  ['charset_normalizer/CHANGELOG.md', '3.0.1', '[3.0.1](https://github.com/Ousret/charset_normalizer/compare/3.0.0...3.0.1) (2022-11-18)',
    '### Fixed\n- The chunk cutter cuts right again (PR #233)\n\n### Changed\n- Faster with mypyc 0.990'],
  ['distro/CHANGELOG.md', '1.8.0', '1.8.0 (2022.10.10)',
    'BACKWARD COMPATIBILITY:\n* Build with `build` [[#342](https://github.com/python-distro/distro/pull/342)]\n\nENHANCEMENTS:\n* Support Buildroot [[#329](https://github.com/python-distro/distro/pull/329)]'],
  ['hatch-vcs/HISTORY.md', '0.3.0', '0.3.0 - 2022-12-10', '***Changed:***\n\n- Drop Python 2\n\n***Added:***\n\n- A metadata hook for VCS metadata'],
  ['cleo/CHANGELOG.md', '2.0.0', '[2.0.0] - 2022-11-21', 'No source code changes.\n\nThis release only replaces `1.0.0`, which was yanked.'],
  ['cleo/CHANGELOG.md', '1.0.0', '[1.0.0] - 2022-11-21', '### Key points\n\n- Fully type-checked.'],
  ['markdown-it-py/CHANGELOG.md', '2.1.0', '2.1.0 - 2022-04-15',
    'This release replaces the `attrs` dependency with `dataclasses`.\n\n- ⬆️ UPGRADE: Drop Python 3.6 (#194)\n- ✨ NEW: Save ordered list numbering (#192)'],
  // A date that is no date (2022-24-01) is still only text after the version.
  ['markdown-it-py/CHANGELOG.md', '2.0.1', '2.0.1 - 2022-24-01', '- 🐛 FIX: Crash on a file that ends with an empty blockquote.'],
  // Out of order: 1.2.3 sits between 2.0.1 and 2.0.0.
  ['tomli/CHANGELOG.md', '1.2.3', '1.2.3', '- Fixed\n  - Backport: lower case "t" and "z" in datetimes'],
  ['tomli/CHANGELOG.md', '2.0.0', '2.0.0', '- Removed\n  - Python 3.6 support'],
  ['tomlkit/CHANGELOG.md', '0.11.7', '[0.11.7] - 2023-03-27', '### Fixed\n\n- Parse an empty quoted table name. ([#258](https://github.com/sdispater/tomlkit/issues/258))'],
  ['typing_extensions/CHANGELOG.md', '4.4.0', 'Release 4.4.0 (October 6, 2022)',
    '- Add `typing_extensions.Any`, subclassable at runtime.\n  Patch by James Hilton-Balfe (@Gobot1234).\n- Add `infer_variance` to `TypeVar` (PEP 695).'],
  // Setext headings in markdown.
  ['requests/HISTORY.md', '2.28.1', '2.28.1 (2022-06-29)',
    '**Improvements**\n\n- Faster `iter_content` with `yield from`. (#6170)\n\n**Dependencies**\n\n- Support chardet 5.0.0 (#6179)'],
  ['requests/HISTORY.md', '2.28', '2.28.0 (2022-06-09)', '**Deprecations**\n\n- Python 2.7 is no longer supported. (#6091)'],
  ['rich/CHANGELOG.md', '13.3.0', '[13.3.0] - 2023-01-27',
    '### Fixed\n\n- Relaxed ipywidgets https://github.com/Textualize/rich/issues/2767\n\n### Added \n\n- An `encoding` parameter in `Theme.read`'],
  ['xmltodict/CHANGELOG.md', '0.13.0', 'v0.13.0', '* Install notes for openSUSE. (#205)\n  * Thanks, @smarlowucf!\n* Namespace mapping takes a defaultdict (#211)'],
];

const rst: Row[] = [
  ['pip/NEWS.rst', '23.0.1', '23.0.1 (2023-02-17)',
    'Features\n--------\n\n- Ignore PIP_REQUIRE_VIRTUALENV for ``pip index`` (`#11671 <https://github.com/pypa/pip/issues/11671>`_)\n- Add ``--break-system-packages`` for\n  ``EXTERNALLY-MANAGED`` installations. (`#11780 <https://github.com/pypa/pip/issues/11780>`_)\n\nBug Fixes\n---------\n\n- Handle installation schemes that Debian and\n  Homebrew customise. (`#11740 <https://github.com/pypa/pip/issues/11740>`_)'],
  ['pip/NEWS.rst', '23.0', '23.0 (2023-01-30)', 'Features\n--------\n\n- Hashes in the installation report are a mapping. (`#11312 <https://github.com/pypa/pip/issues/11312>`_)'],
  ['pluggy/CHANGELOG.rst', '1.0', 'pluggy 1.0.0 (2021-08-25)',
    'Deprecations and Removals\n-------------------------\n\n- `#116 <https://github.com/pytest-dev/pluggy/issues/116>`_: Remove ``implprefix``.\n\n\n- `#272 <https://github.com/pytest-dev/pluggy/issues/272>`_: Drop Python 2.\n\n\n\nFeatures\n--------\n\n- `#282 <https://github.com/pytest-dev/pluggy/issues/282>`_: A non-generator hookwrapper is refused.\n\n  .. code-block:: python\n\n      @hookimpl(hookwrapper=True)\n      def my_hook(arg):\n          yield from my_hook_implementation(arg)'],
  // "Bugfixes - 20.17.1" names the version too, but it is a subsection, not a version heading.
  ['virtualenv/changelog.rst', '20.17.1', 'v20.17.1 (2022-12-05)',
    'Bugfixes - 20.17.1\n~~~~~~~~~~~~~~~~~~\n- A ``py`` spec means any Python - by :user:`gaborbernat`. (`#2460 <https://github.com/pypa/virtualenv/issues/2460>`_)'],
  ['urllib3/CHANGES.rst', '1.26.12', '1.26.12 (2022-08-22)',
    '* Deprecated the `urllib3[secure]` extra. See this `GitHub issue <https://github.com/urllib3/urllib3/issues/2680>`_\n  for why.'],
  ['build/CHANGELOG.rst', '0.9.0', '0.9.0 (2022-10-27)',
    '- Hide a Python 3.11.0 warning with venv (`PR #527`_)\n- Fix recursion in ``check_dependency`` with circular\n  dependencies (`PR #512`_, Fixes `#511`_)\n\n.. _PR #512: https://github.com/pypa/build/pull/512\n.. _PR #527: https://github.com/pypa/build/pull/527\n.. _#511: https://github.com/pypa/build/issues/511'],
  // The `.. _v38-0-2:` label above the next heading belongs to it, not to this entry.
  ['cryptography/CHANGELOG.rst', '38.0.3', '38.0.3 - 2022-11-01', '* Wheels are built with OpenSSL 3.0.7,\n  which resolves *CVE-2022-3602* and *CVE-2022-3786*.'],
  ['cryptography/CHANGELOG.rst', '38.0.2', '38.0.2 - 2022-10-11', '.. attention::\n\n    This release was yanked from PyPI.\n\n* Wheels are built with OpenSSL 3.0.6.'],
  ['blinker/CHANGES.rst', '1.5', 'Version 1.5', 'Released 2022-07-17\n\n-   Support Python >= 3.7 and PyPy. Older Pythons\n    may still work.'],
  ['importlib_metadata/CHANGES.rst', '4.11.4', 'v4.11.4', '* #379: In ``PathDistribution._name_from_stem``, drop the extension.\n* #381: Normalize names read from the stem.'],
  ['jsonschema/CHANGELOG.rst', '4.10.3', 'v4.10.3', '* ``validator_for`` uses the default validator when ``$schema`` is unknown.'],
  ['setuptools-scm/CHANGELOG.rst', '7.0.5', 'v7.0.5', '* fixes #742 , #745: accidentally released archival files'],
  ['setuptools/NEWS.rst', '66.1.0', 'v66.1.0', 'Changes\n^^^^^^^\n* #3685: Avoid removed ``pkgutil`` APIs on Python 3.12+.\n\nMisc\n^^^^\n* #3776: Mention ``--pep-517`` for ``InvalidVersion`` errors.'],
  ['pathspec/CHANGES.rst', '0.11.0', '0.11.0 (2023-01-24)',
    'Major changes:\n\n- Build with `flit_core.buildapi`_. See `Issue #72`_.\n\n\n.. _`flit_core.buildapi`: https://flit.pypa.io/en/latest/index.html\n.. _`Issue #72`: https://github.com/cpburnz/python-pathspec/issues/72'],
  ['more-itertools/versions.rst', '8.10.0', '8.10.0', '* Changes to existing functions\n    * The type stub for :func:`iter_except` was improved'],
  // No extension: CHANGES is read as reStructuredText (no `#` headings).
  ['pygments/CHANGES', '2.14.0', 'Version 2.14.0',
    '(released January 1st, 2023)\n\n- Added lexers:\n\n  * Arturo (#2259)\n  * GAP session (#2211)\n\n- Updated lexers:\n\n  * C family (C, C++ and many others):\n\n    - Fix braces in comments (#2210)\n\n  * HTTP: Add `CONNECT` keyword (#2242)'],
  ['bleach/CHANGES', '5.0.1', 'Version 5.0.1 (June 27th, 2022)',
    '**Bugs**\n\n* Add a missing comma to a requirement. Thank you, @shadchin!\n\n* Handle escaping ``<`` where it starts no tag. (#544)'],
  ['idna/HISTORY.rst', '3.3', '3.3 (2021-10-13)',
    '- Update to Unicode 14.0.0\n- Advertise support for Python 3.10\n\nThanks to Jon Defresne and Hugo van Kemenade for contributions to this\nrelease.'],
  ['pyjwt/CHANGELOG.rst', '2.6.0', '`v2.6.0 <https://github.com/jpadilla/pyjwt/compare/2.5.0...2.6.0>`__',
    'Changed\n~~~~~~~\n\n- Require cryptography >= 3.4.0 by @jpadilla in `#807 <https://github.com/jpadilla/pyjwt/pull/807>`_\n\nFixed\n~~~~~\n\n- Tokens expire on the exact second `#797 <https://github.com/jpadilla/pyjwt/pull/797>`_'],
  // Backticks as the underline.
  ['pexpect/history.rst', '4.8', 'Version 4.8', '* searchwindowsize behaves as in 4.3 again (:ghpull:`579`).\n* Fixed ``before`` after a timeout (:ghpull:`579`).'],
  ['secretstorage/changelog', '3.3.3', 'SecretStorage 3.3.3, 2022-08-13',
    '* Handle a prompt returned by CreateItem [`#39`_].\n* Code follows the :PEP:`8` standard.\n\n.. _`#39`: https://github.com/mitya57/secretstorage/issues/39'],
  ['webcolors/changelog.rst', '1.11.1', 'Version 1.11.1, released 2020-02-17', 'Bugs fixed\n~~~~~~~~~~\n\n* Corrected the supported Python versions in the\n  README file.'],
  ['webcolors/changelog.rst', '1.11', 'Version 1.11, released 2020-02-17', 'Enhancements\n~~~~~~~~~~~~\n\n* Python 3.8 is supported.'],
  ['argcomplete/Changes.rst', '2.0.0', 'Changes for v2.0.0 (2022-01-03)', '-  Truncate input after the cursor. Fixes #351 (#352)\n-  Drop Python 2.7 and 3.5 (#361)'],
  ['pyopenssl/CHANGELOG.rst', '23.0.0', '23.0.0 (2023-01-01)',
    'Backward-incompatible changes:\n^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n\nDeprecations:\n^^^^^^^^^^^^^\n\nChanges:\n^^^^^^^^\n\n- Add ``OpenSSL.SSL.X509StoreFlags.PARTIAL_CHAIN``.\n- ``cryptography`` may be as new as 39.'],
  ['requests-toolbelt/HISTORY.rst', '0.10.1', '0.10.1 -- 2022-10-25', 'Fixed Bugs\n~~~~~~~~~~\n\n- Warn about urllib3 only when X509Adapter is used'],
  ['meson-python/CHANGELOG.rst', '0.12.0', '0.12.0 (22-12-2022)', '- Raise ``SystemExit`` on expected errors\n- Revise error messages'],
  // The title is over- and underlined with `=`, the versions only underlined: two levels.
  ['cffi/whatsnew.rst', '1.15.1', 'v1.15.1', '* Fixed an assert in embedding code without any ``extern "Python"`` function.\n* Updated the Windows/arm64 libffi (thanks Niyas Sait!)'],
  ['oauthlib/CHANGELOG.rst', '3.2.1', '3.2.1 (2022-09-09)', 'OAuth2.0 Provider:\n* #803: Metadata endpoint for non-HTTPS\n\nGeneral:\n* Cosmetic changes based on isort'],
];

describe('changelogEntry: one version\'s entry from real changelog shapes', () => {
  it.each([...markdown, ...rst])('%s %s', (path, version, heading, body) => {
    const file = path.slice(path.indexOf('/') + 1);
    const entry = changelogEntry(fixture(path), file, version);
    expect(entry).not.toBeNull();
    expect(entry?.heading).toBe(heading);
    expect(entry?.body).toBe(body);
    expect(entry?.format).toBe(markdown.some((r) => r[0] === path) ? 'markdown' : 'rst');
  });

  it.each([
    // Versions in plain lines, not headings (pyrsistent, dulwich): no entry rather than a guess.
    ['pyrsistent/CHANGES.txt', '0.18.1'],
    ['dulwich/NEWS', '0.21.2'],
    // Not in the file at all; "Unreleased" names no version.
    ['poetry/CHANGELOG.md', '1.4.0'],
    ['tomlkit/CHANGELOG.md', '0.12.0'],
    // `1.2.3` is not `1.2.3.post1` nor `1.2.3rc1`.
    ['tomli/CHANGELOG.md', '1.2.3.post1'],
    ['tomli/CHANGELOG.md', '1.2.3rc1'],
    ['tomli/CHANGELOG.md', 'not a version'],
  ])('%s has no entry for %s', (path, version) => {
    expect(changelogEntry(fixture(path), path.slice(path.indexOf('/') + 1), version)).toBeNull();
  });

  it('finds the entry by PEP 440 equality whatever the spelling: v prefix, padding zeros, case', () => {
    const text = '# Changelog\n\n## v1.2 - 2026-01-01\n\n- one\n\n## 1.1.0RC1\n\n- two\n';
    expect(changelogEntry(text, 'CHANGELOG.md', '1.2.0')?.body).toBe('- one');
    expect(changelogEntry(text, 'CHANGELOG.md', '1.1.0rc1')?.body).toBe('- two');
    expect(changelogEntry(text, 'CHANGELOG.md', '1.1rc1')?.line).toBe(7);
  });

  it('reads CRLF files and a byte-order mark, and ignores headings inside fenced code and HTML comments', () => {
    const text = '\ufeff# Changelog\r\n\r\n## 2.0.0\r\n\r\n```\r\n## 1.0.0\r\n```\r\n<!--\r\n## 1.5.0\r\n-->\r\n\r\n## 1.0.0\r\n\r\n- first\r\n';
    expect(changelogEntry(text, 'CHANGELOG.md', '2.0.0')?.body).toBe('```\n## 1.0.0\n```\n<!--\n## 1.5.0\n-->');
    expect(changelogEntry(text, 'CHANGELOG.md', '1.0.0')?.body).toBe('- first');
    expect(changelogEntry(text, 'CHANGELOG.md', '1.5.0')).toBeNull();
  });
});

describe('headingVersion', () => {
  it.each([
    ['[1.2.0] - 2026-01-01', '1.2.0'],
    ['1.2.0 (2026-01-01)', '1.2.0'],
    ['Version 1.2.0', '1.2.0'],
    ['pkg 1.2.0 (2026-01-01)', '1.2.0'],
    ['v1.2.0', 'v1.2.0'],
    ['Release v1.2.0rc1 — the big one', 'v1.2.0rc1'],
    ['Changes for v2.0.0 (2022-01-03)', 'v2.0.0'],
    ['SecretStorage 3.3.3, 2022-08-13', '3.3.3'],
    ['`v2.6.0 <https://github.com/jpadilla/pyjwt/compare/2.5.0...2.6.0>`__', 'v2.6.0'],
    ['[22.2.0](https://github.com/python-attrs/attrs/tree/22.2.0) - 2022-12-21', '22.2.0'],
    ['1.2.0 (unreleased)', '1.2.0'],
  ])('%s names %s', (title, text) => {
    expect(headingVersion(title)?.text).toBe(text);
  });

  it.each(['Unreleased', '[Unreleased]', 'Bugfixes - 20.17.1', 'Python 3.12 support', 'Features', 'What is new in 1.2', 'Drop support for 1.x', '1.2.x', `v${'1.'.repeat(150)}0`])('%s names no version', (title) => {
    expect(headingVersion(title)).toBeNull();
  });
});

describe('versionHeadings', () => {
  it('lists the version headings in file order, with their style', () => {
    expect(versionHeadings(fixture('pip/NEWS.rst'), 'NEWS.rst').map((h) => [h.version, h.line, h.adornment])).toEqual([
      ['23.0.1', 8, '='],
      ['23.0', 25, '='],
    ]);
    expect(versionHeadings(fixture('poetry/CHANGELOG.md'), 'CHANGELOG.md').map((h) => [h.version, h.level, h.adornment])).toEqual([
      ['1.3.2', 2, null],
      ['1.3.1', 2, null],
    ]);
  });
});

describe('bounded input', () => {
  it('scans only the first MiB: an entry further down is not found, and the cut last line is not read', () => {
    const filler = `${'- an old change, long ago\n'.repeat(50_000)}`;
    const text = `# Changelog\n\n## 2.0.0\n\n- new\n\n## 1.0.0\n\n${filler}\n## 0.1.0\n\n- first\n`;
    expect(text.length).toBeGreaterThan(MAX_CHANGELOG_CHARS);
    expect(changelogEntry(text, 'CHANGELOG.md', '2.0.0')?.body).toBe('- new');
    expect(changelogEntry(text, 'CHANGELOG.md', '0.1.0')).toBeNull();
  });

  it.each([
    ['heading markers', '#'.repeat(5_000_000)],
    ['underline-like lines', '=\n'.repeat(2_500_000)],
    ['overlines without titles', '===\nx\n'.repeat(1_000_000)],
    ['brackets for link definitions', `## 1.0.0\n${'[a'.repeat(2_000_000)}`],
    ['one long title', `## ${'1.'.repeat(2_000_000)}`],
    ['fences', '```\n'.repeat(2_000_000)],
  ])('answers quickly on hostile text: %s', (_what, text) => {
    const started = performance.now();
    expect(changelogEntry(text, 'CHANGELOG.md', '1.0.0')).not.toBeUndefined();
    expect(changelogEntry(text, 'NEWS', '1.0.0')).not.toBeUndefined();
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
