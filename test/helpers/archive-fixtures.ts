import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Header, Pax, c as createTar } from 'tar';

/** test/fixtures/projects/<name>: the sample Python projects. */
export const PROJECTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'projects');

export type FixtureProject =
  | 'setuptools-static'
  | 'setuppy-module'
  | 'setuppy-tool-tables'
  | 'hatchling-static'
  | 'poetry'
  | 'setuptools-scm'
  | 'hatch-vcs'
  | 'flit-module'
  | 'flit-scm'
  | 'meson-python'
  | 'in-tree-backend'
  | 'malicious-env';

/** Copies a fixture project into a fresh temp dir (builds write into their project dir). */
export async function copyProject(name: FixtureProject): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), `pyrelease-${name}-`)), name);
  await cp(join(PROJECTS_DIR, name), dir, { recursive: true });
  return dir;
}

/**
 * Packs a directory the way GitLab's `repository/archive.tar.gz?sha=` and GitHub's
 * tarball endpoint do: every entry under one top directory `<name>-<sha>/`, gzipped.
 * Returns the path of the new archive (in a fresh temp dir unless `outFile` is given).
 */
export async function packForgeArchive(
  projectDir: string,
  opts: { name: string; sha: string; outFile?: string },
): Promise<string> {
  const outFile = opts.outFile ?? join(await mkdtemp(join(tmpdir(), 'pyrelease-archive-')), `${opts.name}-${opts.sha}.tar.gz`);
  await createTar({ gzip: true, file: outFile, cwd: projectDir, prefix: `${opts.name}-${opts.sha}`, portable: true }, ['.']);
  return outFile;
}

/** One raw tar entry; nothing is checked, so tests can write whatever an attacker would. */
export interface RawEntry {
  readonly path: string;
  readonly type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';
  readonly body?: string | Buffer;
  readonly linkpath?: string;
  readonly mode?: number;
  /** Claimed size in the header, when it should differ from the body. */
  readonly size?: number;
}

/** An uncompressed tar stream built header by header (pax records for long names). */
export function rawTar(entries: readonly RawEntry[], opts: { globalComment?: string; trailer?: Buffer } = {}): Buffer {
  const blocks: Buffer[] = [];
  if (opts.globalComment !== undefined) blocks.push(new Pax({ comment: opts.globalComment }, true).encode());
  for (const e of entries) {
    const body = typeof e.body === 'string' ? Buffer.from(e.body) : (e.body ?? Buffer.alloc(0));
    const type = e.type ?? 'File';
    const size = e.size ?? (type === 'File' ? body.length : 0);
    const fields = { path: e.path, type, size, mode: e.mode ?? (type === 'Directory' ? 0o755 : 0o644), mtime: new Date(1_700_000_000_000), uid: 0, gid: 0, ...(e.linkpath === undefined ? {} : { linkpath: e.linkpath }) };
    const header = new Header(fields);
    if (header.encode()) {
      blocks.push(new Pax({ path: e.path, ...(e.linkpath === undefined ? {} : { linkpath: e.linkpath }) }, false).encode());
      header.encode();
    }
    blocks.push(header.block ?? Buffer.alloc(512));
    if (body.length > 0) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  if (opts.trailer !== undefined) blocks.push(opts.trailer);
  return Buffer.concat(blocks);
}

/** Writes `gzip(rawTar(entries))` to a new temp file and returns its path. */
export async function writeRawArchive(entries: readonly RawEntry[], opts: { globalComment?: string; trailer?: Buffer } = {}): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'pyrelease-raw-')), 'archive.tar.gz');
  await writeFile(file, gzipSync(rawTar(entries, opts), { level: 9 }));
  return file;
}
