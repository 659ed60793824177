import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aptPackages, execArgs, keyValues, parseDockerfile, parseInstructions } from './dockerfile-parser.js';
import type { Instruction, Stage } from './dockerfile-parser.js';

// Checks that need no Docker engine (none runs on the CI machines): what the image
// would contain and run, read from the Dockerfile and compared with the repository.
const root = join(import.meta.dirname, '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const dockerfile = parseDockerfile(read('Dockerfile'));
const stages = dockerfile.stages;
const final = stages[stages.length - 1] as Stage;
const build = stages.find((s) => s.name === 'build');
const all = (stage: Stage, keyword: string): Instruction[] => stage.instructions.filter((i) => i.keyword === keyword);
const last = (stage: Stage, keyword: string): Instruction | undefined => all(stage, keyword).at(-1);
// The commands of the pyrelease CLI, read from its dispatch table in src/cli.ts.
const COMMANDS = [...(/const COMMANDS\b[^\n]*\{\n([\s\S]*?)\n\};/.exec(read('src/cli.ts'))?.[1] ?? '').matchAll(/^ {2}([\w-]+):/gm)].map((m) => m[1]);
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; license: string };

describe('the Dockerfile parser', () => {
  it.each([
    ['FROM a AS b\nRUN x \\\n  && y\n', [['FROM', 'a AS b'], ['RUN', 'x && y']]],
    ['# c\nRUN a \\\n# inside\n  b\n\nUSER 1', [['RUN', 'a b'], ['USER', '1']]],
    ['run lower', [['RUN', 'lower']]],
  ])('reads %j', (text, expected) => {
    expect(parseInstructions(text).map((i) => [i.keyword, i.args])).toEqual(expected);
  });

  it.each(['RUN a \\\n', 'RUN <<EOF\nx\nEOF\n'])('refuses what it cannot read: %j', (text) => {
    expect(() => parseInstructions(text)).toThrow();
  });

  it('substitutes global ARGs in FROM and names stages', () => {
    const parsed = parseDockerfile('ARG IMG=node:24-slim\nFROM ${IMG} AS build\nRUN a\nFROM $IMG\nUSER x\n');
    expect(parsed.stages.map((s) => [s.from, s.name, s.instructions.length])).toEqual([['node:24-slim', 'build', 1], ['node:24-slim', null, 1]]);
  });
});

describe('Dockerfile', () => {
  it('is multi-stage: a named build stage and a separate runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build).toBeDefined();
    expect(final.name).not.toBe('build');
  });

  it.each(stages.map((s) => [s.name ?? '(final)', s.from]))('stage %s starts from an even (LTS) Node major >= 20, slim: %s', (_name, from) => {
    const match = /^node:(\d+)(?:\.\d+)*-(\w+)-slim(?:@sha256:[0-9a-f]{64})?$/.exec(from);
    expect(match, from).not.toBeNull();
    const major = Number(match?.[1]);
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(20);
  });

  it('installs the locked dependencies, runs the package.json build script, then prunes dev dependencies', () => {
    const runs = all(build as Stage, 'RUN').map((i) => i.args).join(' && ');
    expect(runs).toMatch(/\bnpm ci\b/);
    expect(pkg.scripts['build']).toBeDefined();
    expect(runs).toMatch(/\bnpm run build\b/);
    expect(runs).toMatch(/\bnpm prune --omit=dev\b/);
  });

  it('runs the final stage as a non-root user with a fixed numeric UID', () => {
    const user = last(final, 'USER')?.args ?? 'root';
    expect(['root', '0', '0:0']).not.toContain(user);
    const runs = all(final, 'RUN').map((i) => i.args).join(' ');
    expect(runs).toMatch(new RegExp(`useradd\\b[^&]*--uid \\d+[^&]*\\b${user}\\b`));
    // USER comes after every RUN, so nothing later runs as root by mistake.
    const order = final.instructions.map((i) => i.keyword);
    expect(order.lastIndexOf('USER')).toBeGreaterThan(order.lastIndexOf('RUN'));
  });

  it.each(stages.flatMap((s) => all(s, 'COPY').map((c) => [s.name ?? '(final)', c.args] as const)))('stage %s: COPY %s names sources that exist', (_stage, args) => {
    const words = args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const sources = words.filter((w) => !w.startsWith('--')).slice(0, -1);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      if (from === undefined) {
        expect(existsSync(join(root, source)), `${source} is not in the repository`).toBe(true);
        expect(dockerignoreAllows(source), `${source} is excluded by .dockerignore`).toBe(true);
      } else {
        const stage = stages.find((s) => s.name === from);
        expect(stage, `no stage named ${from}`).toBeDefined();
        expect(producedBy(stage as Stage, source), `${source} is not made in stage ${from}`).toBe(true);
      }
    }
  });

  it('copies only package.json, dist/, bin/, node_modules/ and app.yml into the final stage from the build stage, and its apt list from the context', () => {
    const sources = (c: Instruction): string => c.args.split(/\s+/).filter((w) => !w.startsWith('--')).slice(0, -1).join(' ');
    const [fromBuild, fromContext] = [all(final, 'COPY').filter((c) => c.args.includes('--from=build')), all(final, 'COPY').filter((c) => !c.args.includes('--from='))];
    expect(fromBuild.map(sources).sort()).toEqual(['/src/app.yml', '/src/bin', '/src/dist', '/src/node_modules', '/src/package.json']);
    expect(fromContext.map(sources)).toEqual(['system-packages/runtime.txt']);
  });

  it('ships every file the compiled code reads beside itself (new URL(..., import.meta.url))', () => {
    const workdir = last(final, 'WORKDIR')?.args ?? '/';
    const inImage = all(final, 'COPY').map((c) => posix.resolve(workdir, c.args.split(/\s+/).at(-1) ?? ''));
    for (const file of sourceFiles(join(root, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/new URL\('([^']+)', import\.meta\.url\)/g)) {
        // src/x/y.ts runs as dist/x/y.js in the image.
        const target = posix.join(workdir, 'dist', posix.dirname(relative(join(root, 'src'), file)), m[1] ?? '');
        expect(inImage.some((p) => target === p || target.startsWith(`${p}/`)), `${relative(root, file)} reads ${target}`).toBe(true);
      }
    }
  });

  it('installs system-packages/runtime.txt, the list CI installs too (image and CI cannot drift: test/system-packages.test.ts)', () => {
    const apt = all(final, 'RUN').filter((r) => aptPackages(r.args).length > 0).map((r) => r.args);
    expect(apt).toHaveLength(1);
    expect(apt[0]).toMatch(/apt-get install [^&]*\$\(sed '[^']*' \/app\/system-packages\/runtime\.txt\)/);
    const runtime = new Set(read('system-packages/runtime.txt').split('\n').map((l) => l.replace(/#.*/, '').trim()));
    // What builds use: Python, PEP 517 build with venv, git, the build sandbox; tini as PID 1.
    for (const p of ['python3', 'python3-build', 'python3-venv', 'git', 'util-linux', 'bubblewrap', 'uidmap', 'tini', 'ca-certificates']) expect(runtime.has(p), p).toBe(true);
  });

  it('keeps apt lean: --no-install-recommends and the package lists removed in the same RUN', () => {
    for (const run of all(final, 'RUN').filter((r) => aptPackages(r.args).length > 0)) {
      expect(run.args).toContain('--no-install-recommends');
      expect(run.args).toMatch(/rm -rf \/var\/lib\/apt\/lists\/\*/);
    }
  });

  it('sets production env, the data dir as a volume, and exposes PORT', () => {
    const env = Object.assign({}, ...all(final, 'ENV').map((e) => keyValues(e.args))) as Record<string, string>;
    expect(env).toMatchObject({ NODE_ENV: 'production', PYRELEASE_DATA_DIR: '/var/lib/pyrelease', PORT: '3000' });
    expect(execArgs(last(final, 'VOLUME')?.args ?? '[]')).toContain(env['PYRELEASE_DATA_DIR']);
    expect(last(final, 'EXPOSE')?.args).toBe(env['PORT']);
  });

  it('checks health with node against /healthz on PORT', () => {
    const check = last(final, 'HEALTHCHECK')?.args ?? '';
    const words = execArgs(check.slice(check.indexOf('CMD') + 3));
    expect(words[0]).toBe('node');
    const script = words.join(' ');
    expect(script).toContain('/healthz');
    expect(script).toContain('process.env.PORT');
    // The route the check asks for is one the service serves.
    expect(read('src/main.ts')).toContain("path: '/healthz'");
  });

  it('starts tini, then the pyrelease CLI with an existing command', () => {
    const entrypoint = execArgs(last(final, 'ENTRYPOINT')?.args ?? '[]');
    expect(entrypoint).toEqual(['tini', '--', 'node', 'bin/pyrelease.js']);
    expect(existsSync(join(root, 'bin', 'pyrelease.js'))).toBe(true);
    const cmd = execArgs(last(final, 'CMD')?.args ?? '[]');
    expect(cmd).toEqual(['serve']);
    expect(COMMANDS).toContain(cmd[0]);
    expect(COMMANDS).toContain('worker');
  });

  it.each(['title', 'description', 'source', 'licenses', 'version'])('labels org.opencontainers.image.%s', (label) => {
    const labels = Object.assign({}, ...all(final, 'LABEL').map((l) => keyValues(l.args))) as Record<string, string>;
    const value = labels[`org.opencontainers.image.${label}`];
    expect(value, label).toBeTruthy();
    if (label === 'licenses') expect(value).toBe(pkg.license);
    if (label === 'version') expect(value).toMatch(/^\$\{?VERSION\}?$/);
  });
});

function producedBy(stage: Stage, path: string): boolean {
  const workdir = last(stage, 'WORKDIR')?.args ?? '/';
  const present: string[] = [];
  for (const copy of all(stage, 'COPY')) {
    const words = copy.args.split(/\s+/).filter((w) => !w.startsWith('--'));
    const dest = posix.join(workdir, words.at(-1) ?? '');
    const sources = words.slice(0, -1);
    const intoDir = (words.at(-1) ?? '').endsWith('/') || sources.length > 1;
    for (const source of sources) present.push(intoDir ? posix.join(dest, posix.basename(source)) : dest);
  }
  // Made by the stage's own commands: npm ci -> node_modules, the build script -> dist.
  const runs = all(stage, 'RUN').map((r) => r.args).join(' ');
  if (runs.includes('npm ci') || runs.includes('npm install')) present.push(posix.join(workdir, 'node_modules'));
  if (runs.includes('npm run build')) present.push(posix.join(workdir, 'dist'));
  return present.some((p) => p === path || path.startsWith(`${p}/`));
}

function dockerignoreAllows(path: string): boolean {
  // This repository's .dockerignore excludes everything (*) and re-includes by name.
  const lines = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const top = path.replace(/^\.\//, '').split('/')[0] ?? '';
  let allowed = true;
  for (const line of lines) {
    if (line === '*') allowed = false;
    else if (line.startsWith('!') && line.slice(1).replace(/\/$/, '') === top) allowed = true;
    else if (line.replace(/\/$/, '') === top) allowed = false;
  }
  return allowed;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}
