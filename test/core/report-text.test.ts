/* eslint-disable no-control-regex -- these tests look for control characters on purpose */
import { describe, expect, it } from 'vitest';
import { finding, quote } from '../../src/core/findings.js';
import type { Finding } from '../../src/core/findings.js';
import { renderReportText } from '../../src/core/report-text.js';
import { buildReport } from '../../src/core/report.js';

const ESC = '\u001b';
const text = (findings: readonly Finding[], color = false, subject = 'demo-pkg 1.1.0-beta', previouslyFailing = false) =>
  renderReportText(buildReport({ findings, subject, previouslyFailing }), { color });

const lower = finding('version-not-greater', 'error', `The version ${quote('1.1.0')} on this branch is lower than ${quote('1.2.0')} on ${quote('main')}.`, `Use a version above ${quote('1.2.0')}.`);
const canonical = finding('non-canonical-version', 'warning', `The version ${quote('1.1.0-beta')} is not in canonical form.`, `Write ${quote('1.1.0b0')} in pyproject.toml.`);
const noRegistries = finding('no-registries', 'notice', 'No registries are configured, so nothing is published.', null);

describe('renderReportText without colour', () => {
  it.each([
    ['an error with its fix', [lower], 'pyrelease: version problems in demo-pkg 1.1.0-beta: 1 error', 'error: The version `1.1.0` on this branch is lower than `1.2.0` on `main`. Fix: Use a version above `1.2.0`.'],
    ['a warning with its fix', [canonical], 'pyrelease: demo-pkg 1.1.0-beta passes the version checks: 1 warning', 'warning: The version `1.1.0-beta` is not in canonical form. Fix: Write `1.1.0b0` in pyproject.toml.'],
    ['a notice without a fix', [noRegistries], 'pyrelease: demo-pkg 1.1.0-beta passes the version checks: 1 notice', 'notice: No registries are configured, so nothing is published.'],
  ])('%s: a header line, then one line for the finding', (_name, findings, header, row) => {
    expect(text(findings)).toBe(`${header}\n${row}\n`);
  });

  it('has no markdown: no escapes, no table, no marker', () => {
    const out = text([lower, canonical]);
    expect(out).not.toMatch(/\\|\||<!--|###/);
    expect(out.split('\n')[0]).toBe('pyrelease: version problems in demo-pkg 1.1.0-beta: 1 error, 1 warning');
  });

  it('lists errors first, then warnings, then notices, as the comment does', () => {
    const lines = text([noRegistries, canonical, lower]).trimEnd().split('\n').slice(1);
    expect(lines.map((l) => l.split(':')[0])).toEqual(['error', 'warning', 'notice']);
  });

  it('a passing report without findings is its header alone', () => {
    expect(text([], false, 'demo 1.3.0')).toBe('pyrelease: demo 1.3.0 passes the version checks\n');
  });

  it('says when the problems of the previous report are fixed', () => {
    expect(text([], false, 'demo 1.3.0', true)).toBe('pyrelease: demo 1.3.0 passes the version checks\nAll version problems are fixed.\n');
  });

  it.each([
    ['an escape sequence', `evil${ESC}[2J${ESC}]0;owned\u0007 1.0`],
    ['a carriage return', 'evil\rpyrelease: all fine 1.0'],
    ['a bidi override', 'evil\u202e1.0'],
  ])('removes %s from the subject, so the terminal shows only our own sequences', (_name, subject) => {
    for (const color of [false, true]) {
      const out = text([lower], color, subject);
      expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001a\u001c-\u001f\u007f-\u009f\u202e]/);
      // With colour, every ESC starts one of our SGR sequences.
      expect(out.split(ESC).slice(1).every((part) => /^\[[0-9;]*m/.test(part))).toBe(true);
      if (!color) expect(out).not.toContain(ESC);
    }
  });
});

describe('renderReportText with colour', () => {
  it.each([
    ['error', lower, `${ESC}[1;31merror:${ESC}[0m`],
    ['warning', canonical, `${ESC}[1;33mwarning:${ESC}[0m`],
    ['notice', noRegistries, `${ESC}[1;36mnotice:${ESC}[0m`],
  ])('colours the %s label', (_name, f, label) => {
    const row = text([f], true).split('\n')[1] ?? '';
    expect(row.startsWith(label)).toBe(true);
  });

  it.each([
    ['failing', [lower], `${ESC}[1;31mpyrelease: version problems`],
    ['passing', [canonical], `${ESC}[1;32mpyrelease: demo-pkg`],
  ])('colours the header of a %s report', (_name, findings, start) => {
    expect(text(findings, true).startsWith(start)).toBe(true);
  });

  it('says the same words as without colour', () => {
    const stripped = text([lower, canonical, noRegistries], true).replace(/\u001b\[[0-9;]*m/g, '');
    expect(stripped).toBe(text([lower, canonical, noRegistries], false));
  });
});
