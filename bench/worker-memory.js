// Memory of a `pyrelease worker` process, idle and while it publishes a burst of releases,
// next to nothing else: the one figure the webhook bench cannot give (its worker row is
// idle only, because a loaded worker needs a forge and an index behind it).
//
//   web:     the real startService from dist/main.js in this process with runWorkers: false
//            (it only receives the webhooks and queues them).
//   worker:  `node bin/pyrelease.js worker`, as an operator runs it, in its own process;
//            its RSS is read from /proc/<pid>/status (VmRSS) every 50 ms, and its peak
//            (VmHWM) at the end.
//   forge:   the small fake GitLab of bench/tag-to-upload.js, and its fake index (every
//            file absent, every upload answered 200).
//   load:    N tag webhooks sent at once, each a new version; every release's sdist and
//            wheel are built before the measured part and kept where a publish job finds
//            an earlier attempt's files, so the worker does everything of a release but
//            the Python build (which runs in a child process and does not count in the
//            worker's RSS anyway): forge reads, statuses, file inspection, hashing, the
//            index lookups and multipart uploads, the ledger and the GitLab release.
//
//   npm run build && node bench/worker-memory.js [--releases N] [--no-write]
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machineLine, writeBlock } from './readme-section.js';
import { releaseRig } from './tag-to-upload.js';

const MIB = 1024 * 1024;

/** VmRSS and VmHWM (peak) in bytes from the text of /proc/<pid>/status. */
export function memoryFromStatus(status) {
  const bytes = (field) => {
    const kib = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1];
    if (kib === undefined) throw new Error(`/proc status has no ${field} line`);
    return Number(kib) * 1024;
  };
  return { rss: bytes('VmRSS'), peak: bytes('VmHWM') };
}

async function memoryOf(pid) {
  return memoryFromStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
}

/** Starts `pyrelease worker` with env; resolves once it logged "worker started". */
function startWorker(env) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../bin/pyrelease.js', import.meta.url)), 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('pyrelease worker did not log "worker started" within 20 s')), 20_000);
    let seen = '';
    child.stdout.on('data', (chunk) => {
      if (seen.includes('worker started')) return;
      seen += chunk.toString('utf8');
      if (seen.includes('worker started')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`pyrelease worker exited early (${code}): ${stderr}`)));
  });
  const stop = async () => {
    child.kill('SIGTERM');
    const how = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
    if (how === 'timeout') child.kill('SIGKILL');
    return how;
  };
  return { child, started, stop };
}

async function main() {
  const { values } = parseArgs({ options: { releases: { type: 'string', default: '20' }, 'no-write': { type: 'boolean', default: false } } });
  const count = Number(values.releases);
  if (!Number.isInteger(count) || count < 1) throw new Error('--releases must be a positive integer');
  const watchdog = setTimeout(() => {
    console.error('bench/worker-memory.js: watchdog fired, stopping');
    process.exit(2);
  }, 60_000 + count * 10_000);
  watchdog.unref();

  const versions = Array.from({ length: count }, (_, i) => `2.0.${i + 1}`);
  const rig = await releaseRig({ name: 'wmem', versions, runWorkers: false });
  const { gitlab, index } = rig;
  const worker = startWorker({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...rig.env });

  let result;
  try {
    await worker.started;
    await new Promise((r) => setTimeout(r, 5000));
    const idle = await memoryOf(worker.child.pid);

    for (const version of versions) await rig.stage(version);

    const samples = [];
    const sampler = setInterval(() => {
      memoryOf(worker.child.pid).then((m) => samples.push(m.rss), () => undefined);
    }, 50);
    const sentAt = performance.now();
    const answers = await Promise.all(versions.map((version) => rig.sendTag(`v${version}`)));
    const refused = answers.filter((a) => a.status !== 200 || a.body.status !== 'queued');
    if (refused.length > 0) throw new Error(`webhooks not queued: ${JSON.stringify(refused)}`);
    const done = () => versions.every((v) => gitlab.releases.has(`v${v}`) && gitlab.statuses.some((s) => s.sha === gitlab.tags.get(`v${v}`) && s.status === 'success'));
    await gitlab.until(done, 20_000 + count * 5_000, `${count} releases`);
    const wallMs = performance.now() - sentAt;
    clearInterval(sampler);
    const after = await memoryOf(worker.child.pid);
    await new Promise((r) => setTimeout(r, 5000));
    const settled = await memoryOf(worker.child.pid);
    if (index.state.uploads !== count * 2) throw new Error(`expected ${count * 2} uploads, the index saw ${index.state.uploads}`);
    const sampledMax = Math.max(...samples, after.rss);
    result = { idle: idle.rss, sampledMax, peak: after.peak, after: after.rss, settled: settled.rss, wallMs, samples: samples.length, uploads: index.state.uploads };
  } finally {
    const how = await worker.stop();
    if (how !== 0) console.log(`worker stopped with ${how}`);
    await rig.close();
    clearTimeout(watchdog);
  }

  const m = (bytes) => (bytes / MIB).toFixed(1);
  const generated = [
    `${count} tag releases sent at once to a web process, published by one \`pyrelease worker\` (PYRELEASE_WORKER_CONCURRENCY ${rig.workerConcurrency}) in ${(result.wallMs / 1000).toFixed(1)} s: ${result.uploads} uploads, every release created and its status success. ${machineLine()}`,
    '',
    '| pyrelease worker process | RSS (MiB) |',
    '|---|---:|',
    `| idle, 5 s after "worker started" | ${m(result.idle)} |`,
    `| highest of ${result.samples} samples (every 50 ms) while publishing | ${m(result.sampledMax)} |`,
    `| peak (VmHWM) over the whole run | ${m(result.peak)} |`,
    `| right after the last release | ${m(result.after)} |`,
    `| 5 s later | ${m(result.settled)} |`,
  ].join('\n');
  console.log(`\n${generated}`);
  if (!values['no-write']) await writeBlock('worker-memory', generated);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
