// PEP 440 validate+normalize throughput: ours vs @renovatebot/pep440 vs pypa/packaging,
// on one deterministic list. Run `npx tsc -p tsconfig.build.json && node bench/pep440.js`.
// `node bench/pep440.js --disagreements` instead measures where @renovatebot/pep440
// disagrees with packaging, over the differential fixtures in test/fixtures/pep440/.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineLine, writeBlock } from './readme-section.js';
import { performance } from 'node:perf_hooks';
import { clean, compare as rCompare, valid as rValid } from '@renovatebot/pep440';
import { compareVersions, isPythonSpace, normalizeVersion, parseVersion } from '../dist/core/pep440.js';

const N = 50_000;
const ROUNDS = 15;

// mulberry32: a tiny seeded PRNG, so the list is the same on every run.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Shaped like what a release bot sees: mostly x.y.z, some pre/post/dev/local/epoch,
// some non-canonical spellings, about 2% invalid.
export function versionList(n = N) {
  const r = rng(440);
  const int = (max) => Math.floor(r() * max);
  const pick = (xs) => xs[int(xs.length)];
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    const base = `${int(30)}.${int(40)}.${int(60)}`;
    if (x < 0.55) out.push(base);
    else if (x < 0.62) out.push(`${int(30)}.${int(20)}`);
    else if (x < 0.7) out.push(`${base}${pick(['a', 'b', 'rc'])}${int(5)}`);
    else if (x < 0.74) out.push(`${base}.post${int(4)}`);
    else if (x < 0.8) out.push(`${base}.dev${int(2e9)}`);
    else if (x < 0.84) out.push(`${base}+${pick(['cpu', 'cu118', 'ubuntu.1', 'g1a2b3c4', 'local.7'])}`);
    else if (x < 0.85) out.push(`${1 + int(3)}!${base}`);
    else if (x < 0.92) out.push(`v${base}`);
    else if (x < 0.98)
      out.push(pick([`${base}-rc.1`, `${base}.RC1`, `${base}-alpha2`, `${base}-1`, ` ${base}\n`,
        `${base}.post-1`, `${base}_dev3`, `${base}+Ubuntu_2`, `${base}preview`, `0${base}`]));
    else out.push(pick([`${base}-SNAPSHOT`, `${base}.x`, `release-${base}`, `${base}..1`, `${base}+`]));
  }
  return out;
}

// Rounds of the JS implementations are interleaved, so that load from other processes
// on a shared machine hits them alike; the best round of each counts.
function bestOf(fns, items) {
  for (let w = 0; w < 3; w++) for (const fn of fns) fn(items); // warm-up
  const results = fns.map(() => ({ seconds: Infinity, valid: 0 }));
  for (let k = 0; k < ROUNDS; k++) {
    fns.forEach((fn, i) => {
      const t0 = performance.now();
      const valid = fn(items);
      const seconds = (performance.now() - t0) / 1000;
      if (seconds < results[i].seconds) results[i] = { seconds, valid };
    });
  }
  return results;
}

const ours = (items) => { let v = 0; for (const s of items) if (normalizeVersion(s) !== null) v++; return v; };
const renovateClean = (items) => { let v = 0; for (const s of items) if (clean(s) !== null) v++; return v; };
const renovateValidClean = (items) => {
  let v = 0;
  for (const s of items) if (rValid(s) !== null && clean(s) !== null) v++;
  return v;
};

function python(items) {
  const dir = mkdtempSync(join(tmpdir(), 'pep440-bench-'));
  try {
    const file = join(dir, 'versions.jsonl');
    writeFileSync(file, items.map((s) => JSON.stringify(s)).join('\n') + '\n');
    const script = new URL('./pep440.py', import.meta.url).pathname;
    return JSON.parse(execFileSync('python3', [script, file, String(ROUNDS)], { encoding: 'utf8' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function bench() {
  const items = versionList();
  const [a, b, c] = bestOf([ours, renovateClean, renovateValidClean], items);
  const rows = [
    ['pyrelease src/core/pep440 (normalizeVersion)', a],
    ['@renovatebot/pep440 4.2 (clean)', b],
    ['@renovatebot/pep440 4.2 (valid + clean)', c],
  ];
  const py = python(items);
  rows.push([`pypa/packaging ${py.packaging} (str(Version(s))), Python ${py.python}`, py]);
  const lines = [
    `${items.length.toLocaleString('en-US')} versions, best of ${ROUNDS} rounds after warm-up. ${machineLine(`, Python ${py.python}`)}`,
    '',
    '| implementation | versions/s | accepted |',
    '|---|---:|---:|',
    ...rows.map(([name, r]) => `| ${name} | ${Math.round(items.length / r.seconds).toLocaleString('en-US')} | ${r.valid} |`),
  ];
  console.log(lines.join('\n'));
  return lines.join('\n');
}

// ---- disagreements of @renovatebot/pep440 with packaging ----
const fixture = (name) =>
  readFileSync(new URL(`../test/fixtures/pep440/${name}`, import.meta.url), 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l));

function safe(fn) {
  try { return fn(); } catch (e) { return `throws ${e?.constructor?.name ?? 'error'}`; }
}

// renovate turns every local part that Number() accepts into a number: 0x10 -> 16.
function jsNumberLocal(input) {
  const local = input.split('+')[1];
  return local !== undefined && local.split(/[._-]/).some((p) => /[a-z]/i.test(p) && !Number.isNaN(Number(p)));
}

// Why renovate got an input wrong, so that one loud cause does not hide the others.
const BIG = /\d{16,}/; // integers past 2^53 lose digits in JS numbers
function cause(kind, x) {
  const text = JSON.stringify(x);
  if (kind === 'validStrict' || kind === 'validClean') {
    if (/\d{4301}/.test(x.input)) return 'over 4300 digits (packaging raises ValueError)';
    const ends = [x.input.charCodeAt(0), x.input.charCodeAt(x.input.length - 1)];
    if (kind === 'validStrict') return ends.some(isPythonSpace) ? 'surrounding whitespace' : 'other';
    return /^\s|\s$/.test(x.input) || ends.some(isPythonSpace) ? 'Python and JS \\s differ' : 'other';
  }
  if (kind === 'normalize') {
    if (jsNumberLocal(x.input)) return 'local part read as a JS number (0x10, 1e3, Infinity)';
    if (String(x.renovate).includes(',')) return 'local joined with commas';
    return BIG.test(x.packaging) ? 'integer over 2^53' : 'other';
  }
  if (String(x.renovate).startsWith('throws')) return 'throws (input with whitespace)';
  if (jsNumberLocal(x.a) || jsNumberLocal(x.b)) return 'local part read as a JS number (0x10, 1e3, Infinity)';
  return BIG.test(text) ? 'integer over 2^53' : 'other';
}

function disagreements() {
  const rows = ['table.jsonl', 'fuzz-1.jsonl', 'fuzz-2.jsonl', 'fuzz-3.jsonl'].flatMap(fixture);
  const kinds = { validStrict: [], validClean: [], normalize: [], compare: [], compareNormalized: [] };
  for (const [input, e] of rows) {
    const ok = typeof e !== 'string';
    const strict = safe(() => rValid(input)) !== null;
    const cleaned = safe(() => clean(input));
    if (strict !== ok) kinds.validStrict.push({ input, packaging: ok, renovate: strict });
    if ((cleaned !== null) !== ok) kinds.validClean.push({ input, packaging: ok ? e[0] : e, renovate: cleaned });
    else if (ok && cleaned !== e[0]) kinds.normalize.push({ input, packaging: e[0], renovate: cleaned });
  }
  const sorted = JSON.parse(readFileSync(new URL('../test/fixtures/pep440/sort.json', import.meta.url), 'utf8')).sorted;
  const pairs = fixture('pairs.jsonl');
  // Every adjacent pair of the sort fixture plus the pairs fixture.
  for (let i = 1; i < sorted.length; i++) {
    const [a, ra] = sorted[i - 1];
    const [b, rb] = sorted[i];
    pairs.push([a, b, Math.sign(ra - rb)]);
  }
  for (const [a, b, c] of pairs) {
    const got = safe(() => Math.sign(rCompare(a, b)));
    if (got !== c) kinds.compare.push({ a, b, packaging: c, renovate: got });
    const na = normalizeVersion(a);
    const nb = normalizeVersion(b);
    const got2 = safe(() => Math.sign(rCompare(na, nb)));
    if (got2 !== c) kinds.compareNormalized.push({ a: na, b: nb, packaging: c, renovate: got2 });
    // Our own engine must agree, or these figures mean nothing.
    if (compareVersions(parseVersion(a), parseVersion(b)) !== c) throw new Error(`ours disagrees on ${a} ${b}`);
  }
  // The realistic benchmark list too (ours stands in for packaging there; the fixtures
  // above show that they agree).
  const realistic = { n: 0, valid: 0, clean: 0 };
  for (const s of versionList()) {
    const want = normalizeVersion(s);
    realistic.n++;
    if ((rValid(s) !== null) !== (want !== null)) realistic.valid++;
    if (safe(() => clean(s)) !== want) realistic.clean++;
  }
  const valid = rows.filter(([, e]) => typeof e !== 'string').length;
  console.log(`${rows.length} fixture inputs (${valid} valid), ${pairs.length} comparisons`);
  for (const [kind, list] of Object.entries(kinds)) {
    const byCause = {};
    for (const x of list) byCause[cause(kind, x)] = (byCause[cause(kind, x)] ?? 0) + 1;
    console.log(`\n${kind}: ${list.length} ${JSON.stringify(byCause)}`);
    // One example per cause first, then others spread over the list, no repeats.
    const seen = new Set();
    const examples = list.filter((x) => { const c = cause(kind, x); if (seen.has(c)) return false; seen.add(c); return true; });
    const shown = [...new Set([...examples, ...pickSpread(list, 10)].map((x) => JSON.stringify(x)))].slice(0, 5);
    for (const x of shown.map((j) => JSON.parse(j))) {
      console.log('  ' + JSON.stringify(x, (k, v) => (typeof v === 'string' && v.length > 70 ? `${v.slice(0, 40)}... (${v.length} chars)` : v)));
    }
  }
  console.log(`\nrealistic benchmark list: ${realistic.n} inputs; valid() wrong on ${realistic.valid}, clean() wrong on ${realistic.clean}`);
}

// Examples spread over the list, so that one cause does not hide the others.
function pickSpread(list, k) {
  if (list.length <= k) return list;
  return Array.from({ length: k }, (_, i) => list[Math.floor((i * list.length) / k)]);
}

if (process.argv.includes('--disagreements')) disagreements();
else await writeBlock('pep440', bench());
