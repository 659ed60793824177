import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ScratchDockerd } from './scratch-dockerd.js';
import { DOCKER_CLI } from './scratch-dockerd.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/** The tags docker-compose.yml names: with them present, `up` pulls and builds nothing. */
export const COMPOSE_IMAGES = { redis: 'redis:7.2-bookworm', pyrelease: 'pyrelease:local' } as const;

/**
 * Puts the images docker-compose.yml uses into the scratch daemon, timing each (ms):
 * - node:24-bookworm-slim: the stand-in base (scripts/image/), imported from baseTar;
 * - redis:7.2-bookworm: a stand-in built on it (redis-stand-in/Dockerfile says how it
 *   differs from the real one);
 * - pyrelease:local: `docker load` of the image test/image builds from the unmodified
 *   Dockerfile with podman and saves (imageArchive()). Loading it (about 20 s) costs far
 *   less than building the Dockerfile a second time with dockerd (about 80 s here).
 */
export async function prepareImages(d: ScratchDockerd, baseTar: string, imageTar: string): Promise<{ base: number; redis: number; pyrelease: number }> {
  let t = Date.now();
  await run(join(root, 'scripts', 'image', 'import-base.sh'), [DOCKER_CLI, baseTar], { env: d.env, timeout: 180_000 });
  const base = Date.now() - t;

  t = Date.now();
  // The legacy builder: BuildKit would pull a frontend from Docker Hub. Host network:
  // the daemon has no bridge for build containers, and apt needs the mirror.
  await run(DOCKER_CLI, ['build', '--quiet', '--network', 'host', '--tag', COMPOSE_IMAGES.redis, join(import.meta.dirname, 'redis-stand-in')], {
    env: { ...d.env, DOCKER_BUILDKIT: '0' },
    timeout: 300_000,
  }).catch((error: unknown) => {
    const e = error as { stderr?: string; message: string };
    throw new Error(`building the redis stand-in failed: ${(e.stderr ?? '').trim().slice(-3000) || e.message}`);
  });
  const redis = Date.now() - t;

  t = Date.now();
  const loaded = /Loaded image(?: ID)?: (\S+)/.exec(await d.docker(['load', '--input', imageTar], { timeoutMs: 300_000 }))?.[1];
  if (loaded === undefined) throw new Error(`docker load ${imageTar} named no image`);
  if (loaded !== COMPOSE_IMAGES.pyrelease) await d.docker(['tag', loaded, COMPOSE_IMAGES.pyrelease]);
  return { base, redis, pyrelease: Date.now() - t };
}
