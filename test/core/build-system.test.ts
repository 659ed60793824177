import { describe, expect, it } from 'vitest';
import { readBuildSystem, requirementProblem } from '../../src/core/build-system.js';

describe('readBuildSystem', () => {
  it.each([
    ['no pyproject.toml', null, { requires: ['setuptools>=40.8.0'], backend: 'setuptools.build_meta:__legacy__', backendPath: [] }],
    ['no [build-system]', '[project]\nname = "x"\n', { requires: ['setuptools>=40.8.0'], backend: 'setuptools.build_meta:__legacy__', backendPath: [] }],
    ['requires without a backend', '[build-system]\nrequires = ["setuptools>=61", "wheel"]\n', { requires: ['setuptools>=61', 'wheel'], backend: 'setuptools.build_meta:__legacy__', backendPath: [] }],
    ['hatchling', '[build-system]\nrequires = ["hatchling>=1.18"]\nbuild-backend = "hatchling.build"\n', { requires: ['hatchling>=1.18'], backend: 'hatchling.build', backendPath: [] }],
    ['an in-tree backend', '[build-system]\nrequires = []\nbuild-backend = "backend:api"\nbackend-path = ["_build"]\n', { requires: [], backend: 'backend:api', backendPath: ['_build'] }],
    ['markers and extras', '[build-system]\nrequires = ["setuptools[core] >= 70; python_version >= \'3.8\'"]\nbuild-backend = "setuptools.build_meta"\n', { requires: ["setuptools[core] >= 70; python_version >= '3.8'"], backend: 'setuptools.build_meta', backendPath: [] }],
  ])('%s', (_name, text, expected) => {
    expect(readBuildSystem(text)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['invalid TOML', '[build-system\n', /not valid TOML/],
    ['requires not a list', '[build-system]\nrequires = "setuptools"\n', /list of strings/],
    ['a pip option as a requirement', '[build-system]\nrequires = ["--index-url=http://127.0.0.1:1/simple"]\n', /not a PEP 508 requirement/],
    ['a direct reference', '[build-system]\nrequires = ["evil @ file:///etc/shadow"]\n', /direct references/],
    ['a backend that is not a module path', '[build-system]\nrequires = []\nbuild-backend = "os; import os"\n', /module path/],
    ['a backend-path that leaves the project', '[build-system]\nrequires = []\nbuild-backend = "b"\nbackend-path = ["../../etc"]\n', /leaves the project/],
    ['an absolute backend-path', '[build-system]\nrequires = []\nbuild-backend = "b"\nbackend-path = ["/usr/lib"]\n', /leaves the project/],
  ])('refuses %s', (_name, text, message) => {
    const result = readBuildSystem(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });
});

describe('requirementProblem', () => {
  it.each(['wheel', 'setuptools>=61', 'poetry-core>=1.0.0,<2', 'Cython~=3.0', 'numpy; python_version<"3.13"', 'pkg[extra1,extra2]==1.0', 'a'])('accepts %s', (req) => {
    expect(requirementProblem(req)).toBeNull();
  });
  it.each(['', '-e .', '--extra-index-url=http://x', './local-dir', '/abs/path', 'pkg @ https://example.invalid/p.whl', 'pkg\n--index-url x', 'x'.repeat(501)])('refuses %j', (req) => {
    expect(requirementProblem(req)).not.toBeNull();
  });
});
