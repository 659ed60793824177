// Peak memory while reading 6 x 95 MiB members, measured in a separate node process
// (its own process.resourceUsage().maxRSS), so that vitest's memory does not count.
// The child runs the compiled dist/, which `npm test` builds first
// (`npx tsc -p tsconfig.build.json` by hand).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStreamedTarGz } from './hostile-archives.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const DIST = new URL('../../dist/publishing/', import.meta.url);
// The budget: peak RSS under +150 MB while extracting.
const BUDGET_BYTES = 150 * 1000 * 1000;

// argv: module URL, export name, archive, destination (or ''), limits as JSON. Prints the
// high-water RSS before and after the call, in bytes (maxRSS is in KiB on Linux).
const CHILD = `
const [url, name, archive, dest, limits] = process.argv.slice(1);
const fn = (await import(url))[name];
const before = process.resourceUsage().maxRSS * 1024;
if (dest) await fn(archive, dest, JSON.parse(limits)); else await fn(archive, JSON.parse(limits));
console.log(JSON.stringify({ before, after: process.resourceUsage().maxRSS * 1024 }));
`;

async function peakGrowth(module: string, name: string, archive: string, dest: string, limits: object): Promise<number> {
  const args = ['--input-type=module', '-e', CHILD, new URL(module, DIST).href, name, archive, dest, JSON.stringify(limits)];
  const { stdout } = await run(process.execPath, args, { timeout: 60_000 });
  const { before, after } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { before: number; after: number };
  return after - before;
}

let work: string;
let archive: string;
beforeAll(async () => {
  if (!existsSync(new URL('source-archive.js', DIST))) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.build.json` (npm test does)');
  work = await mkdtemp(join(tmpdir(), 'pyrelease-mem-'));
  // Named like an sdist so that one archive serves extraction and inspection.
  archive = join(work, 'demo-1.0.tar.gz');
  const pkgInfo = { path: 'demo-1.0/PKG-INFO', size: 64 };
  const members = Array.from({ length: 6 }, (_, i) => ({ path: `demo-1.0/data/m${i}.bin`, size: 95 * MiB }));
  await writeStreamedTarGz(archive, [pkgInfo, ...members]);
}, 60_000);
afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('memory stays bounded for 6 x 95 MiB members', () => {
  // Before: every chunk stayed reachable until the extraction ended (+625 MB peak).
  it('extraction', async () => {
    const growth = await peakGrowth('source-archive.js', 'extractSourceArchive', archive, join(work, 'dest'), { maxBytes: 1024 * MiB });
    expect(growth).toBeLessThan(BUDGET_BYTES);
  }, 60_000);

  it('sdist inspection (PKG-INFO, digests)', async () => {
    const growth = await peakGrowth('inspect.js', 'inspectDistribution', archive, '', {});
    expect(growth).toBeLessThan(BUDGET_BYTES);
  }, 60_000);
});
