import { parseArgs } from 'node:util';
import { isAppError } from '../errors.js';
import { createLogger } from '../logger.js';
import { startService } from '../main.js';
import { redisModeMismatch } from '../redis-client.js';
import { resolveRedisUrl } from '../redis-url.js';
import { renderEffectiveConfig } from './config-command.js';
import { loadSettings } from './load-settings.js';
import { EXIT_INVALID, EXIT_OK } from './io.js';
import { exitIfHeld, firstStopSignal } from './stop-signals.js';
import type { CliIo } from './io.js';

export const SERVE_USAGE = `usage: pyrelease serve [--no-worker] [--print-config]

Runs the service: the HTTP server (GET /healthz, GET /readyz, POST /webhooks/gitlab)
and, unless --no-worker, the event and publish workers in the same process. In
production run web (--no-worker) and workers (pyrelease worker) as separate
processes, any number of each, on one Redis. Settings come from the environment
(see README); SIGTERM or SIGINT stops taking webhooks, lets running jobs finish
(at most PYRELEASE_SHUTDOWN_GRACE_MS) and exits; with none running it exits in seconds,
Redis reachable or not. A second Ctrl-C (SIGINT) exits at once, with code 130.

  --no-worker      serve HTTP only
  --print-config   print the effective configuration (secrets masked) and exit
`;

export async function serveCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { 'no-worker': { type: 'boolean', default: false }, 'print-config': { type: 'boolean', default: false } }, strict: true });
  const settings = await loadSettings(io);
  if (!settings.ok) return EXIT_INVALID;
  const loaded = settings;
  if (values['print-config']) {
    io.out(renderEffectiveConfig(settings.config, settings.server));
    return EXIT_OK;
  }
  const log = createLogger(loaded.config.logLevel);
  const redis = await resolveRedisUrl(loaded.config, { start: true, env: io.env, log });
  if (!redis.ok) {
    io.err(redis.reason);
    return EXIT_INVALID;
  }
  const mismatch = await redisModeMismatch({ url: redis.url, cluster: loaded.config.redisCluster });
  if (mismatch !== null) {
    await redis.embedded?.stop();
    io.err(`pyrelease: ${mismatch}\n`);
    return EXIT_INVALID;
  }
  let service;
  try {
    service = await startService({ config: { ...loaded.config, redisUrl: redis.url }, server: settings.server, env: io.env, log, runWorkers: !values['no-worker'] });
  } catch (error) {
    await redis.embedded?.stop();
    io.err(`pyrelease: cannot start: ${isAppError(error) ? error.message : (error as Error).message}\n`);
    return EXIT_INVALID;
  }
  const embedded = redis.embedded;
  const ended = await Promise.race([
    firstStopSignal(log, 'no new webhooks; waiting for running jobs').then(() => 'signal' as const),
    ...(embedded === undefined || embedded === null
      ? []
      : [
          embedded.died.then((exit) => {
            log.error({ code: exit.code, signal: exit.signal, output: exit.output }, 'the embedded Redis died: stopping');
            return 'redis-died' as const;
          }),
        ]),
  ]);
  // Without its Redis, closing workers could wait forever on reconnects: bounded then.
  await (ended === 'signal' ? service.close() : Promise.race([service.close(), new Promise((r) => setTimeout(r, 10_000).unref())]));
  // Last: running jobs needed it until service.close() returned.
  await redis.embedded?.stop();
  log.info('stopped');
  // Connections still retrying a Redis that is away would keep the process up.
  const code = ended === 'signal' ? EXIT_OK : EXIT_INVALID;
  exitIfHeld(code);
  return code;
}
