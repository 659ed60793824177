// The tokenizer behind the static version reader: statements as Python's own tokenizer
// splits them, string values as Python evaluates them, never a throw.
import { describe, expect, it } from 'vitest';
import { pythonStatements } from '../../src/core/python-tokens.js';
import { literalVersion, readModule } from '../../src/core/python-module.js';

const summary = (text: string): Array<[number, number, string]> =>
  pythonStatements(text).map((s) => [s.line, s.indent, s.tokens.map((t) => t.text).join(' ')]);

describe('pythonStatements', () => {
  it.each<[string, string, Array<[number, number, string]>]>([
    ['one per line', 'a = 1\nb = 2\n', [[1, 0, 'a = 1'], [2, 0, 'b = 2']]],
    ['brackets join lines', 'x = (\n  1,\n  2)\ny = 3', [[1, 0, 'x = ( 1 , 2 )'], [4, 0, 'y = 3']]],
    ['a backslash joins lines', 'x = 1 + \\\n  2\n', [[1, 0, 'x = 1 + 2']]],
    ['a triple-quoted string spans lines and counts them', '"""doc\nmore\n"""\nv = "1"\n', [[1, 0, '"""doc\nmore\n"""'], [4, 0, 'v = "1"']]],
    ['comments go, even with quotes in them', "# it's\nv = '1'  # don't\n", [[2, 0, "v = '1'"]]],
    ['indentation with tabs counts to eight', 'if x:\n\tv = 1\n', [[1, 0, 'if x :'], [2, 8, 'v = 1']]],
    ['semicolons split statements', 'a = 1; b = 2\n', [[1, 0, 'a = 1'], [1, 0, 'b = 2']]],
    ['CRLF and a BOM', '\uFEFFa = 1\r\nb = 2\r\n', [[1, 0, 'a = 1'], [2, 0, 'b = 2']]],
    ['an unterminated string ends its line, not the file', 'a = "open\nb = 2\n', [[1, 0, 'a = "open'], [2, 0, 'b = 2']]],
    ['a lone closing bracket does not swallow the file', ')\na = 1\n', [[1, 0, ')'], [2, 0, 'a = 1']]],
  ])('%s', (_label, text, expected) => {
    expect(summary(text)).toEqual(expected);
  });

  it.each<[string, string, string | null]>([
    ['double quotes', '"1.0"', '1.0'],
    ['single quotes', "'1.0'", '1.0'],
    ['a raw string keeps backslashes', "r'1\\.0'", '1\\.0'],
    ['escapes are decoded', "'1.0\\x2b'", '1.0+'],
    ['an unknown escape keeps its backslash', "'\\d'", '\\d'],
    ['u prefix', "u'2.0'", '2.0'],
    ['an f-string is not a literal', "f'{x}'", null],
    ['bytes are not a str', "b'1.0'", null],
    ['triple quotes', "'''3.0'''", '3.0'],
  ])('string value: %s', (_label, source, value) => {
    const [statement] = pythonStatements(`v = ${source}\n`);
    expect(statement?.tokens[2]?.value ?? null).toBe(value);
  });
});

describe('literalVersion: ast.literal_eval as setuptools uses it', () => {
  const value = (expr: string): string | null => {
    const [a] = readModule(`v = ${expr}\n`).assignments;
    return a === undefined ? null : (literalVersion(a.value)?.value ?? null);
  };
  it.each<[string, string | null]>([
    ['"1.2.3"', '1.2.3'],
    ['("1.2" ".3")', '1.2.3'],
    ['(1, 2, 3)', '1.2.3'],
    ['[1, 2, "rc1"]', '1.2.rc1'],
    ['1, 2', '1.2'],
    ['(1,)', '1'],
    ['1.10', '1.1'],
    ['2.0', '2.0'],
    ['1_000', '1000'],
    ['".".join(["1", "2"])', null],
    ['VERSION', null],
    ['"%d.%d" % (1, 2)', null],
    ['f"{1}.{2}"', null],
  ])('%s -> %s', (expr, expected) => {
    expect(value(expr)).toBe(expected);
  });
});

describe('readModule', () => {
  it('finds module-level assignments, chained and annotated, and imports', () => {
    const m = readModule('from ._v import a as __version__, b\nimport pkg.sub as s\nx = y = "1"\nz: str = "2"\nif c:\n    w = "3"\ndef f():\n    q = "4"\n');
    expect(m.assignments.map((a) => [a.names, a.annotated, a.line])).toEqual([[['x', 'y'], false, 3], [['z'], true, 4]]);
    expect(m.visibleAssignments.map((a) => a.names[0])).toEqual(['x', 'z', 'w']);
    expect(m.importsFrom).toEqual([{ module: '._v', names: [['a', '__version__'], ['b', 'b']], line: 1 }]);
    expect([...m.imports]).toEqual([['s', 'pkg.sub']]);
  });
});
