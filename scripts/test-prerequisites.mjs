// What the test suites need from the machine, before `npm test` runs them (the npm
// `pretest` hook; .ci/run calls `npm test` too):
// - the Debian packages in system-packages/runtime.txt and system-packages/test.txt:
//   as root, the missing ones are installed (apt-get); otherwise the exact
//   `sudo apt-get install` line is printed and the exit status is 1, before any test runs;
// - a Redis on 127.0.0.1:6379: one is started (keeping nothing on disk) where none answers.
// Usage: node scripts/test-prerequisites.mjs
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LISTS = ['runtime.txt', 'test.txt'];

/** The packages of one list: one per line, `#` starts a comment. */
export function parsePackageList(text) {
  return text.split('\n').map((line) => line.replace(/#.*/, '').trim()).filter((line) => line !== '');
}

export function readPackageLists(names = LISTS) {
  return names.flatMap((name) => parsePackageList(readFileSync(new URL(`../system-packages/${name}`, import.meta.url), 'utf8')));
}

/** The packages dpkg does not list as installed; null without dpkg-query (not Debian). */
export function missingPackages(packages) {
  const probe = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Status}\\n', ...packages], { encoding: 'utf8' });
  if (probe.error !== undefined) return null;
  const installed = new Set(probe.stdout.split('\n').filter((l) => l.endsWith(' install ok installed')).map((l) => l.split(' ')[0]));
  return packages.filter((p) => !installed.has(p));
}

/** The line a user without root runs. */
export function sudoLine(missing) {
  return `sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`;
}

function log(message) {
  process.stderr.write(`== ${message}\n`);
}

function ensurePackages() {
  const packages = readPackageLists();
  const missing = missingPackages(packages);
  if (missing === null) {
    log(`dpkg-query not found: not a Debian machine; the suites need the equivalents of: ${packages.join(' ')}`);
    return true;
  }
  if (missing.length === 0) return true;
  if (process.geteuid?.() !== 0) {
    process.stderr.write(
      `The test suites need Debian packages this machine lacks: ${missing.join(' ')}\n` +
        'Install them (system-packages/*.txt say why each is needed), then run the tests again:\n\n' +
        `  ${sudoLine(missing)}\n\n`,
    );
    return false;
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  // needrestart (Debian's apt hook) has no terminal to ask on here: skip it.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_SUSPEND: '1' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...missing]]) {
    const run = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (run.status !== 0) {
      process.stderr.write(`apt-get ${args[0]} failed (${run.error?.message ?? `exit ${run.status}`})\n`);
      return false;
    }
  }
  const still = missingPackages(packages) ?? [];
  if (still.length > 0) process.stderr.write(`still missing after apt-get install: ${still.join(' ')}\n`);
  return still.length === 0;
}

const redisAnswers = () => spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG';

/** The queue suites use the machine's Redis on 127.0.0.1:6379; start one where none answers. */
function ensureRedis() {
  if (redisAnswers()) return true;
  log('starting redis-server on 127.0.0.1:6379');
  const dir = '/tmp/pyrelease-ci-redis';
  mkdirSync(dir, { recursive: true });
  spawnSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', `${dir}/redis.log`], { stdio: 'inherit' });
  for (let i = 0; i < 50; i += 1) {
    if (redisAnswers()) return true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  process.stderr.write(`redis-server did not answer on 127.0.0.1:6379 (see ${dir}/redis.log)\n`);
  return false;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!ensurePackages() || !ensureRedis()) process.exit(1);
}
