import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { EVENT_QUEUES } from '../jobs/event-job.js';
import { eventQueue } from '../jobs/event-queue.js';
import { publishQueue, redisConnection } from '../jobs/queues.js';
import { rateLimitedText } from '../jobs/throttle.js';
import { DEFAULT_REDIS_URL, redisModeMismatch } from '../redis-client.js';
import { selfHostedQueue } from '../selfhosted/self-hosted-queue.js';
import { resolveRedisUrl } from '../redis-url.js';
import { eventRows } from './event-rows.js';
import { jobLine, jobRows } from './job-rows.js';
import type { EventRow } from './event-rows.js';
import { EXIT_INVALID, EXIT_OK } from './io.js';
import type { CliIo } from './io.js';

export const JOBS_USAGE = `usage: pyrelease jobs [--events] [--json] [--limit N]

Lists publish and self-hosted tagging jobs, newest first, with their state, attempts and failure reason.
A job whose stored data or options are not JSON (written into Redis by hand) is listed
first as unreadable, with its id and state only.
  --events    instead, the webhooks: deliveries still in the inbox (state inbox: answered
              200, no worker has taken them yet) and the event jobs made from them
  --json      one JSON object per job
  --limit N   at most N jobs per state (default 50)
`;

export async function jobsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { json: { type: 'boolean', default: false }, events: { type: 'boolean', default: false }, limit: { type: 'string', default: '50' } },
    strict: true,
  });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    io.err('pyrelease jobs: --limit takes a whole number above 0\n');
    return 2;
  }
  const loaded = loadConfig(io.env);
  if (!loaded.ok) {
    io.err(`pyrelease: invalid configuration:\n${loaded.errors.map((e) => `  ${e}`).join('\n')}\n`);
    return EXIT_INVALID;
  }
  const config = loaded.config;
  // Fail fast instead of retrying forever when Redis is not there.
  const redis = await resolveRedisUrl(config, { env: io.env });
  const target = { url: redis.ok ? redis.url : DEFAULT_REDIS_URL, cluster: config.redisCluster };
  const mismatch = await redisModeMismatch(target);
  if (mismatch !== null) {
    io.err(`pyrelease jobs: ${mismatch}\n`);
    return EXIT_INVALID;
  }
  const connection = redisConnection(target, 'pyrelease-cli');
  connection.on('error', () => undefined);
  const queue = publishQueue(connection, { prefix: config.queuePrefix, attempts: config.jobAttempts, backoffMs: config.jobBackoffMs });
  const tagging = selfHostedQueue(connection, { prefix: config.queuePrefix, attempts: config.jobAttempts, backoffMs: config.jobBackoffMs });
  const events = values.events ? EVENT_QUEUES.map((name) => eventQueue(connection, { prefix: config.queuePrefix, attempts: config.jobAttempts, backoffMs: config.jobBackoffMs }, name)) : [];
  try {
    const ping = await Promise.race([connection.ping(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 3000).unref())]);
    if (ping === 'timeout') {
      io.err('pyrelease jobs: Redis does not answer (set REDIS_URL)\n');
      return EXIT_INVALID;
    }
    if (values.events) {
      printEventRows(newestFirst(await eventRows(connection, config.queuePrefix, events, limit)), values.json, io);
      return EXIT_OK;
    }
    const rows = await jobRows(queue, tagging, limit);
    if (values.json) {
      io.out(rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : ''));
    } else if (rows.length === 0) {
      io.out('no jobs\n');
    } else {
      for (const r of rows) io.out(jobLine(r));
    }
    return EXIT_OK;
  } catch (error) {
    // A Redis reply error names no secret (ioredis keeps the command's arguments apart).
    io.err(`pyrelease jobs: Redis refused a read: ${error instanceof Error ? error.message.split('\n')[0]?.slice(0, 200) : typeof error}\n`);
    return EXIT_INVALID;
  } finally {
    await Promise.all([queue.close(), tagging.close(), ...events.map((q) => q.close())]);
    connection.disconnect();
  }
}

/** Newest first; rows with no known time (unreadable jobs) before all of them. */
function newestFirst<R extends { createdAt: string | null }>(rows: R[]): R[] {
  const at = (r: R): string => r.createdAt ?? '\uffff';
  return rows.sort((a, b) => (at(a) < at(b) ? 1 : at(a) > at(b) ? -1 : 0));
}

function printEventRows(rows: readonly EventRow[], json: boolean, io: CliIo): void {
  if (json) {
    io.out(rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : ''));
    return;
  }
  if (rows.length === 0) {
    io.out('no webhook deliveries\n');
    return;
  }
  for (const r of rows) {
    const reason = r.failedReason === null ? '' : `  ${r.failedReason}`;
    io.out(`${r.createdAt ?? '?'.padEnd(24)}  ${r.state.padEnd(9)}  ${r.repo} ${r.what}  attempts=${r.attempts}  delivery=${r.delivery}  ${r.id}${reason}${rateLimitedText(r.rateLimited)}\n`);
  }
}
