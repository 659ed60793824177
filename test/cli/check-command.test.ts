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
  const io = captureIo({ cwd: repo });
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
    expect(r.out).toContain('<!-- pyrelease:report -->');
    expect(r.out).toContain('passes the version checks');
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

  it.each([['--target', 'nonexistent'], ['--target', '-oops'], ['--target', 'a..b'], ['one', 'two']])('exits 2 on usage problem %j %j', async (...args) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.err).not.toBe('');
  });
});
