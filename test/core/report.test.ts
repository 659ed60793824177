/* eslint-disable no-control-regex -- these tests look for control characters on purpose */
import { describe, expect, it } from 'vitest';
import { checkChange } from '../../src/core/checks.js';
import type { Finding } from '../../src/core/findings.js';
import { codeSpan, escapeText, renderMessage } from '../../src/core/markdown.js';
import { readRepoConfig } from '../../src/core/repo-config.js';
import { MAX_REPORT_LENGTH, REPORT_MARKER, isOwnReport, renderReport, statusLine } from '../../src/core/report.js';

const f = (severity: Finding['severity'], message: string, fix: string | null = null): Finding => ({
  code: severity === 'error' ? 'invalid-version' : severity === 'warning' ? 'non-canonical-version' : 'no-registries',
  severity,
  message,
  fix,
});

// Splits a table row at the pipes that end cells: a pipe preceded by a backslash is
// part of the cell (GFM), whatever comes before that backslash.
function cells(row: string): string[] {
  return row.split(/(?<!\\)\|/).slice(1, -1);
}

// The text outside code spans, where markdown, HTML and mentions are live, without the
// entities the escaping itself writes (which contain '#' and '&').
function outsideCode(text: string): string {
  return withoutEntities(text.replace(/\\`/g, '').split('`').filter((_, i) => i % 2 === 0).join(' '));
}

function withoutEntities(text: string): string {
  return text.replace(/&(lt|gt|amp|#8203);/g, ' ');
}

function codeParts(text: string): string[] {
  return text.replace(/\\`/g, '').split('`').filter((_, i) => i % 2 === 1);
}

const HOSTILE = [
  '@admin please look',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '--> <!-- hidden',
  '`code` breaks `out',
  'a | b | c',
  'a \\| b',
  '[click](https://evil.example)',
  '![x](https://evil.example/x.png)',
  'https://evil.example/path',
  'www.evil.example',
  'fixes #123 and !45 and ~bug and %m1 and $snip',
  'org/repo#1',
  'line one\n# Heading\n\n| a | b |',
  'right-to-left \u202e gnp.exe',
  'nul \u0000 bell \u0007 esc \u001b[31m del \u007f c1 \u0085',
  '*bold* _it_ ~~strike~~ :tada: &amp; &#64;x',
  'x'.repeat(5000),
];

describe('escaping', () => {
  it.each(HOSTILE)('escapeText(%j) leaves nothing live', (value) => {
    const out = escapeText(value);
    const live = withoutEntities(out);
    expect(out).not.toMatch(/[<>\n\r\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(live).not.toMatch(/(^|[^\\])[[\]()`|*_~!#:.]/);
    expect(live).not.toMatch(/[@#!~%$^][A-Za-z0-9]/);
    expect(live).not.toMatch(/&/);
    expect(live).not.toMatch(/https?:|www\./);
    expect(out.length).toBeLessThan(1000 * 12);
  });

  it.each(HOSTILE)('codeSpan(%j) is one code span that cannot end early', (value) => {
    const out = codeSpan(value);
    expect(out.startsWith('`') && out.endsWith('`')).toBe(true);
    expect(out.slice(1, -1)).not.toMatch(/[`\n\r\u0000-\u001f\u202e]/);
    expect(cells(`|${out}|`)).toHaveLength(1);
    expect(out.length).toBeLessThanOrEqual(122 + 10);
  });

  it.each([
    ['plain', 'The version is wrong.', 'The version is wrong\\.'],
    ['value', 'Use `1.2.0`.', 'Use `1.2.0`\\.'],
    ['two values', '`1.2` is lower than `1.3` on `main`.', '`1.2` is lower than `1.3` on `main`\\.'],
    ['unpaired backtick stays prose', 'a `b', 'a \\`b'],
    ['empty value', 'got `` here', 'got \\(empty\\) here'],
    ['pipe in a value', 'tag `a|b`', 'tag `a\\|b`'],
    ['backslash in a value', 'tag `a\\`', 'tag `a\uff3c`'],
    ['mention in prose', 'ask @bob', 'ask \\@&#8203;bob'],
    ['html in prose', '<b>', '&lt;b&gt;'],
  ])('renderMessage: %s', (_name, message, expected) => {
    expect(renderMessage(message)).toBe(expected);
  });
});

describe('renderReport', () => {
  it.each<[string, Finding[], boolean | undefined, RegExp[], RegExp[]]>([
    ['no findings', [], undefined, [/^### ✅ /m, /No version problems found\./], [/All version problems are fixed/, /\| --- \|/]],
    ['fixed since last time', [], true, [/^### ✅ /m, /All version problems are fixed\./], [/No version problems/]],
    ['errors', [f('error', 'bad `x`', 'Use `1.0`.')], undefined, [/^### ❌ /m, /1 error:/, /\| ❌ error \| bad `x` \| Use `1\.0`\\\. \|/], [/✅/]],
    ['errors, previously failing too', [f('error', 'bad')], true, [/^### ❌ /m], [/All version problems are fixed/]],
    ['warnings only, previously failing', [f('warning', 'spelling')], true, [/^### ✅ /m, /All version problems are fixed\./, /1 warning:/, /⚠️ warning/], [/❌/]],
    ['notice without fix shows a dash', [f('notice', 'checked only')], undefined, [/\| ℹ️ notice \| checked only \| — \|/], []],
    ['counts', [f('error', 'a'), f('error', 'b'), f('warning', 'c'), f('notice', 'd')], undefined, [/2 errors, 1 warning, 1 notice:/], []],
  ])('%s', (_name, findings, previouslyFailing, present, absent) => {
    const body = renderReport(previouslyFailing === undefined ? { findings, subject: 'version 1.0 of pkg' } : { findings, subject: 'version 1.0 of pkg', previouslyFailing });
    expect(body.startsWith(REPORT_MARKER + '\n')).toBe(true);
    expect(isOwnReport(body)).toBe(true);
    for (const re of present) expect(body).toMatch(re);
    for (const re of absent) expect(body).not.toMatch(re);
  });

  it('sorts errors first even when given out of order', () => {
    const body = renderReport({ findings: [f('notice', 'N'), f('warning', 'W'), f('error', 'E')], subject: 's' });
    const rows = body.split('\n').filter((l) => /^\| (❌|⚠️|ℹ️)/.test(l));
    expect(rows.map((r) => cells(r)[1]?.trim())).toEqual(['E', 'W', 'N']);
  });

  it.each(HOSTILE)('a hostile value %j cannot inject anything', (value) => {
    // Through the real checks, so that the values reach the report the way they do in production.
    const findings = checkChange({
      head: { version: { kind: 'static', version: value } },
      target: { version: { kind: 'static', version: value + '2' }, branch: value },
      tags: [value],
      tag: value,
      published: [{ registry: value, refusesLocal: true, versions: [value] }],
      config: readRepoConfig({ pyreleaseYml: `${JSON.stringify(value)}: 1` }),
      projectProblems: [{ code: 'x', message: value, field: value }],
    });
    const body = renderReport({ findings, subject: `version ${value} of ${value}` });
    const lines = body.trimEnd().split('\n');
    expect(lines[0]).toBe(REPORT_MARKER);
    expect(body.split(REPORT_MARKER)).toHaveLength(2);
    expect(outsideCode(body.slice(REPORT_MARKER.length))).not.toContain('<!--'); // nothing opens a comment that hides the rest
    expect(body).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    // Heading, blank, summary, blank, header, divider and one line per finding: no line breaks got in.
    const rows = lines.slice(lines.indexOf('| | Problem | Fix |') + 2);
    expect(rows).toHaveLength(findings.length);
    for (const row of rows) {
      expect(cells(row)).toHaveLength(3);
      const prose = outsideCode(row);
      expect(prose).not.toMatch(/[<>]/);
      expect(prose).not.toMatch(/[@#!~%$^][A-Za-z0-9]/);
      expect(prose).not.toMatch(/(^|[^\\])[[\]()!#~]/);
      expect(prose).not.toMatch(/https?:\/\/|www\.e/);
      for (const code of codeParts(row)) expect(code.length).toBeLessThanOrEqual(125);
    }
    expect(outsideCode(lines[1] ?? '')).not.toMatch(/[<>]|@[a-z]|(^|[^\\])[[\]]/);
  });

  it('a long message and a huge subject are cut', () => {
    const body = renderReport({ findings: [f('error', 'x'.repeat(100_000), 'y'.repeat(100_000))], subject: 'z'.repeat(100_000) });
    expect(body.length).toBeLessThan(3000);
    expect(body).toContain('…');
  });

  it.each([
    [10, 0],
    [500, 0],
    [5_000, 1],
  ])('%i findings stay under the size limit and say how many were left out', (n, expectCut) => {
    const findings = Array.from({ length: n }, (_, i) => f(i % 3 === 0 ? 'error' : 'warning', `problem number ${i} with \`${'v'.repeat(40)}\``, `fix ${i}`));
    const body = renderReport({ findings, subject: 'version 1 of pkg' });
    expect(body.length).toBeLessThanOrEqual(MAX_REPORT_LENGTH);
    const shown = body.split('\n').filter((l) => /^\| (❌|⚠️)/.test(l)).length;
    const cut = body.match(/(\d+) more findings? left out/);
    if (expectCut === 0) {
      expect(cut).toBeNull();
      expect(shown).toBe(n);
    } else {
      expect(Number(cut?.[1])).toBe(n - shown);
      expect(shown).toBeGreaterThan(100);
    }
  });
});

describe('statusLine', () => {
  it.each<[string, Finding[], 'success' | 'failure', string]>([
    ['nothing', [], 'success', 'Version checks passed'],
    ['a notice', [f('notice', 'checked only')], 'success', 'Version checks passed'],
    ['warnings', [f('warning', 'a'), f('warning', 'b')], 'success', 'Version checks passed (2 warnings)'],
    ['one error', [f('warning', 'w'), f('error', '`1.2.0` on this branch is lower than `1.3.0` on `main`.')], 'failure', '1.2.0 on this branch is lower than 1.3.0 on main.'],
    ['two errors', [f('error', 'first'), f('error', 'second')], 'failure', '2 errors; first'],
  ])('%s', (_name, findings, state, description) => {
    expect(statusLine(findings)).toEqual({ state, description });
  });

  it.each(HOSTILE)('stays one plain line of at most 140 characters for %j', (value) => {
    const line = statusLine([f('error', `The version \`${value}\` is bad.`)]);
    expect(line.state).toBe('failure');
    expect(line.description.length).toBeLessThanOrEqual(140);
    expect(line.description).not.toMatch(/[\n\r`\u0000-\u001f\u202e]/);
  });

  it('does not split a surrogate pair when cutting', () => {
    const line = statusLine([f('error', 'x'.repeat(138) + '😀😀😀')]);
    expect(line.description.length).toBeLessThanOrEqual(140);
    expect(line.description).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe('isOwnReport', () => {
  it.each<[string, boolean]>([
    [`${REPORT_MARKER}\n### ✅ ok`, true],
    [`\n  ${REPORT_MARKER}\r\n### ✅ ok`, true],
    ['### ✅ ok', false],
    [`quoting: ${REPORT_MARKER}`, false],
    ['<!-- pyrelease:reports -->', false],
    ['', false],
  ])('%j -> %s', (body, expected) => {
    expect(isOwnReport(body)).toBe(expected);
  });
});
