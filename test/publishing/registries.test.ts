import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { credentialEnvPrefix, credentialsFor, credentialsFromEnv, parsePypirc } from '../../src/publishing/credentials.js';
import { BUILTIN_REGISTRIES, resolveTargets } from '../../src/publishing/registries.js';
import { parseServerConfig } from '../../src/server-config.js';

describe('registry targets', () => {
  it('resolves the built-in pypi and testpypi targets with their rules', () => {
    const [pypi, testpypi] = resolveTargets(['pypi', 'testpypi'], BUILTIN_REGISTRIES, {});
    expect(pypi).toEqual({
      name: 'pypi',
      uploadUrl: 'https://upload.pypi.org/legacy/',
      simpleUrl: 'https://pypi.org/simple/',
      rules: { refusesLocalVersions: true, oneSdistPerRelease: true, maxFileBytes: 100 * 1024 * 1024 },
    });
    expect(testpypi?.simpleUrl).toBe('https://test.pypi.org/simple/');
  });

  it('derives the GitLab project registry from the project id and the GitLab URL', () => {
    const [gitlab] = resolveTargets(['gitlab'], BUILTIN_REGISTRIES, { gitlabProjectId: 42, gitlabUrl: 'https://gitlab.example.invalid/' });
    expect(gitlab?.uploadUrl).toBe('https://gitlab.example.invalid/api/v4/projects/42/packages/pypi');
    expect(gitlab?.simpleUrl).toBe('https://gitlab.example.invalid/api/v4/projects/42/packages/pypi/simple/');
    expect(gitlab?.rules.refusesLocalVersions).toBe(false);
  });

  it('refuses the GitLab registry for a repository that is not a GitLab project', () => {
    expect(() => resolveTargets(['gitlab'], BUILTIN_REGISTRIES, {})).toThrow(AppError);
  });

  it('names the known registries when a repository asks for an unknown one', () => {
    try {
      resolveTargets(['nexus'], BUILTIN_REGISTRIES, {});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('registry-unknown');
      expect((error as AppError).message).toContain('gitlab, pypi, testpypi');
    }
  });

  it('does not take Object.prototype keys for registries', () => {
    expect(() => resolveTargets(['constructor'], BUILTIN_REGISTRIES, {})).toThrow(AppError);
  });
});

describe('server config file', () => {
  it('overlays the built-ins with custom indexes', () => {
    const result = parseServerConfig(`
registries:
  internal:
    upload-url: https://pypi.internal.invalid/legacy/
    simple-url: https://pypi.internal.invalid/simple
    refuses-local-versions: true
`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.keys(result.config.registries).sort()).toEqual(['gitlab', 'internal', 'pypi', 'testpypi']);
    const [internal] = resolveTargets(['internal'], result.config.registries, {});
    expect(internal?.simpleUrl).toBe('https://pypi.internal.invalid/simple/');
    expect(internal?.rules).toEqual({ refusesLocalVersions: true, oneSdistPerRelease: false, maxFileBytes: 100 * 1024 * 1024 });
  });

  it.each([
    ['registries:\n  x:\n    upload-url: ftp://a/\n    simple-url: https://a/\n', 'registries.x'],
    ['registries:\n  Bad Name:\n    kind: gitlab\n', 'registries'],
    ['registries:\n  x:\n    kind: gitlab\n    token: abc\n', 'registries.x'],
    ['nope: 1\n', '(file)'],
    ['registries: [\n', 'invalid YAML'],
  ])('reports %j at %s', (text, where) => {
    const result = parseServerConfig(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.join('\n')).toContain(where);
  });

  it('works with no file at all', () => {
    const result = parseServerConfig(null);
    expect(result.ok && Object.keys(result.config.registries).sort()).toEqual(['gitlab', 'pypi', 'testpypi']);
  });
});

describe('registry credentials', () => {
  it.each([
    ['pypi', 'PYRELEASE_REGISTRY_PYPI'],
    ['my-index', 'PYRELEASE_REGISTRY_MY_INDEX'],
  ])('reads %s from %s_*', (name, prefix) => {
    expect(credentialEnvPrefix(name)).toBe(prefix);
    expect(credentialsFromEnv(name, { [`${prefix}_TOKEN`]: 't0k' })).toEqual({ username: '__token__', password: 't0k' });
    expect(credentialsFromEnv(name, { [`${prefix}_USERNAME`]: 'deploy', [`${prefix}_PASSWORD`]: 'pw' })).toEqual({ username: 'deploy', password: 'pw' });
    expect(credentialsFromEnv(name, { [`${prefix}_USERNAME`]: 'deploy' })).toBeNull();
  });

  it('parses .pypirc sections', () => {
    const sections = parsePypirc('[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = pypi-abc\n# note\n[internal]\nusername: bob\npassword: x y\n');
    expect(sections.get('pypi')).toEqual({ username: '__token__', password: 'pypi-abc' });
    expect(sections.get('internal')).toEqual({ username: 'bob', password: 'x y' });
  });

  it('says where to put missing credentials, without inventing any', async () => {
    await expect(credentialsFor('pypi', {})).rejects.toThrow(/PYRELEASE_REGISTRY_PYPI_TOKEN/);
  });
});
