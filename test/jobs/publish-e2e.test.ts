import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { copyProject, packForgeArchive } from '../helpers/archive-fixtures.js';
import type { FixtureProject } from '../helpers/archive-fixtures.js';
import { publishHarness } from '../helpers/publish-harness.js';
import type { PublishHarness } from '../helpers/publish-harness.js';

let harness: PublishHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function archiveOf(project: FixtureProject, sha = 'a'.repeat(40)): Promise<string> {
  return packForgeArchive(await copyProject(project), { name: project, sha });
}

function uploadsPerFile(h: PublishHarness): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const u of h.index.uploads) if (u.filename !== null && u.status < 300) counts[u.filename] = (counts[u.filename] ?? 0) + 1;
  return counts;
}

describe('a release through the real queue, worker, build and index', () => {
  it.each([
    ['setuptools-static', '1.4.0', 'build', ['sample_static-1.4.0-py3-none-any.whl', 'sample-static-1.4.0.tar.gz']],
    ['hatchling-static', '2.0.1', 'build', ['hatch_static-2.0.1-py3-none-any.whl', 'hatch_static-2.0.1.tar.gz']],
    ['poetry', '0.3.0', 'poetry', ['poetry_sample-0.3.0-py3-none-any.whl', 'poetry_sample-0.3.0.tar.gz']],
    ['setuptools-scm', '3.1.0', 'build', ['scm_sample-3.1.0-py3-none-any.whl', 'scm-sample-3.1.0.tar.gz']],
  ] as const)('%s %s: every file on the index once', async (project, version, buildTool, files) => {
    harness = await publishHarness();
    const worker = await harness.startWorker();
    const jobId = await harness.enqueue({ version, buildTool, source: { kind: 'archive', path: await archiveOf(project) } });
    const job = await harness.queue.getJob(jobId);
    const result = (await job!.waitUntilFinished(harness.events, 120_000)) as { files: Array<{ filename: string; outcome: string }> };
    expect(result.files.map((f) => f.outcome)).toEqual(['uploaded', 'uploaded']);
    // The names are the backend's own (setuptools 66 still keeps the dash in sdist names).
    expect(harness.index.files().map((f) => f.filename).sort()).toEqual([...files].sort());
    expect(Object.values(uploadsPerFile(harness))).toEqual([1, 1]);
    await worker.close();
  });

  it('publishes nothing twice when the same release is queued again, even after its job is gone', async () => {
    harness = await publishHarness();
    await harness.startWorker();
    const archive = await archiveOf('setuptools-static');
    const first = await harness.enqueue({ version: '1.4.0', source: { kind: 'archive', path: archive } });
    expect(await harness.enqueue({ version: '1.4.0', source: { kind: 'archive', path: archive } })).toBe(first);
    await (await harness.queue.getJob(first))!.waitUntilFinished(harness.events, 120_000);
    expect((await harness.queue.getJobCounts()).completed).toBe(1);

    // The job is cleaned up and the artifacts lost: a rebuild makes another sdist.
    await (await harness.queue.getJob(first))!.remove();
    const { rm } = await import('node:fs/promises');
    await rm(`${harness.dataDir}/artifacts`, { recursive: true, force: true });
    const again = await harness.enqueue({ version: '1.4.0', source: { kind: 'archive', path: archive } });
    const result = (await (await harness.queue.getJob(again))!.waitUntilFinished(harness.events, 120_000)) as { files: Array<{ outcome: string }>; rebuilt: boolean };
    expect(result.rebuilt).toBe(true);
    expect(result.files.map((f) => f.outcome)).toEqual(['skipped', 'skipped']);
    expect(Object.values(uploadsPerFile(harness))).toEqual([1, 1]);
  });

  it('uploads one file, not two, when the index fails with 500 once and then works', async () => {
    harness = await publishHarness();
    harness.index.fail(1, { status: 500 });
    await harness.startWorker();
    const jobId = await harness.enqueue({ version: '1.4.0', source: { kind: 'archive', path: await archiveOf('setuptools-static') } });
    const job = (await harness.queue.getJob(jobId))!;
    await job.waitUntilFinished(harness.events, 120_000);
    expect(harness.index.uploads.map((u) => u.status)).toEqual([500, 200, 200]);
    expect(Object.values(uploadsPerFile(harness))).toEqual([1, 1]);
    // BullMQ counts the failed attempt and the one that succeeded.
    expect((await harness.queue.getJob(jobId))!.attemptsMade).toBe(2);
  });

  it('counts a stored file whose response was lost as uploaded, without a second upload', async () => {
    harness = await publishHarness();
    harness.index.fail(1, { status: 500, afterStore: true });
    await harness.startWorker();
    const jobId = await harness.enqueue({ version: '1.4.0', source: { kind: 'archive', path: await archiveOf('setuptools-static') } });
    const result = (await (await harness.queue.getJob(jobId))!.waitUntilFinished(harness.events, 120_000)) as { files: Array<{ outcome: string }> };
    expect(result.files.map((f) => f.outcome)).toEqual(['uploaded', 'uploaded']);
    expect(harness.index.files()).toHaveLength(2);
    expect(harness.index.uploads.map((u) => u.status)).toEqual([500, 200]);
  });

  it('fails for good, with the reason, when the build does not match the release version', async () => {
    harness = await publishHarness();
    await harness.startWorker();
    const jobId = await harness.enqueue({ version: '9.9.9', source: { kind: 'archive', path: await archiveOf('setuptools-static') } });
    const job = (await harness.queue.getJob(jobId))!;
    await expect(job.waitUntilFinished(harness.events, 120_000)).rejects.toThrow(/dist-mismatch/);
    const failed = (await harness.queue.getJob(jobId))!;
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toContain('9.9.9');
    expect(harness.index.uploads).toEqual([]);
  });

  it('does everything but upload in dry-run mode and says what it would upload', async () => {
    harness = await publishHarness();
    await harness.startWorker();
    const jobId = await harness.enqueue({ version: '1.4.0', dryRun: true, source: { kind: 'archive', path: await archiveOf('setuptools-static') } });
    const result = (await (await harness.queue.getJob(jobId))!.waitUntilFinished(harness.events, 120_000)) as { files: Array<{ outcome: string; filename: string }> };
    expect(result.files.map((f) => f.outcome)).toEqual(['would-upload', 'would-upload']);
    expect(harness.index.uploads).toEqual([]);
  });

  it('uploads nothing when the operator runs the worker dry (PYRELEASE_DRY_RUN)', async () => {
    harness = await publishHarness({ env: { PYRELEASE_DRY_RUN: 'true' } });
    await harness.startWorker();
    const jobId = await harness.enqueue({ version: '1.4.0', source: { kind: 'archive', path: await archiveOf('setuptools-static') } });
    const result = (await (await harness.queue.getJob(jobId))!.waitUntilFinished(harness.events, 120_000)) as { files: Array<{ outcome: string }> };
    expect(result.files.map((f) => f.outcome)).toEqual(['would-upload', 'would-upload']);
    expect(harness.index.uploads).toEqual([]);
  });

  it('never lets a registry token reach the build, the job record or the logs', async () => {
    const gitlabToken = `glpat-${randomBytes(12).toString('hex')}`;
    const awsSecret = randomBytes(20).toString('base64url');
    harness = await publishHarness({ env: { GITLAB_TOKEN: gitlabToken, AWS_SECRET_ACCESS_KEY: awsSecret } });
    // The worker runs in this process: its real environment is what a build could steal.
    const saved = { ...process.env };
    Object.assign(process.env, harness.env);
    onTestFinished(() => {
      for (const key of Object.keys(harness?.env ?? {})) if (!(key in saved)) delete process.env[key];
    });
    await harness.startWorker();
    const jobId = await harness.enqueue({ version: '0.0.1', source: { kind: 'archive', path: await archiveOf('malicious-env') } });
    const job = (await harness.queue.getJob(jobId))!;
    await job.waitUntilFinished(harness.events, 120_000).catch(() => undefined);
    const record = JSON.stringify(await harness.queue.getJob(jobId));
    const logs = harness.logLines.join('\n');
    // The hostile build ran and dumped what it could see (so this test can fail)...
    expect(logs).toContain('ENV-DUMP');
    // ...and, sandboxed, it could read no ancestor's /proc/<pid>/environ.
    expect(logs).toContain('__readable_ancestor_environs__\\": \\"\\"');
    for (const secret of [harness.token, gitlabToken, awsSecret]) {
      expect(record).not.toContain(secret);
      expect(harness.logLines.join('\n')).not.toContain(secret);
    }
    for (const f of harness.index.files()) expect(JSON.stringify(f.fields)).not.toContain(harness.token);
  });
});
