// Expected values checked against packaging 26.2's parse_email (email.parser, compat32)
// on the pyenv python while writing these cases.
import { describe, expect, it } from 'vitest';
import { parseCoreMetadata } from '../../src/publishing/core-metadata.js';

const plain = (text: string) => {
  const m = parseCoreMetadata(text);
  return { fields: Object.fromEntries(m.fields), description: m.description, body: m.body };
};

describe('parseCoreMetadata', () => {
  it.each([
    {
      name: 'simple headers, lower-cased keys, body description',
      text: 'Metadata-Version: 2.1\nName: a\nVersion: 1.0\n\nBody\n',
      fields: { 'metadata-version': ['2.1'], name: ['a'], version: ['1.0'] },
      description: 'Body\n',
    },
    {
      name: 'repeated keys keep file order, case-insensitively',
      text: 'Classifier: B\nName: x\nclassifier: A\nCLASSIFIER: C\n',
      fields: { classifier: ['B', 'A', 'C'], name: ['x'] },
      description: null,
    },
    {
      name: 'continuation lines are kept verbatim after the first line',
      text: 'Summary: multi\n  line  \n\tsummary\nName: a\n',
      fields: { summary: ['multi\n  line  \n\tsummary'], name: ['a'] },
      description: null,
    },
    {
      name: '1.x Description header with the "        |" style',
      text: 'Metadata-Version: 1.2\nName: a\nDescription: first\n        |second\n        |\n        |third\n\n',
      fields: { 'metadata-version': ['1.2'], name: ['a'], description: ['first\n        |second\n        |\n        |third'] },
      description: 'first\n        |second\n        |\n        |third',
    },
    {
      name: 'an empty first line of a header keeps its newline',
      text: 'Description:\n        |x\n',
      fields: { description: ['\n        |x'] },
      description: '\n        |x',
    },
    {
      name: 'no space after the colon, trailing spaces kept',
      text: 'Name:a  \nVersion:\t 1.0\n',
      fields: { name: ['a  '], version: ['1.0'] },
      description: null,
    },
    {
      name: 'CRLF and lone CR line ends; body kept as is',
      text: 'Name: a\r\nSummary: s\r\n  c\rVersion: 1\r\n\r\nB\r\nline2\r\n',
      fields: { name: ['a'], summary: ['s\r\n  c'], version: ['1'] },
      description: 'B\r\nline2\r\n',
    },
    {
      name: 'non-ASCII values',
      text: 'Author: Jürgen Müller\nSummary: sé\n  conté ✓\n\nBody ✓\n',
      fields: { author: ['Jürgen Müller'], summary: ['sé\n  conté ✓'] },
      description: 'Body ✓\n',
    },
    {
      name: 'a non-header line starts the body (missing separator)',
      text: 'Name: a\nnot a header\nVersion: 1\n',
      fields: { name: ['a'] },
      description: 'not a header\nVersion: 1\n',
    },
    {
      name: 'a space before the colon is not a header',
      text: 'Name : a\n',
      fields: {},
      description: 'Name : a\n',
    },
    {
      name: 'a leading continuation and an empty header name are dropped',
      text: ' orphan\n: nameless\nName: a\n',
      fields: { name: ['a'] },
      description: null,
    },
    {
      name: 'the body wins over a Description header when both exist',
      text: 'Description: header\n\nbody\n',
      fields: { description: ['header'] },
      description: 'body\n',
    },
    { name: 'empty input', text: '', fields: {}, description: null },
    { name: 'an empty body is no description', text: 'Name: a\n\n', fields: { name: ['a'] }, description: null },
  ])('$name', ({ text, fields, description }) => {
    const parsed = plain(text);
    expect(parsed.fields).toEqual(fields);
    expect(parsed.description).toBe(description);
  });

  it('keeps the first appearance order of keys', () => {
    const m = parseCoreMetadata('B: 1\nA: 2\nB: 3\nC: 4\n');
    expect([...m.fields.keys()]).toEqual(['b', 'a', 'c']);
  });
});
