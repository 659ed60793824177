import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { resolveRedisUrl } from '../redis-url.js';
import { loadServerConfig } from '../server-config.js';
import { startWorker } from '../worker.js';
import { EXIT_INVALID, EXIT_OK } from './io.js';
import type { CliIo } from './io.js';

export const WORKER_USAGE = `usage: pyrelease worker

Runs the publish workers: builds releases and uploads them to their registries.
Settings come from the environment (see README); SIGTERM or SIGINT stops taking new
jobs, lets running ones finish, then exits.
`;

export async function workerCommand(_args: readonly string[], io: CliIo): Promise<number> {
  const loaded = loadConfig(io.env);
  const server = await loadServerConfig(loaded.ok ? loaded.config.configFile : undefined);
  if (!loaded.ok || !server.ok) {
    const errors = [...(loaded.ok ? [] : loaded.errors), ...(server.ok ? [] : server.errors)];
    io.err(`pyrelease: invalid configuration:\n${errors.map((e) => `  ${e}`).join('\n')}\n`);
    return EXIT_INVALID;
  }
  const log = createLogger(loaded.config.logLevel);
  // Finds the embedded Redis of a `pyrelease serve` on this data dir; never starts one.
  const redis = await resolveRedisUrl(loaded.config, { env: io.env, log });
  const config = redis.ok ? { ...loaded.config, redisUrl: redis.url } : loaded.config;
  const running = await startWorker({ config, server: server.config, log, env: io.env });
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
