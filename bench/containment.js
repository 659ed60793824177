// What containing a build costs: the same real builds (Debian's toolchain, no
// isolation, the fixture projects of test/fixtures/projects), uncontained and under the
// sandbox a worker uses (bubblewrap, own uid, limits), alternating, N runs each. Wall time
// is buildDistributions' own; memory is the largest resident set among the build's
// processes (getrusage RUSAGE_CHILDREN of a Python parent that runs one build through
// the same argv). Usage: npm run build && node bench/containment.js [--runs N]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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

// Peak RSS (KiB) of the largest process of one build, as the kernel accounted it.
function peakRss(name, tool, contained) {
  const script = `
import resource, subprocess, sys, json
subprocess.run(json.loads(sys.argv[1]), cwd=sys.argv[2], env=json.loads(sys.argv[3]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)`;
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
    return Number(execFileSync('/usr/bin/python3', ['-c', script, JSON.stringify(argv), join(root, 'p'), JSON.stringify(env)], { encoding: 'utf8' }).trim());
  } finally {
    execFileSync('rm', ['-rf', root]);
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
  const rssOff = peakRss(name, tool, false);
  const rssOn = peakRss(name, tool, true);
  rows.push(`| ${name} (${tool}) | ${median(off)} | ${median(on)} | +${median(on) - median(off)} |`);
  // Printed, not written: across bwrap's PID namespace this figure is not the build's peak (bench/README.md).
  console.log(rows.at(-1), `ru_maxrss KiB uncontained ${rssOff}, contained ${rssOn}`);
}
const block = [
  `Command: \`npm run build && node bench/containment.js --runs ${RUNS}\` (${new Date().toISOString().slice(0, 16)}Z, ${RUNS} runs each, alternating).`,
  '',
  '| project (tool) | uncontained ms (median) | contained ms (median) | cost ms |',
  '| --- | ---: | ---: | ---: |',
  ...rows,
].join('\n');
await writeBlock('containment', block);
