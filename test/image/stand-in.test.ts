import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDockerfile } from '../docker/dockerfile-parser.js';
import { podman } from './container.js';
import { BASE_REF, CONTEXT, ULIMITS, ensureImage } from './image-build.js';

// The image here is built on a stand-in for node:24-bookworm-slim (scripts/image/
// stand-in-base.sh): Debian bookworm from the apt mirror, slimmed and configured as
// Debian's images are, with Node 24 and npm 11 from the npm registry where the official
// image puts them. What the official image has and the stand-in does not: yarn, corepack,
// /usr/local/bin/docker-entrypoint.sh (its ENTRYPOINT) and the `node` user (uid 1000).
// So the suite proves the image only as far as the Dockerfile needs none of those.
const dockerfile = readFileSync(join(CONTEXT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile).stages;

describe('the stand-in base differs from node:24-bookworm-slim only where the Dockerfile does not look', () => {
  let facts: Record<string, string> = {};
  beforeAll(async () => {
    await ensureImage();
    const probe = [
      'printf "yarn=%s\\n" "$(command -v yarn || echo missing)"',
      'printf "corepack=%s\\n" "$(command -v corepack || echo missing)"',
      'printf "entrypoint=%s\\n" "$(test -e /usr/local/bin/docker-entrypoint.sh && echo present || echo missing)"',
      'printf "node-user=%s\\n" "$(getent passwd node || echo missing)"',
      'printf "node=%s\\n" "$(node --version)"',
      'printf "npm=%s\\n" "$(npm --version)"',
      'printf "debian=%s\\n" "$(cat /etc/debian_version)"',
      'printf "apt-clean=%s\\n" "$(test -e /etc/apt/apt.conf.d/docker-clean && echo present || echo missing)"',
    ].join('; ');
    const out = await podman(['run', '--rm', ...ULIMITS, '--entrypoint', 'sh', BASE_REF, '-c', probe]);
    facts = Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  });

  it('is Debian 12 with Node 24 and npm 11 in /usr/local, and apt configured as in Debian images (.debs deleted after install)', () => {
    expect(facts['debian']).toMatch(/^12\./);
    expect(facts['node']).toMatch(/^v24\./);
    expect(facts['npm']).toMatch(/^11\./);
    expect(facts['apt-clean']).toBe('present');
  });

  it.each(['yarn', 'corepack', 'entrypoint', 'node-user'])('has no %s (the official image has one)', (what) => {
    expect(facts[what]).toBe('missing');
  });

  it('the Dockerfile uses none of them: no yarn, corepack or docker-entrypoint.sh, no node user, its own ENTRYPOINT and USER', () => {
    const instructions = stages.flatMap((s) => s.instructions.map((i) => `${i.keyword} ${i.args}`));
    for (const word of [/\byarn\b/i, /\bcorepack\b/i, /docker-entrypoint/, /\/home\/node\b/, /\bYARN_VERSION\b/, /--chown=node\b/, /\b1000\b/]) {
      expect(instructions.filter((i) => word.test(i)), String(word)).toEqual([]);
    }
    const final = stages.at(-1);
    // The official image's ENTRYPOINT is docker-entrypoint.sh: the runtime stage replaces it, and runs as a user it makes itself.
    expect(final?.instructions.some((i) => i.keyword === 'ENTRYPOINT')).toBe(true);
    const user = final?.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).not.toBe('node');
    const runs = final?.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' ') ?? '';
    expect(runs).toMatch(new RegExp(`useradd\\b[^&]*\\b${user ?? 'no USER'}\\b`));
  });
});
