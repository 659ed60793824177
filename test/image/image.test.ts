import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { podman } from './container.js';
import { REPO_ROOT, ULIMITS, ensureImage, imageArchive } from './image-build.js';
import type { BuiltImage } from './image-build.js';

// What the built image holds and weighs, read from the image itself.
const MB = 1e6;
/** The goal is 450 MB; the apt layer alone keeps it above that (bench/README.md, "Image"). This catches growth. */
const SIZE_LIMIT_MB = 480;

let image: BuiltImage;
beforeAll(async () => {
  image = await ensureImage();
});

const inImage = (script: string): Promise<string> => podman(['run', '--rm', ...ULIMITS, '--user', '0', '--entrypoint', 'sh', image.id, '-c', script]);

describe('the built image', () => {
  it('is configured as the Dockerfile says: user, entrypoint, command, production env, version label', async () => {
    const config = JSON.parse(await podman(['image', 'inspect', '--format', '{{json .Config}}', image.id])) as {
      User: string; Entrypoint: string[]; Cmd: string[]; Env: string[]; Labels: Record<string, string>; WorkingDir: string;
    };
    expect(config.User).toBe('pyrelease');
    expect(config.Entrypoint).toEqual(['tini', '--', 'node', 'bin/pyrelease.js']);
    expect(config.Cmd).toEqual(['serve']);
    expect(config.WorkingDir).toBe('/app');
    expect(config.Env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'PYRELEASE_DATA_DIR=/var/lib/pyrelease', 'PORT=3000']));
    expect(config.Labels['org.opencontainers.image.version']).toBe(image.version);
  });

  it("holds no trace of the build's CA mount, newuidmap and newgidmap with one file capability each and no setuid bit, and no TypeScript in node_modules", async () => {
    const script = [
      'ls -A /usr/local/etc',
      'echo ---',
      'stat -c "%A %n" /usr/bin/newuidmap /usr/bin/newgidmap',
      `python3 -c 'import os; [print(p, os.getxattr(p, "security.capability").hex()) for p in ("/usr/bin/newuidmap", "/usr/bin/newgidmap")]'`,
      'echo ---',
      `find /app/node_modules -type f '(' -name '*.ts' -o -name '*.map' ')' | wc -l`,
      'test -e /app/node_modules/typescript && echo typescript || echo no-typescript',
    ].join('; ');
    const [etc, ids, modules] = (await inImage(script)).split('---\n');
    expect(etc?.trim()).toBe('');
    expect(ids?.trim().split('\n')).toEqual([
      '-rwxr-xr-x /usr/bin/newuidmap',
      '-rwxr-xr-x /usr/bin/newgidmap',
      // VFS_CAP_REVISION_2 | EFFECTIVE; permitted: CAP_SETUID (bit 7), CAP_SETGID (bit 6).
      '/usr/bin/newuidmap 0100000280000000000000000000000000000000',
      '/usr/bin/newgidmap 0100000240000000000000000000000000000000',
    ]);
    expect(modules?.trim().split('\n')).toEqual(['0', 'no-typescript']);
  });

  it(`weighs at most ${SIZE_LIMIT_MB} MB; its layers are written to test-results/image-layers.txt`, async () => {
    const layers = JSON.parse(await podman(['history', '--format', 'json', image.id])) as Array<{ size: number; CreatedBy: string }>;
    const total = layers.reduce((sum, l) => sum + l.size, 0);
    const rows = layers
      .filter((l) => l.size > 0)
      .reverse()
      .map((l) => `${(l.size / MB).toFixed(1).padStart(7)} MB  ${l.CreatedBy.replace(/\s+/g, ' ').slice(0, 110)}`);
    mkdirSync(join(REPO_ROOT, 'test-results'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'test-results', 'image-layers.txt'), `${rows.join('\n')}\n${(total / MB).toFixed(1).padStart(7)} MB  in all (${image.id.slice(0, 12)})\n`);
    console.log(`image ${(total / MB).toFixed(1)} MB`);
    expect(total / MB).toBeLessThanOrEqual(SIZE_LIMIT_MB);
  });

  it('is saved once as a docker-archive named pyrelease:local, for `docker load` (test/compose/)', async () => {
    const archive = await imageArchive();
    expect(archive.id).toBe(image.id);
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive.path, 'manifest.json'], { encoding: 'utf8' })) as Array<{ RepoTags: string[] }>;
    // docker load names it as docker-compose.yml's `image: pyrelease:local` does.
    expect(manifest.map((m) => m.RepoTags)).toEqual([['docker.io/library/pyrelease:local']]);
    expect((await imageArchive()).path).toBe(archive.path);
  });
});
