// Idle memory of the web process exactly as an operator starts it:
// `node bin/pyrelease.js serve --no-worker` with GitLab and a GitHub App configured (a tiny
// fake GitLab on 127.0.0.1 answers the bot-user read at start; the App has APP_SLUG, so
// nothing calls GitHub). RSS is read from /proc when it logs "pyrelease is listening" and
// again after it sat idle, for each NODE_OPTIONS setting, several starts each.
//
//   npm run build && node bench/web-memory.js [--starts N] [--settle MS] [--node-options "..."]...
//
// Without --node-options it compares Node's defaults with the web service's NODE_OPTIONS in
// docker-compose.yml. Prints a table; writes nothing.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { memoryFromStatus } from './worker-memory.js';
import { webRoleNodeFlags } from './webhooks.js';

const BIN = fileURLToPath(new URL('../bin/pyrelease.js', import.meta.url));
const COMPOSE_FILE = fileURLToPath(new URL('../docker-compose.yml', import.meta.url));
const REDIS_URL = process.env.PYRELEASE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Starts the web process once with these NODE_OPTIONS; RSS (bytes) at ready and after `settleMs`. */
export async function measureWebProcess({ nodeOptions, settleMs, gitlabUrl, privateKey }) {
  const secret = randomBytes(16).toString('hex');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    REDIS_URL,
    PYRELEASE_QUEUE_PREFIX: `{pyrelease-bench-web-memory-${process.pid}}`,
    GITLAB_URL: gitlabUrl,
    GITLAB_TOKEN: `glpat-${randomBytes(12).toString('hex')}`,
    GITLAB_WEBHOOK_SECRET: secret,
    APP_ID: '4242',
    APP_SLUG: 'pyrelease-bench',
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: secret,
    GHE_HOST: new URL(gitlabUrl).host,
    GHE_PROTOCOL: 'http',
    NODE_OPTIONS: nodeOptions,
  };
  const child = spawn(process.execPath, [BIN, 'serve', '--no-worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`no "pyrelease is listening" within 30 s:\n${out}${err}`)), 30_000);
      child.stdout.on('data', (chunk) => {
        out += chunk;
        if (out.includes('pyrelease is listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr.on('data', (chunk) => (err += chunk));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the web process exited with ${code} before it listened:\n${out}${err}`));
      });
    });
    const rss = async () => memoryFromStatus(await readFile(`/proc/${child.pid}/status`, 'utf8')).rss;
    const atReady = await rss();
    await new Promise((r) => setTimeout(r, settleMs));
    return { atReady, idle: await rss() };
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  }
}

export function startFakeGitlab() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 1, username: 'pyrelease-bot' }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() })));
}

const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);

async function main() {
  const { values } = parseArgs({ options: { starts: { type: 'string', default: '3' }, settle: { type: 'string', default: '5000' }, 'node-options': { type: 'string', multiple: true } } });
  const settings = values['node-options'] ?? ['', webRoleNodeFlags(await readFile(COMPOSE_FILE, 'utf8'), undefined).join(' ')];
  const gitlab = await startFakeGitlab();
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    console.log(`web process (\`node bin/pyrelease.js serve --no-worker\`), Node ${process.version}, idle = ${Number(values.settle) / 1000} s after ready`);
    console.log('| NODE_OPTIONS | starts | RSS at ready (MiB) | RSS idle (MiB) |');
    console.log('|---|---:|---|---|');
    // Settings interleaved start by start, so that load from other processes hits them alike.
    const results = settings.map(() => []);
    for (let i = 0; i < Number(values.starts); i++) {
      for (const [n, nodeOptions] of settings.entries()) results[n].push(await measureWebProcess({ nodeOptions, settleMs: Number(values.settle), gitlabUrl: gitlab.url, privateKey }));
    }
    for (const [n, nodeOptions] of settings.entries()) {
      const runs = results[n];
      console.log(`| ${nodeOptions === '' ? '(none)' : `\`${nodeOptions}\``} | ${runs.length} | ${runs.map((r) => mib(r.atReady)).join(', ')} | ${runs.map((r) => mib(r.idle)).join(', ')} |`);
    }
  } finally {
    gitlab.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
