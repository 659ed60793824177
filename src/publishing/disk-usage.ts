import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export type DiskUsage = { readonly kind: 'ok'; readonly bytes: number } | { readonly kind: 'too-many-files'; readonly files: number };

/**
 * The disk space the trees under `roots` take (allocated blocks, so a sparse file
 * counts for what it really holds). The kernel has no per-directory quota an
 * unprivileged worker can set, so a build's disk limit is this walk, run every second
 * (build.ts), with RLIMIT_FSIZE bounding each file between two walks. A tree of more
 * than `maxFiles` entries is itself over the limit: the walk must stay cheap.
 */
export async function diskUsage(roots: readonly string[], maxFiles: number): Promise<DiskUsage> {
  let bytes = 0;
  let files = 0;
  const pending = [...roots];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    const names = await readdir(dir).catch(() => [] as string[]);
    files += names.length;
    if (files > maxFiles) return { kind: 'too-many-files', files };
    for (const name of names) {
      const path = join(dir, name);
      const st = await lstat(path).catch(() => null);
      if (st === null) continue;
      bytes += st.blocks * 512;
      if (st.isDirectory()) pending.push(path);
    }
  }
  return { kind: 'ok', bytes };
}
