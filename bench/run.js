// `npm run bench`: runs every bench/*.js except this file, one after another (they
// measure throughput, so running them side by side would skew each other), and stops
// at the first that fails. Each writes its own figures into bench/README.md; at the end
// this writes the intro (command, machine, duration) above them, so the whole README is
// one run. bench/README.md says what each bench measures.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBlock } from './readme-section.js';

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
// Helpers that a bench forks or imports, not benches of their own.
const helpers = new Set(['fake-github.js', 'fake-server.js', 'load-generator.js', 'readme-section.js', 'sweep-forges.js']);
const benches = readdirSync(here)
  .filter((name) => name.endsWith('.js') && name !== self && !helpers.has(name))
  .sort();

const version = (file, args) => {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'not found';
  }
};

const started = performance.now();
const loadBefore = os.loadavg();
const timings = [];
for (const name of benches) {
  console.log(`\n## ${name}\n`);
  const t0 = performance.now();
  const result = spawnSync(process.execPath, [join(here, name), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`bench/${name} failed (${result.status ?? result.signal})`);
    process.exit(1);
  }
  timings.push(`${name} ${Math.round((performance.now() - t0) / 1000)} s`);
}

const load = (l) => l.map((n) => n.toFixed(1)).join(' / ');
const intro = [
  'Every figure below comes from one run of',
  '',
  '```',
  'npm run build && node bench/run.js      # = npm run bench',
  '```',
  '',
  `on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()}, Node ${process.version}, ${version('redis-server', ['--version']).split(' ').slice(0, 3).join(' ')}, ` +
    `${version('python3', ['--version'])}. It took ${Math.round((performance.now() - started) / 1000)} s (${timings.join(', ')}); ` +
    `load average ${load(loadBefore)} before and ${load(os.loadavg())} after (1/5/15 min).`,
  '',
  'The benches share the machine with whatever else runs on it, and the load generator, the servers',
  'and Redis share its CPUs with each other: absolute figures move between runs (by up to 3x on a busy',
  'machine), so compare figures only within one run, and ratios rather than absolute numbers.',
].join('\n');
await writeBlock('bench', intro);
