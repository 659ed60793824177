import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { changelogEntry } from '../../src/core/changelog-entry.js';
import { preformatted, rstToMarkdown } from '../../src/core/rst-markdown.js';
import { rstInline } from '../../src/core/rst-inline.js';

const entryOf = (path: string, version: string): string => {
  const text = readFileSync(new URL(`../fixtures/changelogs/${path}`, import.meta.url), 'utf8');
  const entry = changelogEntry(text, path.slice(path.indexOf('/') + 1), version);
  if (entry === null) throw new Error(`no entry for ${version} in ${path}`);
  return entry.body;
};

describe('reStructuredText entries converted where the conversion is exact', () => {
  it.each([
    ['pip/NEWS.rst', '23.0.1',
      '### Features\n\n- Ignore PIP\\_REQUIRE\\_VIRTUALENV for `pip index` ([#11671](https://github.com/pypa/pip/issues/11671))\n- Add `--break-system-packages` for `EXTERNALLY-MANAGED` installations. ([#11780](https://github.com/pypa/pip/issues/11780))\n\n### Bug Fixes\n\n- Handle installation schemes that Debian and Homebrew customise. ([#11740](https://github.com/pypa/pip/issues/11740))'],
    // `PR #527`_ refers to a target of the same entry; the targets themselves show nothing.
    ['build/CHANGELOG.rst', '0.9.0',
      '- Hide a Python 3.11.0 warning with venv ([PR #527](https://github.com/pypa/build/pull/527))\n- Fix recursion in `check_dependency` with circular dependencies ([PR #512](https://github.com/pypa/build/pull/512), Fixes [#511](https://github.com/pypa/build/issues/511))'],
    ['pathspec/CHANGES.rst', '0.11.0',
      'Major changes:\n\n- Build with [flit\\_core.buildapi](https://flit.pypa.io/en/latest/index.html). See [Issue #72](https://github.com/cpburnz/python-pathspec/issues/72).'],
    ['cryptography/CHANGELOG.rst', '38.0.3', '* Wheels are built with OpenSSL 3.0.7, which resolves *CVE-2022-3602* and *CVE-2022-3786*.'],
    ['blinker/CHANGES.rst', '1.5', 'Released 2022-07-17\n\n- Support Python \\>= 3.7 and PyPy. Older Pythons may still work.'],
    ['setuptools/NEWS.rst', '66.1.0', '### Changes\n\n* #3685: Avoid removed `pkgutil` APIs on Python 3.12+.\n\n### Misc\n\n* #3776: Mention `--pep-517` for `InvalidVersion` errors.'],
    ['pyopenssl/CHANGELOG.rst', '23.0.0', '### Backward-incompatible changes:\n\n### Deprecations:\n\n### Changes:\n\n- Add `OpenSSL.SSL.X509StoreFlags.PARTIAL_CHAIN`.\n- `cryptography` may be as new as 39.'],
    ['webcolors/changelog.rst', '1.11.1', '### Bugs fixed\n\n* Corrected the supported Python versions in the README file.'],
    ['bleach/CHANGES', '5.0.1', '**Bugs**\n\n* Add a missing comma to a requirement. Thank you, @shadchin!\n* Handle escaping `<` where it starts no tag. (#544)'],
    ['idna/HISTORY.rst', '3.3', '- Update to Unicode 14.0.0\n- Advertise support for Python 3.10\n\nThanks to Jon Defresne and Hugo van Kemenade for contributions to this release.'],
    // docutils reads a `* ` line right after a paragraph line as more of the paragraph: so do we.
    ['oauthlib/CHANGELOG.rst', '3.2.1', 'OAuth2.0 Provider: \\* #803: Metadata endpoint for non-HTTPS\n\nGeneral: \\* Cosmetic changes based on isort'],
    ['argcomplete/Changes.rst', '2.0.0', '- Truncate input after the cursor. Fixes #351 (#352)\n- Drop Python 2.7 and 3.5 (#361)'],
    ['cffi/whatsnew.rst', '1.15.1', '* Fixed an assert in embedding code without any `extern "Python"` function.\n* Updated the Windows/arm64 libffi (thanks Niyas Sait!)'],
    ['pyjwt/CHANGELOG.rst', '2.6.0',
      '### Changed\n\n- Require cryptography \\>= 3.4.0 by @jpadilla in [#807](https://github.com/jpadilla/pyjwt/pull/807)\n\n### Fixed\n\n- Tokens expire on the exact second [#797](https://github.com/jpadilla/pyjwt/pull/797)'],
  ])('%s %s', (path, version, markdown) => {
    expect(rstToMarkdown(entryOf(path, version))).toEqual({ kind: 'converted', markdown });
  });
});

describe('small entries', () => {
  it.each([
    ['- Inner.\n', '- Inner.'],
    ['Fixed.\n', 'Fixed.'],
    ['- one\n- two\n\n* other list\n', '- one\n- two\n\n* other list'],
    ['- item\n\n  second paragraph\n\n  - nested\n', '- item\n\n  second paragraph\n\n  - nested'],
    ['Highlights\n~~~~~~~~~~\n\nDetails\n^^^^^^^\n\nText.\n', '### Highlights\n\n#### Details\n\nText.'],
    ['.. a comment\n   on two lines\n\nShown.\n', 'Shown.'],
  ])('%j', (entry, markdown) => {
    expect(rstToMarkdown(entry)).toEqual({ kind: 'converted', markdown });
  });
});

describe('reStructuredText entries with constructs that are not converted come out as a code block, byte for byte', () => {
  it.each([
    ['pluggy/CHANGELOG.rst', '1.0', 'a code-block directive'],
    ['cryptography/CHANGELOG.rst', '38.0.2', 'an attention directive'],
    ['virtualenv/changelog.rst', '20.17.1', 'the :user: role'],
    ['urllib3/CHANGES.rst', '1.26.12', 'default-role `text`'],
    ['more-itertools/versions.rst', '8.10.0', ':func: and a block quote'],
    ['pexpect/history.rst', '4.8', 'the :ghpull: role'],
    ['secretstorage/changelog', '3.3.3', 'a footnote-style [`#39`_] and :PEP:'],
    ['pygments/CHANGES', '2.14.0', 'default-role `CONNECT`'],
  ])('%s %s (%s)', (path, version) => {
    const entry = entryOf(path, version);
    const out = rstToMarkdown(entry);
    expect(out.kind).toBe('preformatted');
    expect(out.markdown).toBe('```rst\n' + entry + '\n```');
    expect(out.markdown.slice('```rst\n'.length, -'\n```'.length)).toBe(entry);
  });

  it('uses a fence longer than any run of backticks in the entry, so nothing inside closes it', () => {
    const entry = 'Literal fence inside:\n\n.. code-block:: markdown\n\n   ````\n   ```\n';
    expect(preformatted(entry)).toBe('`````rst\n' + entry + '\n`````');
  });

  it.each([
    ['a literal block', 'Example::\n\n    pip install x\n'],
    ['a definition list', 'Term\n    Definition.\n'],
    ['a block quote', 'Text.\n\n    Quoted.\n'],
    ['an enumerated list', '1. one\n2. two\n'],
    ['a field list', ':Released: 2026-01-01\n'],
    ['a transition', 'One.\n\n----------\n\nTwo.\n'],
    ['a grid table', '+---+---+\n| a | b |\n+---+---+\n'],
    ['a substitution', 'See |project| docs.\n'],
    ['an unresolved reference', 'See `the docs`_ for more.\n'],
    ['a simple reference', 'See docs_ for more.\n'],
    ['a backslash escape', 'A \\*literal\\* star.\n'],
    ['tabs', '-\tTabbed item.\n'],
    ['a relative link', 'See `the docs <docs/index.html>`_.\n'],
    ['a list that ends without a blank line', '- one\nText after.\n'],
    ['an unclosed literal', 'A ``literal that never ends.\n'],
  ])('%s', (_what, entry) => {
    expect(rstToMarkdown(entry)).toEqual({ kind: 'preformatted', markdown: preformatted(entry) });
  });
});

describe('rstInline: escapes what markdown would misread', () => {
  it.each([
    ['<script>alert(1)</script> &amp; more', '\\<script\\>alert(1)\\</script\\> \\&amp; more'],
    ['[x](https://example.org) ~~no strike~~ a | b $x$', '\\[x\\](<https://example.org>) \\~\\~no strike\\~\\~ a \\| b \\$x\\$'],
    ['2*3*4 and a * b', '2\\*3\\*4 and a \\* b'],
    ['snake_case and __dunder', 'snake\\_case and \\_\\_dunder'],
    ['# not a heading', '\\# not a heading'],
    ['#123 is an issue', '#123 is an issue'],
    ['1. not a list', '1\\. not a list'],
    ['- not a list either', '\\- not a list either'],
    ['> not a quote', '\\> not a quote'],
    ['See https://example.org/a_b. Done', 'See <https://example.org/a_b>. Done'],
    ['*em*, **strong** and ``co`de``', '*em*, **strong** and ``co`de``'],
    // docutils: the literal's content is "`y"; a longer fence and padding keep the backtick.
    ['``x`` and ```y`` ', '`x` and `` `y `` '],
    ['`a link <https://example.org/x_(y)>`_', null],
    [':func:`f`', null],
    ['`x`:role:', null],
    ['[1]_ footnote', null],
  ])('%j', (text, markdown) => {
    expect(rstInline(text, new Map())).toBe(markdown);
  });
});

describe('bounded', () => {
  it('converts a megabyte entry in linear time and never throws on hostile text', () => {
    const started = performance.now();
    for (const entry of ['*'.repeat(1 << 20), '``'.repeat(1 << 19), '`'.repeat(1 << 20), '- '.repeat(1 << 19), `- a\n${'  '.repeat(4000)}- b\n`, '[a'.repeat(1 << 19), '_a'.repeat(1 << 19), 'x\n'.repeat(1 << 19)]) {
      expect(() => rstToMarkdown(entry)).not.toThrow();
    }
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
