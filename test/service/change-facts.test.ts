// gatherChangeFacts through plain readers: the layout's files are read below the
// config's `path`, as the repository spells it, and messages name them so.
import { describe, expect, it } from 'vitest';
import { gatherChangeFacts } from '../../src/service/change-facts.js';
import type { FactSources } from '../../src/service/change-facts.js';

function sources(files: Record<string, string>, asked: string[]): FactSources {
  return {
    readHeadFile: async (path) => {
      asked.push(path);
      return files[path] ?? null;
    },
    target: null,
    listTags: async () => [],
  };
}

describe('gatherChangeFacts', () => {
  it.each(['sub', './sub', './sub/', 'sub//'])('reads a setup.py project under path = %j, and names its files from the root', async (path) => {
    const asked: string[] = [];
    const files = {
      '.pyrelease.yml': `path: ${JSON.stringify(path)}\n`,
      'sub/setup.py': 'from pkg import __version__\nsetup(name="pkg", version=__version__)\n',
      'sub/pkg/__init__.py': '__version__ = "1.2.0"\n',
    };
    const { facts, project } = await gatherChangeFacts(sources(files, asked), 'v1.2.0');
    expect(project.name).toBe('pkg');
    expect(facts.head.version).toEqual({ kind: 'static', version: '1.2.0', file: 'sub/pkg/__init__.py', line: 1 });
    expect(asked.every((p) => !p.split('/').some((s) => s === '' || s === '.'))).toBe(true);
  });
});
