// What each top-level dependency costs a process that loads it: every package is imported
// alone in a fresh `node` (Node's defaults), which reports its RSS and V8 heap before and
// after the import, after a full GC (--expose-gc). Median of --runs starts.
//
//   node bench/module-cost.js [--runs N] [PACKAGE...]
//
// Without packages it measures every dependency in package.json. Prints a table; writes nothing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROBE = `
const gc = globalThis.gc;
const m = () => { gc(); gc(); const u = process.memoryUsage(); return { rss: u.rss, heap: u.heapUsed }; };
const before = m();
await import(process.argv[1]);
const after = m();
console.log(JSON.stringify({ rss: after.rss - before.rss, heap: after.heap - before.heap }));
`;

/** RSS and heap deltas (bytes) of importing `spec` in a fresh node, run from the repository root. */
export function importCost(spec) {
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', PROBE, spec], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out.trim().split('\n').at(-1));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);

function main() {
  const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '3' } }, allowPositionals: true });
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const specs = positionals.length > 0 ? positionals : Object.keys(pkg.dependencies);
  console.log(`import cost in a fresh node ${process.version}, after a full GC, median of ${values.runs} runs`);
  console.log('| module | RSS delta (MiB) | heap delta (MiB) |');
  console.log('|---|---:|---:|');
  for (const spec of specs) {
    let runs;
    try {
      runs = Array.from({ length: Number(values.runs) }, () => importCost(spec));
    } catch {
      console.log(`| ${spec} | (cannot be imported by itself) | |`);
      continue;
    }
    console.log(`| ${spec} | ${mib(median(runs.map((r) => r.rss)))} | ${mib(median(runs.map((r) => r.heap)))} |`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
