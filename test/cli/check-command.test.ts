import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { captureIo } from '../helpers/cli-io.js';

const exec = promisify(execFile);
let repo: string;

async function git(...args: string[]) {
  await exec('git', ['-C', repo, ...args], {
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' },
  });
}

function pyproject(version: string, extra = ''): string {
  return `[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "demo"\nversion = "${version}"\n${extra}`;
}

async function run(...args: string[]) {
  return runWith({}, ...args);
}

async function runWith(options: { env?: Record<string, string>; stdoutIsTty?: boolean }, ...args: string[]) {
  const io = captureIo({ cwd: repo, ...options });
  const code = await main(['check', ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'pyrelease-check-'));
  await exec('git', ['init', '-q', '-b', 'main', repo]);
  await writeFile(join(repo, 'pyproject.toml'), pyproject('1.2.0'));
  await git('add', '.');
  await git('commit', '-qm', 'first');
  await git('tag', 'v1.2.0');
  await git('checkout', '-qb', 'feature');
});

afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe('pyrelease check', () => {
  it('passes when the change leaves the version alone', async () => {
    const r = await run('--target', 'main');
    expect(r.code).toBe(0);
    expect(r.out).toBe('pyrelease: demo 1.2.0 passes the version checks\n');
  });

  it('--format markdown prints the merge-request comment, for CI to post', async () => {
    const r = await run('--target', 'main', '--format', 'markdown');
    expect(r.code).toBe(0);
    expect(r.out.startsWith('<!-- pyrelease:report -->\n### ✅ pyrelease: demo 1\\.2\\.0 passes the version checks')).toBe(true);
  });

  it('fails when the version goes down, naming both versions', async () => {
    await writeFile(join(repo, 'pyproject.toml'), pyproject('1.1.0'));
    const r = await run('--target', 'main', '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { status: { state: string }; findings: Array<{ code: string; message: string }> };
    expect(report.status.state).toBe('failure');
    const lower = report.findings.find((f) => f.code === 'version-not-greater');
    expect(lower?.message).toContain('1.1.0');
    expect(lower?.message).toContain('1.2.0');
  });

  describe('a failing change, in each format', () => {
    const ESC = '\u001b';
    const header = 'pyrelease: version problems in demo-1.1.0-beta 1.1.0-beta: 1 error, 1 warning';
    beforeAll(async () => {
      await writeFile(join(repo, 'pyproject.toml'), pyproject('1.1.0-beta').replace('name = "demo"', 'name = "demo-1.1.0-beta"'));
    });

    it('text by default: a header line and one line per finding with its fix, no markdown', async () => {
      const r = await run('--target', 'main');
      expect(r.code).toBe(1);
      const lines = r.out.trimEnd().split('\n');
      expect(lines[0]).toBe(header);
      expect(lines.slice(1).map((l) => l.split(':')[0])).toEqual(['error', 'warning']);
      expect(lines[1]).toMatch(/^error: .*`1\.1\.0-beta`.*`1\.2\.0`.* Fix: /);
      expect(r.out).not.toMatch(/\\|###|<!--|\|/);
      expect(r.out).not.toContain(ESC);
    });

    it.each([
      ['a terminal', {}, true, true],
      ['a terminal with NO_COLOR', { NO_COLOR: '1' }, true, false],
      ['a terminal with NO_COLOR and FORCE_COLOR', { NO_COLOR: '1', FORCE_COLOR: '1' }, true, false],
      ['a terminal with an empty NO_COLOR', { NO_COLOR: '' }, true, true],
      ['a terminal with FORCE_COLOR=0', { FORCE_COLOR: '0' }, true, false],
      ['a terminal with TERM=dumb', { TERM: 'dumb' }, true, false],
      ['a pipe', {}, false, false],
      ['a pipe with FORCE_COLOR', { FORCE_COLOR: '1' }, false, true],
    ])('on %s, colour is %s', async (_name, env, stdoutIsTty, coloured) => {
      const r = await runWith({ env, stdoutIsTty }, '--target', 'main');
      expect(r.code).toBe(1);
      expect(r.out.includes(`${ESC}[`)).toBe(coloured);
      // eslint-disable-next-line no-control-regex
      expect(r.out.replace(/\u001b\[[0-9;]*m/g, '').split('\n')[0]).toBe(header);
    });

    it('--format markdown prints the comment, escapes and all', async () => {
      const r = await runWith({ stdoutIsTty: true }, '--target', 'main', '--format', 'markdown');
      expect(r.code).toBe(1);
      expect(r.out).toContain('### ❌ pyrelease: version problems in demo\\-1\\.1\\.0\\-beta 1\\.1\\.0\\-beta');
      expect(r.out).not.toContain(ESC);
    });

    it('--format json and its alias --json print the same JSON', async () => {
      const json = await run('--target', 'main', '--format', 'json');
      const alias = await run('--target', 'main', '--json');
      expect([json.code, alias.code]).toEqual([1, 1]);
      expect(json.out).toBe(alias.out);
      const parsed = JSON.parse(json.out) as { status: { state: string }; findings: Array<{ code: string }> };
      expect(Object.keys(parsed)).toEqual(['status', 'findings']);
      expect(parsed.status.state).toBe('failure');
      expect(parsed.findings.map((f) => f.code)).toEqual(['version-not-greater', 'non-canonical-version']);
    });
  });

  it('passes a bumped version', async () => {
    await writeFile(join(repo, 'pyproject.toml'), pyproject('1.3.0'));
    expect((await run('--target', 'main')).code).toBe(0);
  });

  it('checks a release tag against pyproject.toml', async () => {
    await writeFile(join(repo, 'pyproject.toml'), pyproject('1.3.0'));
    expect((await run('--tag', 'v1.3.0')).code).toBe(0);
    const mismatch = await run('--tag', 'v1.4.0', '--json');
    expect(mismatch.code).toBe(1);
    expect(mismatch.out).toContain('1.4.0');
  });

  it('reports an invalid repo config with its exact field', async () => {
    await writeFile(join(repo, 'pyproject.toml'), pyproject('1.3.0', '\n[tool.pyrelease]\ntag-mode = "loose"\n'));
    const r = await run('--no-target', '--json');
    expect(r.code).toBe(1);
    expect(r.out).toContain('tool.pyrelease.tag-mode');
  });

  it.each([
    ['--target', 'nonexistent'],
    ['--target', '-oops'],
    ['--target', 'a..b'],
    ['one', 'two'],
    ['--format', 'html'],
    ['--json', '--format', 'text'],
  ])('exits 2 on usage problem %j %j', async (...args) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.err).not.toBe('');
  });
});
