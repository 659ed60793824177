// What containing a build costs: the same real builds (Debian's toolchain, no
// isolation, the fixture projects of test/fixtures/projects), uncontained and under the
// sandbox a worker uses (bubblewrap, own uid, limits), alternating, N runs each. Wall time
// is buildDistributions' own; memory is the peak of a memory cgroup holding one more
// run of the same argv (every process of the build, and its page cache). Usage: npm run build && node bench/containment.js [--runs N]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDistributions } from '../dist/publishing/build.js';
import { DEFAULT_LIMITS } from '../dist/publishing/containment.js';
import { probeSandbox } from '../dist/publishing/sandbox-probe.js';
import { identityFiles, sandboxArgv } from '../dist/publishing/sandbox-argv.js';
import { writeBlock } from './readme-section.js';

const here = dirname(fileURLToPath(import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const projects = [
  ['setuptools-static', 'build', '1.4.0'],
  ['hatchling-static', 'build', '2.0.1'],
  ['poetry', 'poetry', '0.3.0'],
];

const decision = await probeSandbox({ setting: 'required', uid: 65532, limits: DEFAULT_LIMITS });
if (decision.kind !== 'contained') {
  console.error(`builds cannot be contained here: ${decision.problem ?? decision.kind}`);
  process.exit(1);
}
const sandbox = { containment: decision.containment, system: decision.system };

async function once(name, tool, version, contained) {
  const root = await mkdtemp(join(tmpdir(), 'pyrelease-bench-contain-'));
  try {
    const dir = join(root, 'p');
    await cp(join(here, '..', 'test', 'fixtures', 'projects', name), dir, { recursive: true });
    const out = await buildDistributions({
      projectDir: dir, tool, version, outDir: join(root, 'out'), isolation: false, timeoutMs: 120_000, maxLogBytes: 1 << 20,
      ...(contained ? { sandbox } : {}),
    });
    return out.durationMs;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

// A memory cgroup of our own under this process's (v1: memory.max_usage_in_bytes; v2:
// memory.peak), or null where this user cannot make one. A cgroup counts every process of
// the build, inside bwrap's PID namespace too, and the page cache its files take.
function memoryCgroup() {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const v1 = lines.find((l) => l.split(':')[1]?.split(',').includes('memory'));
  const v2 = lines.find((l) => l.startsWith('0::'));
  const [dir, peakFile] = v1 !== undefined
    ? [join('/sys/fs/cgroup/memory', v1.split(':')[2] ?? '/'), 'memory.max_usage_in_bytes']
    : [join('/sys/fs/cgroup', v2?.split(':')[2] ?? '/'), 'memory.peak'];
  const mine = join(dir, `pyrelease-bench-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(mine);
  } catch {
    return null;
  }
  return { dir: mine, peak: () => Number(readFileSync(join(mine, peakFile), 'utf8').trim()), remove: () => rmdirSync(mine) };
}

// Peak memory (bytes) of one build, every process and its page cache, as its cgroup counted it.
function peakMemory(name, tool, contained) {
  const cgroup = memoryCgroup();
  if (cgroup === null) return NaN;
  const root = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
  try {
    execFileSync('cp', ['-r', join(here, '..', 'test', 'fixtures', 'projects', name), join(root, 'p')]);
    execFileSync('mkdir', ['-p', join(root, 'out'), join(root, 'home'), join(root, 'tmp')]);
    const build = tool === 'poetry' ? ['/usr/bin/poetry', 'build', '--no-interaction'] : ['/usr/bin/python3', '-m', 'build', '--no-isolation', '--skip-dependency-check', '--outdir', contained ? '/build/out' : join(root, 'out'), '.'];
    let argv = build;
    if (contained) {
      // The argv a worker runs (sandbox-argv.ts), with the same identity files.
      const { passwd, group } = identityFiles(65532);
      writeFileSync(join(root, 'passwd'), passwd);
      writeFileSync(join(root, 'group'), group);
      execFileSync('chown', ['-R', '65532:65532', join(root, 'p'), join(root, 'out'), join(root, 'home'), join(root, 'tmp')]);
      const layout = { src: join(root, 'p'), out: join(root, 'out'), home: join(root, 'home'), tmp: join(root, 'tmp'), passwd: join(root, 'passwd'), group: join(root, 'group'), readOnly: [], cwd: '/build/src' };
      const [command, args] = sandboxArgv(decision.containment, layout, decision.system, build[0], build.slice(1));
      argv = [command, ...args];
    }
    const inside = contained ? '/build' : root;
    const env = { PATH: '/usr/bin:/bin', HOME: `${inside}/home`, TMPDIR: `${inside}/tmp`, POETRY_VIRTUALENVS_CREATE: 'false', LC_ALL: 'C.UTF-8' };
    // The shell joins the cgroup, then becomes the build: nothing else is counted.
    execFileSync('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup.dir, ...argv], { cwd: join(root, 'p'), env, stdio: 'ignore' });
    return cgroup.peak();
  } finally {
    execFileSync('rm', ['-rf', root]);
    cgroup.remove();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const [name, tool, version] of projects) {
  const off = [];
  const on = [];
  await once(name, tool, version, false); // warm the page cache
  for (let i = 0; i < RUNS; i += 1) {
    off.push(await once(name, tool, version, false));
    on.push(await once(name, tool, version, true));
  }
  const mib = (bytes) => (Number.isNaN(bytes) ? 'n/a' : (bytes / 1024 / 1024).toFixed(1));
  const memOff = peakMemory(name, tool, false);
  const memOn = peakMemory(name, tool, true);
  rows.push(`| ${name} (${tool}) | ${median(off)} | ${median(on)} | +${median(on) - median(off)} | ${mib(memOff)} | ${mib(memOn)} |`);
  console.log(rows.at(-1));
}
const block = [
  `Command: \`npm run build && node bench/containment.js --runs ${RUNS}\` (${new Date().toISOString().slice(0, 16)}Z, ${RUNS} runs each, alternating).`,
  '',
  '| project (tool) | uncontained ms (median) | contained ms (median) | cost ms | peak memory MiB uncontained | contained |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
].join('\n');
await writeBlock('containment', block);
