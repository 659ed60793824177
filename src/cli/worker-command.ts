import { createLogger } from '../logger.js';
import { redisModeMismatch, redisTarget } from '../redis-client.js';
import { resolveRedisUrl } from '../redis-url.js';
import { loadSettings } from './load-settings.js';
import { startWorkerProcess } from '../composition/worker-process.js';
import { EXIT_INVALID, EXIT_OK } from './io.js';
import { exitIfHeld, firstStopSignal } from './stop-signals.js';
import type { CliIo } from './io.js';

export const WORKER_USAGE = `usage: pyrelease worker

Runs every worker of the service without the HTTP server: forge events (checks,
comments, tags), the sweep, publishing (builds and uploads) and self-hosted tagging.
Run any number beside \`pyrelease serve --no-worker\` on the same Redis. Settings come
from the environment (see README); SIGTERM or SIGINT stops taking new jobs, lets
running ones finish (at most PYRELEASE_SHUTDOWN_GRACE_MS), then exits; with none
running it exits in seconds, Redis reachable or not. A second Ctrl-C (SIGINT) exits at
once, with code 130.
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
  await firstStopSignal(log, 'waiting for running jobs');
  await running.close();
  log.info('worker stopped');
  // Connections still retrying a Redis that is away would keep the process up.
  exitIfHeld(EXIT_OK);
  return EXIT_OK;
}
