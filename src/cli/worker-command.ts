import { createLogger } from '../logger.js';
import { redisModeMismatch, redisTarget } from '../redis-client.js';
import { resolveRedisUrl } from '../redis-url.js';
import { loadSettings } from './load-settings.js';
import { startWorkerProcess } from '../composition/worker-process.js';
import { EXIT_INVALID, EXIT_OK } from './io.js';
import type { CliIo } from './io.js';

export const WORKER_USAGE = `usage: pyrelease worker

Runs every worker of the service without the HTTP server: forge events (checks,
comments, tags), the sweep, publishing (builds and uploads) and self-hosted tagging.
Run any number beside \`pyrelease serve --no-worker\` on the same Redis. Settings come
from the environment (see README); SIGTERM or SIGINT stops taking new jobs, lets
running ones finish, then exits.
`;

export async function workerCommand(_args: readonly string[], io: CliIo): Promise<number> {
  const loaded = await loadSettings(io);
  if (!loaded.ok) return EXIT_INVALID;
  const log = createLogger(loaded.config.logLevel);
  // Finds the embedded Redis of a `pyrelease serve` on this data dir; never starts one.
  const redis = await resolveRedisUrl(loaded.config, { env: io.env, log });
  const config = redis.ok ? { ...loaded.config, redisUrl: redis.url } : loaded.config;
  const mismatch = await redisModeMismatch(redisTarget(config));
  if (mismatch !== null) {
    io.err(`pyrelease: ${mismatch}\n`);
    return EXIT_INVALID;
  }
  const running = await startWorkerProcess({ config, server: loaded.server, log, env: io.env });
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'stopping: waiting for running jobs');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await running.close();
  log.info('worker stopped');
  return EXIT_OK;
}
