import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { redisBindings } from '../../src/jobs/publish-bindings.js';
import { publishJobSchema } from '../../src/jobs/publish-job.js';
import type { PublishJobInput } from '../../src/jobs/publish-job.js';
import { runPublishJob } from '../../src/jobs/publish-processor.js';
import type { PublishDeps } from '../../src/jobs/publish-processor.js';
import { toWorkerError } from '../../src/jobs/publish-worker.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { saveArtifacts } from '../../src/publishing/artifacts.js';
import { parseServerConfig } from '../../src/server-config.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';
import { sampleDists } from '../helpers/sample-dists.js';
import type { SampleDists } from '../helpers/sample-dists.js';

// Two teams on one server. team-a may publish sample-* to `internal`; team-b anything.
const server = parseServerConfig(`registries:
  internal:
    upload-url: http://127.0.0.1:9/legacy/
    simple-url: http://127.0.0.1:9/simple/
publishers:
  internal:
    - gitlab: [team-a/**]
      projects: ['sample-*']
    - gitlab: [team-b/**]
      projects: ['*']
`);
if (!server.ok) throw new Error(server.errors.join('; '));

const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-authorisation');
const prefix = `{pyrelease-authz-${randomBytes(5).toString('hex')}}`;
const bindings = redisBindings(redis, prefix);
let dataDir = '';
let samples: Record<'sample' | 'other' | 'race', SampleDists>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pyrelease-authz-'));
  const [sample, other, race] = await Promise.all([sampleDists('1.2.3', 'sample-pkg'), sampleDists('1.2.3', 'other-pkg'), sampleDists('1.2.3', 'race-pkg')]);
  samples = { sample, other, race };
}, 120_000);

afterAll(async () => {
  await redis.del(`${prefix}:bindings`);
  redis.disconnect();
  await rm(dataDir, { recursive: true, force: true });
});

interface Run {
  builds: number;
  uploads: string[];
  deps: PublishDeps;
}

function harness(): Run {
  const run: Run = {
    builds: 0,
    uploads: [],
    deps: {
      dataDir,
      registries: server.ok ? server.config.registries : {},
      policy: server.ok ? server.config.policy : { targets: {}, extendsAllowed: [] },
      bindings,
      gitlabUrl: 'http://127.0.0.1:9',
      platformFor: () => Promise.resolve(null),
      build: () => {
        run.builds++;
        return Promise.reject(new Error('this test does not build'));
      },
      buildSettings: { isolation: false, timeoutMs: 1000, maxLogBytes: 1024 },
      ports: {
        credentials: () => Promise.resolve({ username: '__token__', password: 'x' }),
        lookupFile: () => Promise.resolve({ state: 'absent' }),
        upload: (target, info) => {
          run.uploads.push(`${target.name}:${info.filename}`);
          return Promise.resolve();
        },
      },
      log: pino({ level: 'silent' }),
    } as PublishDeps,
  };
  return run;
}

let n = 0;
/** A GitLab job from `path`; with `dists`, the files are already built (kept artifacts), as after a first attempt. */
async function job(path: string, dists: SampleDists | null, extra: Partial<PublishJobInput> = {}) {
  const id = `authz-${++n}`;
  if (dists !== null) await saveArtifacts(join(dataDir, 'artifacts', id), [dists.sdist, dists.wheel]);
  const data = publishJobSchema.parse({
    platform: 'gitlab',
    repo: String(1000 + n),
    repoPath: path,
    gitlabProjectId: 1000 + n,
    version: '1.2.3',
    project: null,
    tag: 'v1.2.3',
    sha: 'a'.repeat(40),
    registries: ['internal'],
    buildTool: 'build',
    source: { kind: 'archive', path: join(dataDir, 'no-such-archive.tar.gz') },
    ...extra,
  });
  return { id, data };
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('the publish job asks the server config before it builds and before it uploads', () => {
  it('refuses a repository with no grant for the target before fetching or building anything, for good', async () => {
    const run = harness();
    const { id, data } = await job('team-c/tool', null);
    const error = await refusal(runPublishJob(id, data, run.deps));
    expect(error.code).toBe('publish-forbidden');
    expect(error.message).toContain('`publishers.internal`');
    expect(error.message).toContain('`gitlab: [team-c/tool]`');
    expect(run.builds).toBe(0);
    expect(toWorkerError(error)).toBeInstanceOf(UnrecoverableError);
  });

  it('publishes a granted name and binds it to the repository that published it first', async () => {
    const run = harness();
    const { id, data } = await job('team-a/sample', samples.sample);
    const result = await runPublishJob(id, data, run.deps);
    expect(result.files.map((f) => f.outcome)).toEqual(['uploaded', 'uploaded']);
    expect(await bindings.get('internal', 'sample-pkg')).toEqual({ platform: 'gitlab', id: data.repo, path: 'team-a/sample' });
  });

  it('refuses another team publishing the bound name, though its grant covers every name', async () => {
    const run = harness();
    const { id, data } = await job('team-b/impostor', samples.sample);
    const error = await refusal(runPublishJob(id, data, run.deps));
    expect(error.code).toBe('publish-forbidden');
    expect(error.details['refusal']).toBe('project-bound');
    expect(error.message).not.toContain('team-a');
    expect(run.uploads).toEqual([]);
  });

  it('reads the name from the built files: a pyproject that claims a granted name does not help', async () => {
    const run = harness();
    // The job says sample-pkg; what was built is other-pkg, outside team-a's `sample-*`.
    const { id, data } = await job('team-a/sample', samples.other, { project: null });
    const error = await refusal(runPublishJob(id, data, run.deps));
    expect(error.details['refusal']).toBe('project-not-allowed');
    expect(run.uploads).toEqual([]);
  });

  it('lets one of two repositories racing for a new name publish it, and refuses the other', async () => {
    const run = harness();
    const [a, b] = [await job('team-b/one', samples.race), await job('team-b/two', samples.race)];
    const outcomes = await Promise.allSettled([runPublishJob(a.id, a.data, run.deps), runPublishJob(b.id, b.data, run.deps)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(run.uploads).toHaveLength(2);
  });

  it('binds nothing on a dry run', async () => {
    const run = harness();
    const { id, data } = await job('team-b/dry', samples.other, { dryRun: true });
    await runPublishJob(id, data, run.deps);
    expect(await bindings.get('internal', 'other-pkg')).toBeNull();
  });

  it('keeps the gitlab target to the project\'s own registry', async () => {
    const run = harness();
    const { id, data } = await job('team-a/sample', null, { registries: ['gitlab'], gitlabProjectId: 1 });
    expect((await refusal(runPublishJob(id, data, run.deps))).code).toBe('publish-forbidden');
    const github = await job('team-a/sample', null, { platform: 'github', registries: ['gitlab'] });
    expect((await refusal(runPublishJob(github.id, github.data, run.deps))).code).toBe('publish-forbidden');
    expect(run.builds).toBe(0);
  });
});
