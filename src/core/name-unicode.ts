// Python's str semantics that project names and file names depend on, in one place.
//
// pypa/packaging runs on CPython, whose `str.lower()` and Unicode `\w` follow the
// Unicode database CPython was built with (14.0 for 3.11, 15.0 for 3.12, 15.1 for
// 3.13, 16.0 for 3.14). V8 takes both from ICU (Unicode 15.1-17 on Node 20-24).
// test/core/names-unicode.test.ts checks every code point against CPython 3.11:
// the two agree on every code point assigned in Unicode 14, including the
// multi-character lowercasings (U+0130 -> "i\u0307") and the context-dependent final
// sigma; they differ only on code points that CPython 3.11 still sees as unassigned.

/** Python `str.lower()`: full Unicode lowercasing, locale-independent. */
export function pythonLower(s: string): string {
  // toLowerCase (not toLocaleLowerCase) applies the locale-free SpecialCasing rules,
  // the same ones CPython applies (final sigma included).
  return s.toLowerCase();
}

/**
 * The characters Python's `re` matches with `\w` on str patterns (re.UNICODE):
 * `str.isalnum()` plus `_`. isalnum = isalpha (L*) or isnumeric (Nd, Nl, No; the
 * other numeric characters, CJK numerals, are Lo), so `[\p{L}\p{N}_]` is exact.
 */
export const PY_WORD_CLASS = '\\p{L}\\p{N}_';

/** Compare strings by code point, as Python's `<` and `sorted()` do (JS sorts UTF-16 units). */
export function compareCodePoints(a: string, b: string): -1 | 0 | 1 {
  // codePointAt yields a lone surrogate as its own value, as Python sees it.
  let i = 0;
  while (i < a.length && i < b.length) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
  }
  if (a.length === b.length) return 0;
  return a.length < b.length ? -1 : 1;
}
