import { describe, expect, it } from 'vitest';
import { hasDotSegment, isDotSegment } from '../../src/platforms/path-guard.js';

describe('the forges\' one path guard', () => {
  it.each<[string, boolean]>([
    ['', true],
    ['.', true],
    ['..', true],
    ['%2e', true],
    ['%2E%2e', true],
    ['.%2e', true],
    ['...', false],
    ['.github', false],
    ['v1.0', false],
    ['%2e%2e%2e', false],
  ])('isDotSegment(%j) is %s', (value, expected) => {
    expect(isDotSegment(value)).toBe(expected);
  });

  it.each<[string, boolean]>([
    ['pyproject.toml', false],
    ['src/pkg/__init__.py', false],
    ['../etc/passwd', true],
    ['src/../../x', true],
    ['src/%2e%2e/x', true],
    ['src//x', true],
    ['./pyproject.toml', true],
  ])('hasDotSegment(%j) is %s', (path, expected) => {
    expect(hasDotSegment(path)).toBe(expected);
  });
});
