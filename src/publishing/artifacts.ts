import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';

/**
 * Built files kept per release job, so a retried job uploads the very bytes it built the
 * first time. Builds are not byte-for-byte reproducible (sdist timestamps), and a
 * rebuilt sdist with another sha256 would collide with the one already on the index.
 */
const manifestSchema = z.object({
  version: z.literal(1),
  files: z.array(z.object({ filename: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })).min(1),
});

const MANIFEST = 'manifest.json';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The kept files, or null when there are none or any of them changed on disk. */
export async function loadArtifacts(dir: string): Promise<string[] | null> {
  let manifest: z.output<typeof manifestSchema>;
  try {
    manifest = manifestSchema.parse(JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')));
  } catch {
    return null;
  }
  const paths: string[] = [];
  for (const file of manifest.files) {
    if (basename(file.filename) !== file.filename) return null;
    const path = join(dir, file.filename);
    try {
      if ((await sha256File(path)) !== file.sha256) return null;
    } catch {
      return null;
    }
    paths.push(path);
  }
  return paths;
}

/** Copies the files in, then writes the manifest last and atomically: a half-saved set is never loaded. */
export async function saveArtifacts(dir: string, files: readonly string[]): Promise<string[]> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const entries: Array<{ filename: string; sha256: string }> = [];
  const paths: string[] = [];
  for (const file of files) {
    const target = join(dir, basename(file));
    await copyFile(file, target);
    entries.push({ filename: basename(file), sha256: await sha256File(target) });
    paths.push(target);
  }
  const tmp = join(dir, `${MANIFEST}.tmp`);
  await writeFile(tmp, JSON.stringify({ version: 1, files: entries }));
  await rename(tmp, join(dir, MANIFEST));
  return paths;
}
