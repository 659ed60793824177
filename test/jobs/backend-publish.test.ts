import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { copyProject, packForgeArchive } from '../helpers/archive-fixtures.js';
import type { FixtureProject } from '../helpers/archive-fixtures.js';
import { DEFAULT_LIMITS } from '../../src/publishing/containment.js';
import { probeSandbox } from '../../src/publishing/sandbox-probe.js';
import { publishHarness } from '../helpers/publish-harness.js';
import type { PublishHarness } from '../helpers/publish-harness.js';

/**
 * One release per build backend Debian packages, through the real publish path: a forge
 * archive (no .git) on the real queue and worker, a real (contained, where this machine
 * can) build, inspection, and uploads to a fake index on 127.0.0.1. Dynamic versions
 * get a release version that is in no file of the project: it must come through.
 */
const rows: ReadonlyArray<{ fixture: FixtureProject; backend: string; project: string; version: string; sdist: string; wheel: string }> = [
  { fixture: 'setuppy-module', backend: 'setuptools, setup.py only', project: 'setuppy-sample', version: '2.7.1', sdist: 'setuppy-sample-2.7.1.tar.gz', wheel: 'setuppy_sample-2.7.1-py3-none-any.whl' },
  { fixture: 'setuptools-scm', backend: 'setuptools-scm', project: 'scm-sample', version: '3.2.0', sdist: 'scm-sample-3.2.0.tar.gz', wheel: 'scm_sample-3.2.0-py3-none-any.whl' },
  { fixture: 'hatchling-static', backend: 'hatchling', project: 'hatch-static', version: '2.0.1', sdist: 'hatch_static-2.0.1.tar.gz', wheel: 'hatch_static-2.0.1-py3-none-any.whl' },
  { fixture: 'hatch-vcs', backend: 'hatch-vcs', project: 'vcs-sample', version: '1.0.0rc2', sdist: 'vcs_sample-1.0.0rc2.tar.gz', wheel: 'vcs_sample-1.0.0rc2-py3-none-any.whl' },
  { fixture: 'poetry', backend: 'poetry-core', project: 'poetry-sample', version: '0.3.0', sdist: 'poetry_sample-0.3.0.tar.gz', wheel: 'poetry_sample-0.3.0-py3-none-any.whl' },
  { fixture: 'flit-module', backend: 'flit_core', project: 'flit-sample', version: '0.5.2', sdist: 'flit-sample-0.5.2.tar.gz', wheel: 'flit_sample-0.5.2-py3-none-any.whl' },
  { fixture: 'flit-scm', backend: 'flit_scm', project: 'flitscm-sample', version: '2.1.0', sdist: 'flitscm-sample-2.1.0.tar.gz', wheel: 'flitscm_sample-2.1.0-py3-none-any.whl' },
  { fixture: 'meson-python', backend: 'meson-python', project: 'meson-sample', version: '1.2.0', sdist: 'meson_sample-1.2.0.tar.gz', wheel: 'meson_sample-1.2.0-py3-none-any.whl' },
  { fixture: 'in-tree-backend', backend: 'in-tree (backend-path)', project: 'intree-sample', version: '4.0.0', sdist: 'intree-sample-4.0.0.tar.gz', wheel: 'intree_sample-4.0.0-py3-none-any.whl' },
];

/** Rows run concurrently: each removes what it made through its own test context. */
type Cleanup = (fn: () => Promise<unknown>) => void;

/** How the harness's worker builds here: contained wherever this machine can contain builds. */
const builds = (await probeSandbox({ setting: 'auto', uid: 65532, limits: DEFAULT_LIMITS })).kind;

async function forgeArchive(fixture: FixtureProject, cleanup: Cleanup): Promise<string> {
  const dir = await copyProject(fixture);
  cleanup(() => rm(dirname(dir), { recursive: true, force: true }));
  const archive = await packForgeArchive(dir, { name: fixture, sha: 'b'.repeat(40) });
  cleanup(() => rm(dirname(archive), { recursive: true, force: true }));
  return archive;
}

/** The wheel as a client gets it: its URL from the simple index (PEP 691 JSON), then the file. */
async function downloadWheel(h: PublishHarness, project: string, filename: string, cleanup: Cleanup): Promise<string> {
  const page = await fetch(`${h.index.simpleUrl}${project}/`, { headers: { Accept: 'application/vnd.pypi.simple.v1+json' } });
  expect(page.status).toBe(200);
  const listing = (await page.json()) as { files: Array<{ filename: string; url: string; hashes: { sha256: string } }> };
  const entry = listing.files.find((f) => f.filename === filename);
  if (entry === undefined) throw new Error(`${filename} is not on the simple page of ${project}`);
  const body = Buffer.from(await (await fetch(new URL(entry.url, page.url))).arrayBuffer());
  expect(createHash('sha256').update(body).digest('hex')).toBe(entry.hashes.sha256);
  const dir = await mkdtemp(join(tmpdir(), 'pyrelease-wheel-'));
  cleanup(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, filename), body);
  return join(dir, filename);
}

// Read by Python's own zipfile and email parser, not by the code under test.
const READ_METADATA = [
  'import email.parser, json, sys, zipfile',
  'z = zipfile.ZipFile(sys.argv[1])',
  'names = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]',
  'm = email.parser.BytesParser().parsebytes(z.read(names[0]))',
  'print(json.dumps({"files": names, "name": m["Name"], "version": m["Version"]}))',
].join('\n');

async function wheelMetadata(path: string): Promise<{ files: string[]; name: string; version: string }> {
  const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-I', '-c', READ_METADATA, path]);
  return JSON.parse(stdout) as { files: string[]; name: string; version: string };
}

describe.concurrent('a release of each build backend through the real queue, worker, build and index', () => {
  it.for(rows)('$backend ($fixture $version): $sdist and $wheel, each uploaded once', async ({ fixture, project, version, sdist, wheel }, { onTestFinished }) => {
    const cleanup: Cleanup = (fn) => onTestFinished(async () => void (await fn()));
    const h = await publishHarness();
    cleanup(() => h.close());
    await h.startWorker();
    const started = h.logLines.map((l) => JSON.parse(l) as { msg?: string; builds?: string }).find((l) => l.msg === 'worker started');
    expect(started?.builds).toBe(builds);
    const jobId = await h.enqueue({ version, buildTool: 'build', source: { kind: 'archive', path: await forgeArchive(fixture, cleanup) } });
    const job = (await h.queue.getJob(jobId))!;
    const result = (await job.waitUntilFinished(h.events, 120_000)) as { files: Array<{ filename: string; outcome: string }> };
    expect(await (await h.queue.getJob(jobId))!.getState()).toBe('completed');
    expect(result.files.map((f) => [f.filename, f.outcome]).sort()).toEqual([[sdist, 'uploaded'], [wheel, 'uploaded']].sort());

    expect(h.index.files().map((f) => [f.filename, f.version]).sort()).toEqual([[sdist, version], [wheel, version]].sort());
    const accepted = h.index.uploads.filter((u) => u.status < 300).map((u) => u.filename);
    expect(accepted.sort()).toEqual([sdist, wheel].sort());

    const metadata = await wheelMetadata(await downloadWheel(h, project, wheel, cleanup));
    expect(metadata).toEqual({ files: [`${wheel.split('-').slice(0, 2).join('-')}.dist-info/METADATA`], name: project, version });
  });
});
