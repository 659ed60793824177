// How fast pyrelease acknowledges webhooks, next to a bare node:http server answering
// the same requests, on this machine, in one run.
//
//   pyrelease: the real startService from dist/main.js with runWorkers: false, GitLab
//              configured against a tiny fake GitLab on 127.0.0.1 (GET /api/v4/user
//              only, needed at start). Each request is authenticated (X-Gitlab-Token),
//              read, mapped and durably enqueued to Redis (127.0.0.1:6379, a unique key
//              prefix obliterated at the end), then answered 200 {"status":"queued"}.
//              Logs at info (one line per webhook, as in production) into /dev/null.
//   bare:      node:http that reads the body and answers 200 {"status":"queued"}: the floor.
//
// Every server runs in its own forked process (memory and CPU are its own); the load
// generator (bench/load-generator.js) runs in another, so nothing shares an event loop.
// Scenarios x sender counts are interleaved over several rounds; the row shown per
// scenario and sender count is the round with the median req/s.
//
//   npm run build && node bench/webhooks.js [--duration MS] [--warmup MS] [--rounds N]
//        [--senders 1,50] [--no-write] [--profile DIR]
//
// --profile DIR: the servers run under `node --cpu-prof` and the top self-time functions
// of each are printed. --no-write: print only, leave bench/README.md alone.
import { fork, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { deleteKeys } from './tag-to-upload.js';
import { memoryFromStatus } from './worker-memory.js';

const SELF = fileURLToPath(import.meta.url);
const LOAD_GENERATOR = fileURLToPath(new URL('./load-generator.js', import.meta.url));
const README = fileURLToPath(new URL('./README.md', import.meta.url));
const REDIS_URL = process.env.PYRELEASE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const GOAL_P99_MS = 15;
const GOAL_SENDERS = 50;
// Idle means idle: RSS is read this long after every server is up and before any request,
// not at the instant start-up ends, when start-up's garbage may or may not be collected yet.
const IDLE_SETTLE_MS = 5000;

/**
 * What is measured: one row per scenario and sender count. `server` names an entry of
 * SERVERS (started in its own process), `request` a kind of load-generator.js. The one
 * pyrelease process serves both forges, as in production.
 */
export const SCENARIOS = [
  { id: 'gitlab-pyrelease', label: 'GitLab / pyrelease', server: 'pyrelease', request: 'gitlab-tag-push', path: '/webhooks/gitlab' },
  { id: 'github-pyrelease', label: 'GitHub / pyrelease', server: 'pyrelease', request: 'github-push', path: '/api/github/webhooks' },
  // The same process without the web role's Node flags: what they cost or save, in the same run.
  { id: 'gitlab-pyrelease-node-defaults', label: 'GitLab / pyrelease on Node\'s default heap', server: 'pyrelease-node-defaults', request: 'gitlab-tag-push', path: '/webhooks/gitlab' },
  { id: 'github-pyrelease-node-defaults', label: 'GitHub / pyrelease on Node\'s default heap', server: 'pyrelease-node-defaults', request: 'github-push', path: '/api/github/webhooks' },
  { id: 'github-probot', label: 'GitHub / no-op Probot app', server: 'probot', request: 'github-push', path: '/api/github/webhooks' },
  { id: 'bare', label: 'bare node:http', server: 'bare', request: 'gitlab-tag-push', path: '/webhooks/gitlab', baseline: true },
  // Less than any durably queuing receiver can do: the GitHub requests, one small Redis write each.
  { id: 'durable-floor', label: 'durable floor: bare node:http + one Redis write of the delivery id (GitHub requests)', server: 'durable-floor', request: 'github-push', path: '/api/github/webhooks' },
];

// ---------------------------------------------------------------- servers (child role)

/** What pyrelease answers, headers and all. */
function answerJson(res, status, text) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The floor: read the body, answer what pyrelease answers, nothing else. */
export function startBareServer() {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      Buffer.concat(chunks);
      answerJson(res, 200, '{"status":"queued"}');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        info: {},
        stats: async () => ({}),
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

/**
 * The durable floor: bare node:http plus the one thing a durably queuing receiver cannot
 * leave out, a write to Redis before the answer. It reads the body, XADDs the delivery id
 * alone (36 bytes: less than any receiver can store and still act on the webhook) to a
 * stream under its own prefix, with no check, parse or log, on an ioredis connection with
 * auto-pipelining, as pyrelease's is, and answers 200 once Redis has it, 503 if Redis
 * refused. So whatever it takes is less than a verified, durably queued acknowledgement
 * can take here.
 */
export async function startDurableFloor({ redisUrl = REDIS_URL, prefix = process.env.BENCH_PREFIX } = {}) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { connectionName: 'pyrelease-bench-durable-floor', enableAutoPipelining: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  // The first refusal ends the start: a floor that stores nothing would measure nothing.
  await new Promise((resolve, reject) => {
    const refused = (error) => {
      redis.disconnect();
      reject(new Error(`durable floor: no Redis at ${redisUrl} (${error.message})`));
    };
    redis.once('error', refused);
    redis.once('ready', () => {
      redis.off('error', refused);
      resolve();
    });
  });
  redis.on('error', () => undefined);
  const key = `${prefix}:floor`;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      Buffer.concat(chunks);
      redis.xadd(key, '*', 'delivery', String(req.headers['x-github-delivery'] ?? req.headers['idempotency-key'] ?? '')).then(
        () => answerJson(res, 200, '{"status":"queued"}'),
        () => answerJson(res, 503, '{"status":"unavailable"}'),
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    info: {},
    stats: async () => ({ stored: await redis.xlen(key) }),
    close: async () => {
      await new Promise((done) => server.close(() => done()));
      try {
        await redis.del(key);
      } finally {
        redis.disconnect();
      }
    },
  };
}

async function startPyrelease() {
  const { startService } = await import('../dist/main.js');
  const { loadConfig } = await import('../dist/config.js');
  const { createLogger } = await import('../dist/logger.js');
  const { loadServerConfig } = await import('../dist/server-config.js');
  const { inboxState } = await import('../dist/jobs/event-inbox.js');
  const { redisConnection } = await import('../dist/jobs/queues.js');
  const { pino } = await import('pino');
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    REDIS_URL,
    PYRELEASE_QUEUE_PREFIX: process.env.BENCH_PREFIX,
    GITLAB_URL: process.env.BENCH_GITLAB_URL,
    GITLAB_TOKEN: process.env.BENCH_GITLAB_TOKEN,
    GITLAB_WEBHOOK_SECRET: process.env.BENCH_SECRET,
    // GitHub as an App against a GitHub Enterprise host that is never called: with
    // APP_SLUG set the service does not read GET /app at start, and verifying, mapping and
    // queueing a push needs no GitHub call.
    APP_ID: '4242',
    APP_SLUG: 'pyrelease-bench',
    PRIVATE_KEY: process.env.BENCH_PRIVATE_KEY,
    WEBHOOK_SECRET: process.env.BENCH_SECRET,
    GHE_HOST: new URL(process.env.BENCH_GITLAB_URL).host,
    GHE_PROTOCOL: 'http',
  };
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const server = await loadServerConfig(undefined);
  if (!server.ok) throw new Error(server.errors.join('; '));
  const log = createLogger(loaded.config.logLevel, pino.destination({ dest: '/dev/null', sync: true }));
  const service = await startService({ config: loaded.config, server: server.config, env, log, runWorkers: false });
  // A connection of the bench's own, to count what was enqueued and clean up.
  const connection = redisConnection(REDIS_URL, 'pyrelease-bench-webhooks');
  const redisVersion = /redis_version:(\S+)/.exec(await connection.info('server'))?.[1] ?? 'unknown';
  return {
    url: service.url,
    info: { redisVersion },
    // No worker runs here: every delivery answered "queued" must be waiting in the inbox.
    stats: async () => ({ stored: (await inboxState(connection, loaded.config.queuePrefix)).length }),
    close: async () => {
      await service.close();
      // The inbox, the delivery ids and the queues' meta keys all live under the unique prefix.
      await deleteKeys(connection, loaded.config.queuePrefix);
      connection.disconnect();
    },
  };
}

/**
 * A no-op Probot 14 app: `app.on('push', () => {})` behind createNodeMiddleware on a bare
 * node:http server. Probot verifies the signature and runs the handler before it
 * answers; nothing is queued. It logs at info into /dev/null, like pyrelease.
 */
async function startProbot() {
  const { Probot, createNodeMiddleware } = await import('probot');
  const { pino } = await import('pino');
  const log = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
  const probot = new Probot({ appId: 4242, privateKey: process.env.BENCH_PRIVATE_KEY, secret: process.env.BENCH_SECRET, log, baseUrl: `${process.env.BENCH_GITLAB_URL}/api/v3` });
  const middleware = await createNodeMiddleware((app) => app.on('push', () => undefined), { probot, webhooksPath: '/api/github/webhooks' });
  const server = http.createServer((req, res) => {
    void middleware(req, res, () => {
      res.writeHead(404);
      res.end();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        info: {},
        stats: async () => ({}),
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

// pyrelease-node-defaults is the same web process started without the web role's Node
// flags (Node's default heap sizes), to show what docker-compose.yml's flags change.
const SERVERS = { pyrelease: startPyrelease, 'pyrelease-node-defaults': startPyrelease, probot: startProbot, bare: startBareServer, 'durable-floor': startDurableFloor };
const COMPOSE_FILE = fileURLToPath(new URL('../docker-compose.yml', import.meta.url));

/**
 * The Node flags the web role ships with: NODE_OPTIONS of the web service in
 * docker-compose.yml, so that the bench measures the web process as it is deployed.
 * BENCH_WEB_NODE_OPTIONS overrides it (to compare settings).
 */
export function webRoleNodeFlags(composeText, override = process.env.BENCH_WEB_NODE_OPTIONS) {
  const value = override ?? parseYaml(composeText)?.services?.web?.environment?.NODE_OPTIONS;
  return typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : [];
}


async function serverRole(kind) {
  const running = await SERVERS[kind]();
  const usage = () => ({ rss: process.memoryUsage().rss, maxRss: process.resourceUsage().maxRSS * 1024, cpu: process.cpuUsage() });
  process.on('message', async (message) => {
    try {
      if (message.type === 'usage') process.send({ type: 'reply', id: message.id, value: { ...usage(), ...(await running.stats()) } });
      if (message.type === 'stop') {
        await running.close();
        process.send({ type: 'reply', id: message.id, value: true }, () => process.exit(0));
      }
    } catch (error) {
      process.send({ type: 'reply', id: message.id, error: String(error?.stack ?? error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  // Same monotonic clock as a .cpuprofile's timestamps (microseconds), to leave startup out of a profile.
  process.send({ type: 'ready', url: running.url, info: running.info, usage: usage(), readyUs: Number(process.hrtime.bigint() / 1000n) });
}

// ---------------------------------------------------------------- orchestrator

/** GitLab's GET /api/v4/user, the only call startService makes at start. */
function startFakeGitlab(token) {
  const server = http.createServer((req, res) => {
    const authorized = req.headers['private-token'] === token || req.headers.authorization === `Bearer ${token}`;
    const ok = req.method === 'GET' && req.url?.split('?')[0] === '/api/v4/user' && authorized;
    const text = JSON.stringify(ok ? { id: 4242, username: 'pyrelease-bot', name: 'pyrelease bot', state: 'active' } : { message: '401 Unauthorized' });
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(text);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() })));
}

/** A forked child answering {type, id} messages with {type:'reply', id, value | error}. */
function rpc(child) {
  let next = 0;
  const pending = new Map();
  child.on('message', (message) => {
    const waiter = pending.get(message?.id);
    if (waiter === undefined || (message.type !== 'reply' && message.type !== 'result')) return;
    pending.delete(message.id);
    if (message.error !== undefined) waiter.reject(new Error(message.error));
    else waiter.resolve(message.value ?? message.result);
  });
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`child exited (${code})`));
    pending.clear();
  });
  return (message) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      child.send({ ...message, id });
    });
}

function forkServer(kind, env, profileDir, flags = []) {
  const execArgv = [...flags, ...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', join(profileDir, kind)])];
  const child = fork(SELF, ['--role', 'server', '--server', kind], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${kind} server exited early (${code})`)));
    child.once('message', (message) => {
      if (message?.type !== 'ready') return reject(new Error(`unexpected message from ${kind}`));
      resolve({ kind, child, call: rpc(child), url: message.url, info: message.info, atReady: message.usage, readyUs: message.readyUs });
    });
  });
}

const ms = (n) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const int = (n) => Math.round(n).toLocaleString('en-US');
const mib = (bytes) => (Number.isFinite(bytes) ? (bytes / 1024 / 1024).toFixed(1) : 'n/a');
const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

export function renderTables(rows, memory) {
  const lines = [
    '| scenario | senders | req/s | p50 ms | p90 ms | p99 ms | max ms | errors (non-2xx) | req/s vs bare | p99 vs bare | server CPU µs/req | CPU server / Redis / generator |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const bare = rows.find((b) => b.baseline && b.senders === r.senders);
    const l = r.result.latencyMs;
    lines.push(
      `| ${r.label} | ${r.senders} | ${int(r.result.rps)} | ${ms(l.p50)} | ${ms(l.p90)} | ${ms(l.p99)} | ${ms(l.max)} | ${r.result.errorCount} | ` +
        `${bare === undefined ? 'n/a' : ratio(r.result.rps, bare.result.rps)} | ${bare === undefined ? 'n/a' : ratio(l.p99, bare.result.latencyMs.p99)} | ${int(r.serverCpuUsPerRequest)} | ${Math.round(r.serverCpuPercent)}% / ${Math.round(r.redisCpuPercent)}% / ${Math.round(r.result.generatorCpuPercent)}% |`,
    );
  }
  lines.push('', `| server process | RSS at ready (MiB) | RSS idle, ${IDLE_SETTLE_MS / 1000} s later (MiB) | RSS after the load (MiB) | peak RSS (MiB) |`, '|---|---:|---:|---:|---:|');
  for (const m of memory) lines.push(`| ${m.label} | ${mib(m.atReady)} | ${mib(m.idle)} | ${Number.isFinite(m.after) ? mib(m.after) : 'not measured'} | ${mib(m.peak)} |`);
  return lines.join('\n');
}

export function serverLabel(kind, webFlags) {
  const flags = webFlags.length === 0 ? 'no Node flags' : `\`NODE_OPTIONS=${webFlags.join(' ')}\` as docker-compose.yml runs it`;
  const labels = {
    pyrelease: `pyrelease web process (GitLab + GitHub, runWorkers: false; ${flags})`,
    'pyrelease-node-defaults': 'the same on Node\'s default heap sizes (no NODE_OPTIONS)',
    probot: 'no-op Probot app',
    bare: 'bare node:http',
    'durable-floor': 'durable floor (bare node:http + one Redis write of the delivery id)',
  };
  return labels[kind] ?? kind;
}
const GOAL_IDLE_RSS_BYTES = 100 * 1000 * 1000;

/**
 * The tracker's goals, each with the figures that decide it: faster than a no-op Probot
 * app (p50 and p99 of GitHub / pyrelease below Probot's at every sender count), p99
 * under 15 ms at 50 senders with no errors (both forges), web process under 100 MB idle.
 */
export function goalVerdicts(rows, memory) {
  const out = [];
  const row = (id, senders) => rows.find((r) => r.id === id && r.senders === senders);
  const senderCounts = [...new Set(rows.map((r) => r.senders))];
  const pairs = senderCounts.map((n) => [n, row('github-pyrelease', n), row('github-probot', n)]).filter(([, a, b]) => a !== undefined && b !== undefined);
  if (pairs.length === 0) out.push('- Faster than a no-op Probot app: not measured in this run.');
  else {
    const faster = pairs.every(([, a, b]) => a.result.latencyMs.p50 < b.result.latencyMs.p50 && a.result.latencyMs.p99 < b.result.latencyMs.p99 && a.result.errorCount === 0);
    const detail = pairs
      .map(([n, a, b]) => `${n} sender(s): p50 ${ms(a.result.latencyMs.p50)} vs ${ms(b.result.latencyMs.p50)} ms, p99 ${ms(a.result.latencyMs.p99)} vs ${ms(b.result.latencyMs.p99)} ms, ${int(a.result.rps)} vs ${int(b.result.rps)} req/s`)
      .join('; ');
    out.push(`- Acknowledge a verified, durably queued GitHub webhook faster than a no-op Probot app acknowledges an unqueued one (p50 and p99 lower at every sender count, no errors): **${faster ? 'met' : 'not met'}** (pyrelease vs Probot, ${detail}).`);
  }
  // Whether the first goal can be met on this machine at all: the floor does nothing but the
  // durable write, so where it is not ahead of the no-op app, no durably queuing receiver is.
  const floors = senderCounts.map((n) => [n, row('durable-floor', n), row('github-probot', n)]).filter(([, a, b]) => a !== undefined && b !== undefined);
  if (floors.length > 0) {
    const detail = floors
      .map(([n, a, b]) => `${n} sender(s): p50 ${ms(a.result.latencyMs.p50)} vs ${ms(b.result.latencyMs.p50)} ms, p99 ${ms(a.result.latencyMs.p99)} vs ${ms(b.result.latencyMs.p99)} ms`)
      .join('; ');
    const behind = floors.filter(([, a, b]) => a.result.latencyMs.p50 >= b.result.latencyMs.p50 || a.result.latencyMs.p99 >= b.result.latencyMs.p99).map(([n]) => n);
    const reading = behind.length === 0 ? 'the floor is ahead of the no-op app at every sender count, so the goal is within reach here' : `the floor itself is not ahead of the no-op app at ${behind.join(' and ')} sender(s), so no receiver that stores the delivery before it answers can meet the goal there on this machine`;
    out.push(`- The same goal's floor (bare node:http + one Redis write of the delivery id vs the no-op Probot app, GitHub requests): ${reading} (${detail}).`);
  }
  for (const id of ['gitlab-pyrelease', 'github-pyrelease']) {
    const r = row(id, GOAL_SENDERS);
    if (r === undefined) continue;
    const met = r.result.latencyMs.p99 < GOAL_P99_MS && r.result.errorCount === 0;
    const floor = row('durable-floor', GOAL_SENDERS);
    const floorNote = floor === undefined ? '' : ` (the durable floor's own p99 in this run: ${ms(floor.result.latencyMs.p99)} ms)`;
    out.push(`- p99 under ${GOAL_P99_MS} ms at ${GOAL_SENDERS} senders, no errors (${r.label}): **${met ? 'met' : 'not met'}**, p99 = ${ms(r.result.latencyMs.p99)} ms, errors ${r.result.errorCount}${floorNote}.`);
  }
  const web = memory.find((m) => m.kind === 'pyrelease');
  if (web !== undefined) {
    const met = web.idle < GOAL_IDLE_RSS_BYTES;
    out.push(`- Web process under 100 MB idle: **${met ? 'met' : 'not met'}**, ${(web.idle / 1e6).toFixed(1)} MB (${mib(web.idle)} MiB) RSS ${IDLE_SETTLE_MS / 1000} s after start, before any request (${mib(web.atReady)} MiB at the instant it was ready).`);
  }
  return out;
}

/**
 * `node bin/pyrelease.js worker` as an operator runs it (GitLab configured against the
 * fake, its own key prefix): RSS from /proc when it logged "worker started" and again
 * after it sat idle for IDLE_SETTLE_MS. Idle only: bench/worker-memory.js loads one.
 */
async function measureWorker({ gitlabUrl, token, secret }) {
  const prefix = `{pyrelease-bench-worker-${process.pid}-${randomBytes(4).toString('hex')}}`;
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    LOG_LEVEL: 'info',
    REDIS_URL,
    PYRELEASE_QUEUE_PREFIX: prefix,
    PYRELEASE_DATA_DIR: join(os.tmpdir(), `pyrelease-bench-worker-${process.pid}`),
    GITLAB_URL: gitlabUrl,
    GITLAB_TOKEN: token,
    GITLAB_WEBHOOK_SECRET: secret,
  };
  const child = spawn(process.execPath, [fileURLToPath(new URL('../bin/pyrelease.js', import.meta.url)), 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('pyrelease worker did not log "worker started" within 20 s')), 20_000);
      let seen = '';
      child.stdout.on('data', (chunk) => {
        seen += chunk.toString('utf8');
        if (seen.includes('worker started')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr.resume();
      child.once('exit', (code) => reject(new Error(`pyrelease worker exited early (${code})`)));
    });
    const atReady = memoryFromStatus(await readFile(`/proc/${child.pid}/status`, 'utf8'));
    await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
    const idle = memoryFromStatus(await readFile(`/proc/${child.pid}/status`, 'utf8'));
    return { atReady: atReady.rss, idle: idle.rss, peak: idle.peak };
  } finally {
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
    if (stopped === 'timeout') child.kill('SIGKILL');
    const { Redis } = await import('ioredis');
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await rm(env.PYRELEASE_DATA_DIR, { recursive: true, force: true });
  }
}

/** Replaces the `## <title>` section (up to the next `## ` heading) or appends it; keeps notes below NOTES_MARKER. */
export const NOTES_MARKER = '<!-- webhooks: everything below this line is kept when bench/webhooks.js rewrites the section -->';
export function replaceSection(readme, title, generated) {
  const heading = `## ${title}`;
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  let section;
  let before;
  let after;
  if (start === -1) {
    before = readme.replace(/\n*$/, '\n\n');
    after = '';
    section = '';
  } else {
    let end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
    if (end === -1) end = lines.length;
    before = lines.slice(0, start).join('\n') + (start > 0 ? '\n' : '');
    section = lines.slice(start, end).join('\n');
    after = end < lines.length ? '\n' + lines.slice(end).join('\n') : '';
  }
  const at = section.indexOf(NOTES_MARKER);
  const notes = at === -1 ? NOTES_MARKER + '\n' : section.slice(at).replace(/\n*$/, '\n');
  return `${before}${heading}\n\n${generated.trim()}\n\n${notes}${after === '' ? '' : '\n' + after.replace(/^\n+/, '')}`;
}

/** Redis's own CPU time (user + sys, seconds): it shares the machine with the servers and the generator. */
async function redisCpuSeconds(redis) {
  const info = await redis.info('cpu');
  const field = (name) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

function median(results) {
  const sorted = [...results].sort((a, b) => a.result.rps - b.result.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Where the server's CPU went while it was serving: self time per function and per package, idle excluded. */
async function topCosts(dir, sinceUs, limit = 15) {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  const byFunction = new Map();
  const byPackage = new Map();
  let busy = 0;
  let idle = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8'));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      const dt = profile.timeDeltas[i] ?? 0;
      at += dt;
      // Startup (module loading, connecting) is not what a webhook costs.
      if (at < sinceUs) return;
      const f = byId.get(id).callFrame;
      if (f.functionName === '(idle)') {
        idle += dt;
        return;
      }
      const url = f.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/');
      const where = url === '' ? '' : ` ${url}:${f.lineNumber + 1}`;
      const key = `${f.functionName || '(anonymous)'}${where}`;
      const pkg = url.startsWith('node_modules/')
        ? url.split('/').slice(1, url.split('/')[1]?.startsWith('@') ? 3 : 2).join('/')
        : url.startsWith('dist/') ? url.replace(/:\d+$/, '') : url.startsWith('node:') ? 'node (core modules)' : url === '' ? f.functionName || '(native)' : url;
      byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
      busy += dt;
    });
  }
  const top = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([name, us]) => ({ name, percent: (us / busy) * 100 }));
  return { busyPercent: (busy / (busy + idle)) * 100, functions: top(byFunction), packages: top(byPackage) };
}

async function orchestrate() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5000' },
      warmup: { type: 'string', default: '1000' },
      rounds: { type: 'string', default: '3' },
      senders: { type: 'string', default: '1,50' },
      'no-write': { type: 'boolean', default: false },
      profile: { type: 'string' },
    },
  });
  const durationMs = Number(values.duration);
  const warmupMs = Number(values.warmup);
  const rounds = Number(values.rounds);
  const senderCounts = values.senders.split(',').map(Number);
  const profileDir = values.profile;
  if (profileDir !== undefined) await mkdir(profileDir, { recursive: true });

  const runs = rounds * senderCounts.length * SCENARIOS.length;
  // Everything stops by itself: a hang anywhere ends the bench instead of the machine's patience.
  const children = [];
  const watchdog = setTimeout(() => {
    console.error('bench/webhooks.js: watchdog fired, stopping');
    for (const c of children) c.kill('SIGKILL');
    process.exit(2);
  }, 60_000 + runs * (durationMs + warmupMs + 15_000));
  watchdog.unref();

  const token = `glpat-${randomBytes(12).toString('hex')}`;
  const secret = randomBytes(16).toString('hex');
  const gitlab = await startFakeGitlab(token);
  const loadAverageBefore = os.loadavg();
  const servers = new Map();
  const generator = fork(LOAD_GENERATOR, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(generator);
  const load = rpc(generator);
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL, { connectionName: 'pyrelease-bench-webhooks-info', maxRetriesPerRequest: 1 });
  try {
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const env = { BENCH_GITLAB_URL: gitlab.url, BENCH_GITLAB_TOKEN: token, BENCH_SECRET: secret, BENCH_PRIVATE_KEY: privateKey };
    const webFlags = webRoleNodeFlags(await readFile(COMPOSE_FILE, 'utf8'));
    for (const kind of new Set(SCENARIOS.map((s) => s.server))) {
      // Each server its own key prefix, so each one's stored deliveries are its own.
      const ownPrefix = `{pyrelease-bench-webhooks-${process.pid}-${kind}-${randomBytes(4).toString('hex')}}`;
      const server = await forkServer(kind, { ...env, BENCH_PREFIX: ownPrefix }, profileDir, kind === 'pyrelease' ? webFlags : []);
      children.push(server.child);
      servers.set(kind, server);
    }
    await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
    for (const server of servers.values()) server.idle = await server.call({ type: 'usage' });

    const results = [];
    for (let round = 0; round < rounds; round++) {
      for (const senders of senderCounts) {
        for (const scenario of SCENARIOS) {
          const server = servers.get(scenario.server);
          const before = await server.call({ type: 'usage' });
          const redisBefore = await redisCpuSeconds(redis);
          const t0 = performance.now();
          const result = await load({ type: 'run', options: { url: server.url, path: scenario.path, request: scenario.request, secret, senders, warmupMs, durationMs } });
          const wallMs = performance.now() - t0;
          const after = await server.call({ type: 'usage' });
          const redisCpuPercent = (((await redisCpuSeconds(redis)) - redisBefore) * 1000 / wallMs) * 100;
          const cpuMs = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000;
          // CPU per request is steadier than wall-clock figures when other jobs share the machine.
          const serverCpuUsPerRequest = (cpuMs * 1000) / (result.requests + result.warmup.requests);
          results.push({ ...scenario, senders, round, result, serverCpuPercent: (cpuMs / wallMs) * 100, serverCpuUsPerRequest, redisCpuPercent, after });
          const l = result.latencyMs;
          console.error(`round ${round + 1}/${rounds} ${scenario.id} x${senders}: ${int(result.rps)} req/s, p50 ${ms(l.p50)} p99 ${ms(l.p99)} ms, errors ${result.errorCount}`);
        }
      }
    }

    const rows = [];
    for (const senders of senderCounts) for (const scenario of SCENARIOS) rows.push(median(results.filter((r) => r.id === scenario.id && r.senders === senders)));
    const memory = [];
    const checks = [];
    for (const [kind, server] of servers) {
      const final = await server.call({ type: 'usage' });
      memory.push({ label: serverLabel(kind, webFlags), kind, atReady: server.atReady.rss, idle: server.idle.rss, after: final.rss, peak: final.maxRss });
      if (final.stored !== undefined) {
        const mine = results.filter((r) => r.server === kind);
        const answeredQueued = mine.reduce((sum, r) => sum + r.result.queued + r.result.warmup.queued, 0);
        // Of all it answered: a request answered otherwise (a duplicate) measured another path.
        const answered = mine.reduce((sum, r) => sum + r.result.requests + r.result.warmup.requests, 0);
        checks.push(`${serverLabel(kind, webFlags)}: ${int(answeredQueued)} of ${int(answered)} requests answered "queued", ${int(final.stored)} deliveries stored in Redis (${kind === 'durable-floor' ? 'its stream' : 'the event inbox'})`);
      }
    }
    const worker = await measureWorker({ gitlabUrl: gitlab.url, token, secret });
    memory.push({ label: 'pyrelease worker process (`pyrelease worker`)', kind: 'worker', atReady: worker.atReady, idle: worker.idle, after: Number.NaN, peak: worker.peak });

    const verdict = goalVerdicts(rows, memory).join('\n');
    const tables = renderTables(rows, memory);
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    const redisVersion = servers.get('pyrelease')?.info.redisVersion ?? 'unknown';
    const command = `npm run build && node bench/webhooks.js${process.argv.slice(2).length > 0 ? ' ' + process.argv.slice(2).join(' ') : ''}`;
    const generated = [
      'What: how fast a webhook is acknowledged. pyrelease is the real `startService` (dist/main.js) with',
      '`runWorkers: false` and both forges configured in one process: method and body limit, authentication',
      '(`X-Gitlab-Token`, or `X-Hub-Signature-256` HMAC over the raw body), JSON parse, mapping, zod',
      'validation and a durable write to Redis (`pushEvent`: SET NX on the delivery id and XADD to the event',
      'inbox in one script), then 200 `{"status":"queued"}`, with info logging (one line per webhook) into',
      '/dev/null. GitLab is a 10-line fake on 127.0.0.1 that answers only `GET /api/v4/user`, called once at',
      'start; GitHub is an App with `APP_SLUG` set, so nothing calls GitHub. The no-op Probot app is Probot',
      "14's `createNodeMiddleware` with `app.on('push', () => {})` on a bare node:http server (it verifies the",
      'signature and runs the handler, queues nothing; info logging into /dev/null). The floor is a bare',
      'node:http server that reads the body and answers the same 200. The durable floor is that server plus',
      'one XADD of the delivery id alone to Redis (ioredis, auto-pipelining, as pyrelease\'s connection)',
      'before the 200: no check, parse or log, and less stored than any receiver needs to act on a webhook,',
      'so it takes less than any receiver that stores a delivery before it answers. GitLab requests are GitLab\'s documented',
      'Tag Push Hook example (test/fixtures/gitlab/tag-push.json) with its own `Idempotency-Key` and tag;',
      'GitHub requests are the first push example of @octokit/webhooks-examples (a tag push, 6.9 KB),',
      'signed, with a fresh `X-GitHub-Delivery` and a commit of its own (`after`, `head_commit.id`): pyrelease',
      'also deduplicates GitHub deliveries by the body\'s digest. So each is a new delivery and really becomes',
      'a job; the key prefix is unique per server and deleted at the end.',
      '',
      'The web process runs with the Node flags docker-compose.yml gives the web service (its',
      '`NODE_OPTIONS`, read from the file; `BENCH_WEB_NODE_OPTIONS` overrides them), as it is deployed. The',
      '"on Node\'s default heap" rows are the same process started without them, in the same rounds: what',
      'the flags cost or save.',
      '',
      `Each server runs in its own process; the load generator (bench/load-generator.js) in a third:`,
      `closed loop, N senders on keep-alive connections, ${int(warmupMs)} ms warm-up then ${int(durationMs)} ms measured,`,
      `latency from request start to the last byte of the answer. ${rounds} rounds, scenarios interleaved; each row`,
      'is the round with the median req/s. "errors" counts non-2xx answers and failed requests. CPU is each',
      'process\'s CPU time per wall second (100% is one core): the server and Redis over the run, warm-up',
      'included, the load generator over the measured phase; "server CPU µs/req" is the server\'s CPU time',
      'divided by the requests it answered (warm-up included), which varies less with the machine\'s load.',
      `Memory is each server's RSS at the instant it was ready, then after all of them sat ${IDLE_SETTLE_MS / 1000} s without a`,
      'request ("idle", what the goal is decided on: at ready, start-up\'s garbage may or may not have been',
      'collected yet), after the last round, and its peak (maxRSS).',
      '',
      'Scenarios are a list in bench/webhooks.js (`SCENARIOS`) over server kinds (`SERVERS`) and request',
      'kinds (`REQUEST_KINDS` in bench/load-generator.js). The worker row is `node bin/pyrelease.js worker`',
      '(GitLab configured, its own key prefix), RSS read from /proc when it logged "worker started" and 5 s later;',
      'idle only here; the Worker memory section (bench/worker-memory.js) measures one publishing a burst of releases.',
      '',
      'Command:',
      '',
      '```',
      command,
      '```',
      '',
      `Machine: ${os.cpus().length} CPUs (\`nproc\`), ${cpu.trim()}, Node ${process.version}, Redis ${redisVersion} on 127.0.0.1:6379,`,
      `${new Date().toISOString().slice(0, 10)}. Load average ${loadAverageBefore.map((n) => n.toFixed(1)).join(' / ')} before the run and`,
      `${os.loadavg().map((n) => n.toFixed(1)).join(' / ')} after it (1/5/15 min). The load generator, the server and Redis share these CPUs.`,
      '',
      tables,
      '',
      'Goals:',
      '',
      verdict,
      '',
      ...checks.map((c) => `Check: ${c}.`),
    ].join('\n');
    console.log(`\n${tables}\n\n${verdict}\n${checks.map((c) => `check: ${c}`).join('\n')}`);
    if (!values['no-write']) {
      await writeFile(README, replaceSection(await readFile(README, 'utf8'), 'Webhooks', generated));
      console.log('\nwritten to bench/README.md (## Webhooks)');
    }
  } finally {
    for (const server of servers.values()) await server.call({ type: 'stop' }).catch(() => server.child.kill());
    await load({ type: 'exit' }).catch(() => undefined);
    gitlab.close();
    redis.disconnect();
    clearTimeout(watchdog);
  }
  if (profileDir !== undefined) {
    // The profiles are written when the server processes exit.
    await new Promise((r) => setTimeout(r, 1000));
    for (const [kind, server] of servers) {
      const costs = await topCosts(join(profileDir, kind), server.readyUs);
      console.log(`\n${kind} server (${join(profileDir, kind)}): busy ${costs.busyPercent.toFixed(0)}% of the sampled time after start; shares of the busy time:`);
      console.log('  by package / file:');
      for (const c of costs.packages) console.log(`  ${c.percent.toFixed(1).padStart(5)}%  ${c.name}`);
      console.log('  by function (self time):');
      for (const c of costs.functions) console.log(`  ${c.percent.toFixed(1).padStart(5)}%  ${c.name}`);
    }
  }
}

const isMain = process.argv[1] === SELF;
if (isMain) {
  const roleAt = process.argv.indexOf('--role');
  if (roleAt !== -1 && process.argv[roleAt + 1] === 'server') {
    await serverRole(process.argv[process.argv.indexOf('--server') + 1]);
  } else {
    await orchestrate();
  }
}
