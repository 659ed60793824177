// `npm run bench`: runs every bench/*.js except this file, one after another (they
// measure throughput, so running them side by side would skew each other), and stops
// at the first that fails. Each writes its own table; bench/README.md says what it measures.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
// Helpers that a bench forks itself, not benches of their own.
const helpers = new Set(['load-generator.js']);
const benches = readdirSync(here)
  .filter((name) => name.endsWith('.js') && name !== self && !helpers.has(name))
  .sort();

for (const name of benches) {
  console.log(`\n## ${name}\n`);
  const result = spawnSync(process.execPath, [join(here, name)], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`bench/${name} failed (${result.status ?? result.signal})`);
    process.exit(1);
  }
}
