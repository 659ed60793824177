import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { EVENT_QUEUES } from '../jobs/event-job.js';
import { eventQueue } from '../jobs/event-queue.js';
import { publishQueue, redisConnection } from '../jobs/queues.js';
import { rateLimitedText, rateLimitedWait } from '../jobs/throttle.js';
import { DEFAULT_REDIS_URL, redisModeMismatch } from '../redis-client.js';
import { selfHostedQueue } from '../selfhosted/self-hosted-queue.js';
import { resolveRedisUrl } from '../redis-url.js';
import { eventRows } from './event-rows.js';
import type { EventRow } from './event-rows.js';
import { EXIT_INVALID, EXIT_OK } from './io.js';
import type { CliIo } from './io.js';

export const JOBS_USAGE = `usage: pyrelease jobs [--events] [--json] [--limit N]

Lists publish and self-hosted tagging jobs, newest first, with their state, attempts and failure reason.
  --events    instead, the webhooks: deliveries still in the inbox (state inbox: answered
              200, no worker has taken them yet) and the event jobs made from them
  --json      one JSON object per job
  --limit N   at most N jobs per state (default 50)
`;

const STATES = ['active', 'waiting', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

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
    const rows = [];
    for (const state of STATES) {
      for (const job of await queue.getJobs([state], 0, limit - 1)) {
        rows.push({
          id: job.id ?? '',
          state,
          repo: job.data.repo,
          version: job.data.version,
          sha: job.data.sha,
          registries: job.data.registries,
          attempts: job.attemptsMade,
          failedReason: job.failedReason ?? null,
          rateLimited: rateLimitedWait(state, job.progress),
          createdAt: new Date(job.timestamp).toISOString(),
          result: job.returnvalue ?? null,
        });
      }
      // Self-hosted tagging: repo and release in the same columns; `outcome` says what
      // happened (tagged, exists, conflict, skipped). Poll runs are left out.
      for (const job of await tagging.getJobs([state], 0, limit - 1)) {
        if (job.name !== 'tag' || !('release' in job.data)) continue;
        const result = (job.returnvalue ?? null) as { outcome?: string; reason?: string } | null;
        rows.push({
          id: job.id ?? '',
          state,
          repo: `${job.data.platform}/${job.data.project}`,
          version: job.data.release,
          sha: job.data.pinnedSha ?? '',
          registries: [] as string[],
          attempts: job.attemptsMade,
          failedReason: job.failedReason ?? null,
          rateLimited: rateLimitedWait(state, job.progress),
          createdAt: new Date(job.timestamp).toISOString(),
          result,
          outcome: result?.outcome ?? null,
        });
      }
    }
    newestFirst(rows);
    if (values.json) {
      io.out(rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : ''));
    } else if (rows.length === 0) {
      io.out('no jobs\n');
    } else {
      for (const r of rows) {
        const outcome = 'outcome' in r && r.outcome !== null ? `  outcome=${r.outcome}` : '';
        const why = 'outcome' in r && r.result !== null && typeof r.result === 'object' && 'reason' in r.result && r.result.reason !== undefined ? `  ${String(r.result.reason)}` : '';
        const reason = r.failedReason === null ? why : `  ${r.failedReason}`;
        io.out(`${r.createdAt}  ${r.state.padEnd(9)}  ${r.repo} ${r.version}  attempts=${r.attempts}${outcome}  ${r.id}${reason}${rateLimitedText(r.rateLimited)}\n`);
      }
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

function newestFirst<R extends { createdAt: string }>(rows: R[]): R[] {
  return rows.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
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
    io.out(`${r.createdAt}  ${r.state.padEnd(9)}  ${r.repo} ${r.what}  attempts=${r.attempts}  delivery=${r.delivery}  ${r.id}${reason}${rateLimitedText(r.rateLimited)}\n`);
  }
}
