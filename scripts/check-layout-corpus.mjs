#!/usr/bin/env node
// Checks the shape of test/fixtures/layouts/*/layout.json (not what the core reads: the
// table test does that). Usage: node scripts/check-layout-corpus.mjs [dir...]
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../test/fixtures/layouts/', import.meta.url).pathname;
const SOURCES = new Set(['project', 'poetry', 'setup.cfg', 'setup.py', 'module', 'file', 'scm', 'unreadable', 'missing']);
const PROVIDERS = new Set(['setuptools-scm', 'hatch-vcs', 'flit_scm', 'versioningit', 'dunamai', 'poetry-dynamic-versioning', 'pdm-scm', 'versioneer', 'pbr']);
const WITH_VERSION = new Set(['project', 'poetry', 'setup.cfg', 'setup.py', 'module', 'file']);

const dirs = process.argv.length > 2 ? process.argv.slice(2) : readdirSync(ROOT).filter((d) => statSync(join(ROOT, d)).isDirectory());
let bad = 0;
for (const d of dirs) {
  const dir = d.startsWith('/') ? d : join(ROOT, d);
  const problems = [];
  let j;
  try {
    j = JSON.parse(readFileSync(join(dir, 'layout.json'), 'utf8'));
  } catch (e) {
    problems.push(`layout.json: ${e.message}`);
  }
  if (j) {
    if (!/^[\w.-]+\/[\w.-]+$/.test(j.repo ?? '')) problems.push('repo must be owner/name');
    if (!/^[0-9a-f]{40}$/.test(j.commit ?? '')) problems.push('commit must be 40 hex digits');
    if (typeof j.projectDir !== 'string') problems.push('projectDir must be a string');
    if (!Array.isArray(j.paths) || j.paths.length === 0) problems.push('paths must list the reproduced files');
    if (j.tag !== null && typeof j.tag !== 'string') problems.push('tag must be a string or null');
    if (j.tag !== null && typeof j.tagEvidence !== 'string') problems.push('tagEvidence must say where the tag is seen');
    if (typeof j.layout !== 'string') problems.push('layout must be a string');
    if (!Array.isArray(j.oddities)) problems.push('oddities must be an array');
    const e = j.expected ?? {};
    if (!SOURCES.has(e.source)) problems.push(`expected.source ${JSON.stringify(e.source)} is not one of ${[...SOURCES].join(', ')}`);
    if (e.name !== null && typeof e.name !== 'string') problems.push('expected.name must be a string or null');
    if (e.source === 'scm' && !PROVIDERS.has(e.provider)) problems.push(`expected.provider ${JSON.stringify(e.provider)} is not a known scm provider`);
    if (WITH_VERSION.has(e.source)) {
      if (typeof e.version !== 'string') problems.push('expected.version must be the version as spelled');
      if (typeof e.file !== 'string' || !Number.isInteger(e.line)) problems.push('expected.file and expected.line are required');
    } else if (e.version !== null && e.version !== undefined) problems.push(`expected.version must be null for ${e.source}`);
    if (typeof e.file === 'string') {
      const f = join(dir, 'tree', e.file);
      if (!existsSync(f)) problems.push(`expected.file ${e.file} is not under tree/`);
      else if (Number.isInteger(e.line)) {
        const lines = readFileSync(f, 'latin1').split('\n');
        const at = lines[e.line - 1];
        if (at === undefined) problems.push(`line ${e.line} is past the end of ${e.file}`);
        else if (typeof e.version === 'string' && !at.includes(e.version.replace(/^v/, '')) && e.source !== 'file' && !/[([]/.test(at)) {
          problems.push(`line ${e.line} of ${e.file} does not hold ${e.version}: ${JSON.stringify(at)}`);
        }
      }
    }
    if (!existsSync(join(dir, 'tree'))) problems.push('tree/ is missing');
  }
  if (problems.length > 0) {
    bad++;
    console.log(`${d}:\n  ${problems.join('\n  ')}`);
  }
}
console.log(`${dirs.length} entries, ${bad} with problems`);
process.exit(bad === 0 ? 0 : 1);
