// Writes a bench's figures into bench/README.md between two markers of its own,
// `<!-- NAME: begin generated -->` and `<!-- NAME: end generated -->`, and leaves every
// other line (the hand-written notes around them) alone. Used by the benches and run.js.
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export const README = fileURLToPath(new URL('./README.md', import.meta.url));

export const beginMarker = (name) => `<!-- ${name}: begin generated -->`;
export const endMarker = (name) => `<!-- ${name}: end generated -->`;

/** The readme with the block `name` replaced by `generated`, or null when its markers are missing or out of order. */
export function replaceBlock(readme, name, generated) {
  const begin = readme.indexOf(beginMarker(name));
  const end = readme.indexOf(endMarker(name));
  if (begin === -1 || end === -1 || end < begin) return null;
  return `${readme.slice(0, begin)}${beginMarker(name)}\n\n${generated.trim()}\n\n${readme.slice(end)}`;
}

/** Writes the block into bench/README.md unless --no-write was given; a README without the markers is an error. */
export async function writeBlock(name, generated) {
  if (process.argv.includes('--no-write')) return;
  const next = replaceBlock(await readFile(README, 'utf8'), name, generated);
  if (next === null) throw new Error(`bench/README.md has no ${beginMarker(name)} ... ${endMarker(name)} block`);
  await writeFile(README, next);
  console.log(`written to bench/README.md (${name})`);
}

/** One line about where and when the figures were taken. */
export function machineLine(extra = '') {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const load = os.loadavg().map((n) => n.toFixed(1)).join(' / ');
  return `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} CPUs (${cpu}), Node ${process.version}${extra}; load average ${load} (1/5/15 min) at the end.`;
}
