import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Platform } from '../platforms/platform.js';
import { loadArtifacts, saveArtifacts } from '../publishing/artifacts.js';
import type { BuildRequest, BuildResult } from '../publishing/build.js';
import { checkDistribution, inspectDistribution } from '../publishing/inspect.js';
import type { DistInfo } from '../publishing/inspect.js';
import { publishFiles } from '../publishing/publish.js';
import type { FileResult, PublishPorts } from '../publishing/publish.js';
import { resolveTargets } from '../publishing/registries.js';
import type { RegistryEntry } from '../publishing/registries.js';
import { extractSourceArchive } from '../publishing/source-archive.js';
import type { PublishPolicy } from '../core/publish-policy.js';
import { authoriseProjects, authoriseTargets } from './publish-authorisation.js';
import type { BindingStore } from './publish-bindings.js';
import type { PublishJobData } from './publish-job.js';
import type { ReleaseLedger } from './release-ledger.js';

export interface PublishDeps {
  readonly dataDir: string;
  readonly registries: Readonly<Record<string, RegistryEntry>>;
  /** Who may publish what, where (server config `publishers`); asked before the build and before any upload. */
  readonly policy: PublishPolicy;
  /** First-publisher bindings of project names, per target. */
  readonly bindings: BindingStore;
  readonly gitlabUrl?: string;
  /** The repository's Platform for forge jobs (archive download, reporting); null when this worker has no credentials for it. */
  platformFor(data: PublishJobData): Promise<Platform | null>;
  readonly build: (request: BuildRequest) => Promise<BuildResult>;
  readonly buildSettings: Pick<BuildRequest, 'isolation' | 'timeoutMs' | 'maxLogBytes' | 'sandbox' | 'pipIndexUrl' | 'allowSdists' | 'python'>;
  readonly ports: Pick<PublishPorts, 'lookupFile' | 'upload' | 'credentials'>;
  /** Remembers our own uploads, so a rebuilt (non-reproducible) sdist is not taken for a conflict. */
  readonly ledger?: ReleaseLedger;
  /** The operator's dry run (PYRELEASE_DRY_RUN): no job uploads, whatever it asks. */
  readonly dryRun?: boolean;
  readonly log: Logger;
}

export interface PublishJobResult {
  readonly version: string;
  readonly files: readonly FileResult[];
  readonly rebuilt: boolean;
}

/**
 * One release: source at a commit -> sdist and wheel, built once -> each file on each
 * target exactly once. Every step can run again after a crash: the build is kept under
 * the data dir by job id, and each upload is preceded by asking the index.
 */
export async function runPublishJob(jobId: string, data: PublishJobData, deps: PublishDeps): Promise<PublishJobResult> {
  const log = deps.log.child({ jobId, repo: data.repo, version: data.version, sha: data.sha });
  // Resolve targets first: an unknown registry fails before any build work.
  const targets = resolveTargets(data.registries, deps.registries, { gitlabProjectId: data.gitlabProjectId, gitlabUrl: deps.gitlabUrl });
  // A target this repository may not use at all fails before its code is fetched or run.
  const publisher = authoriseTargets(deps.policy, data);

  const artifactsDir = join(resolve(deps.dataDir), 'artifacts', jobId);
  let paths = await loadArtifacts(artifactsDir);
  const rebuilt = paths === null;
  if (paths === null) {
    paths = await buildRelease(data, artifactsDir, deps, log);
  } else {
    log.info({ files: paths.length }, 'reusing the files built by an earlier attempt');
  }

  const files: DistInfo[] = [];
  for (const path of paths) {
    const info = await inspectDistribution(path);
    const problems = checkDistribution(info, { name: data.project ?? info.name, version: data.version });
    if (problems.length > 0) {
      throw new AppError('dist-mismatch', `the build does not match release ${data.version}: ${problems.join('; ')}`);
    }
    files.push(info);
  }
  // The name that counts is the one in the built metadata, not the one pyproject claimed.
  await authoriseProjects(deps.policy, deps.bindings, data, publisher, files.map((f) => f.name), { dryRun: data.dryRun || deps.dryRun === true, log });

  const results = await publishFiles(
    { files, targets, dryRun: data.dryRun || deps.dryRun === true },
    {
      ...deps.ports,
      ...ledgerPorts(deps.ledger, data),
      onFile: (r) => log.info({ registry: r.registry, file: r.filename, outcome: r.outcome, sha256: r.sha256 }, `file ${r.outcome}`),
    },
  );
  log.info({ uploaded: results.filter((r) => r.outcome === 'uploaded').length, skipped: results.filter((r) => r.outcome === 'skipped').length }, 'release published');
  return { version: data.version, files: results, rebuilt };
}

function ledgerPorts(ledger: ReleaseLedger | undefined, data: PublishJobData): Pick<PublishPorts, 'isOwnEarlierUpload' | 'recordUpload'> {
  if (ledger === undefined) return {};
  return {
    isOwnEarlierUpload: async (target, info, indexSha256) => {
      const entry = await ledger.get(target.name, info.filename);
      return entry !== null && entry.sha256 === indexSha256 && entry.commit === data.sha && entry.repo === data.repo;
    },
    recordUpload: (target, info) => ledger.record(target.name, info.filename, { sha256: info.sha256, commit: data.sha, repo: data.repo, version: data.version }),
  };
}

async function buildRelease(data: PublishJobData, artifactsDir: string, deps: PublishDeps, log: Logger): Promise<string[]> {
  // Under the data dir rather than /tmp: sources and builds can be large, and a crash
  // leaves them where the operator looks (and where the next start can clean up).
  const workRoot = join(resolve(deps.dataDir), 'work');
  await mkdir(workRoot, { recursive: true });
  const work = await mkdtemp(join(workRoot, 'job-'));
  try {
    const archive = join(work, 'source.tar.gz');
    await fetchSource(data, archive, deps);
    const { root } = await extractSourceArchive(archive, join(work, 'src'));
    const projectDir = resolve(root, data.path);
    if (projectDir !== root && !projectDir.startsWith(`${root}/`)) {
      throw new AppError('config-invalid', `the project path ${JSON.stringify(data.path)} leaves the repository`);
    }
    const outDir = join(work, 'dist');
    await mkdir(outDir);
    log.info({ tool: data.buildTool }, 'building');
    const built = await deps.build({ projectDir, tool: data.buildTool, version: data.version, outDir, ...deps.buildSettings });
    log.info({ durationMs: built.durationMs, sdist: built.sdist, wheels: built.wheels.length }, 'built');
    // The build ran with an allowlisted environment, so its output holds no secret of ours.
    log.debug({ buildLog: built.log }, 'build output');
    return await saveArtifacts(artifactsDir, [built.sdist, ...built.wheels]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function fetchSource(data: PublishJobData, destFile: string, deps: PublishDeps): Promise<void> {
  if (data.source.kind === 'archive') {
    try {
      await copyFile(data.source.path, destFile);
    } catch (cause) {
      throw new AppError('source-unavailable', `cannot read the source archive ${data.source.path}`, { cause });
    }
    return;
  }
  const platform = await deps.platformFor(data);
  if (platform === null) {
    throw new AppError('source-unavailable', `this worker cannot download sources from ${data.platform}: it has no ${data.platform} credentials`);
  }
  await platform.downloadArchive(data.sha, destFile);
}
