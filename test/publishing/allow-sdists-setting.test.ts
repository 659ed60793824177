import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('PYRELEASE_BUILD_ALLOW_SDISTS', () => {
  it('is empty by default: build requirements are wheels only', () => {
    const result = loadConfig({});
    expect(result.ok && result.config.buildAllowSdists).toEqual([]);
  });

  it('reads comma-separated project names, PEP 503-normalised', () => {
    const result = loadConfig({ PYRELEASE_BUILD_ALLOW_SDISTS: ' Sdist_Dep , foo.bar,' });
    expect(result.ok && result.config.buildAllowSdists).toEqual(['sdist-dep', 'foo-bar']);
  });

  it('refuses an entry that is not a project name (a requirement, an option)', () => {
    for (const value of ['foo==1.0', '--index-url=x', 'a b']) {
      const result = loadConfig({ PYRELEASE_BUILD_ALLOW_SDISTS: value });
      expect(result.ok ? [] : result.errors).toEqual(['PYRELEASE_BUILD_ALLOW_SDISTS: each entry must be a project name']);
    }
  });
});
