// Hostile archives generated on the fly: large ones are streamed to disk (nothing big is
// held in memory or committed), zips are tampered with at the byte level.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Header } from 'tar';

export interface StreamedMember {
  readonly path: string;
  readonly size: number;
  readonly type?: 'File' | 'Directory';
  /** The member's bytes: `size` of them, streamed 1 MiB at a time (default: the letter a). */
  readonly fill?: number;
}

function header(m: StreamedMember): Buffer {
  const h = new Header({ path: m.path, type: m.type ?? 'File', size: m.size, mode: 0o644, mtime: new Date(1_700_000_000_000), uid: 0, gid: 0 });
  h.encode();
  return h.block ?? Buffer.alloc(512);
}

async function* tarBlocks(members: readonly StreamedMember[], trailerZeros: number): AsyncGenerator<Buffer> {
  for (const m of members) {
    yield header(m);
    const chunk = Buffer.alloc(1 << 20, m.fill ?? 0x61);
    for (let left = m.size; left > 0; left -= chunk.length) yield chunk.subarray(0, Math.min(left, chunk.length));
    const pad = (512 - (m.size % 512)) % 512;
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(1024);
  const zeros = Buffer.alloc(1 << 20);
  for (let left = trailerZeros; left > 0; left -= zeros.length) yield zeros.subarray(0, Math.min(left, zeros.length));
}

/** gzip(tar(members) + end marker + `trailerZeros` zero bytes), written as a stream. */
export async function writeStreamedTarGz(file: string, members: readonly StreamedMember[], opts: { trailerZeros?: number; level?: number } = {}): Promise<void> {
  await pipeline(Readable.from(tarBlocks(members, opts.trailerZeros ?? 0)), createGzip({ level: opts.level ?? 1 }), createWriteStream(file));
}

// ---- zip surgery: offsets from APPNOTE.TXT 4.3.7 (local), 4.3.12 (central), 4.3.16 (end)

interface CentralRecord {
  readonly at: number;
  readonly length: number;
  readonly name: string;
  readonly localOffset: number;
}

function centralRecords(zip: Buffer): { records: CentralRecord[]; eocd: number } {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const records: CentralRecord[] = [];
  for (let i = 0; i < count; i += 1) {
    const n = zip.readUInt16LE(at + 28);
    const length = 46 + n + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    records.push({ at, length, name: zip.subarray(at + 46, at + 46 + n).toString('utf8'), localOffset: zip.readUInt32LE(at + 42) });
    at += length;
  }
  return { records, eocd };
}

function recordOf(zip: Buffer, name: string): CentralRecord {
  const record = centralRecords(zip).records.find((r) => r.name === name);
  if (record === undefined) throw new Error(`no member ${name}`);
  return record;
}

/** Drops `name` from the central directory only: its data stays, unlisted (zip smuggling). */
export function hideFromCentralDirectory(zip: Buffer, name: string): Buffer {
  const { eocd } = centralRecords(zip);
  const record = recordOf(zip, name);
  const out = Buffer.concat([zip.subarray(0, record.at), zip.subarray(record.at + record.length)]);
  const end = eocd - record.length;
  out.writeUInt16LE(out.readUInt16LE(end + 8) - 1, end + 8);
  out.writeUInt16LE(out.readUInt16LE(end + 10) - 1, end + 10);
  out.writeUInt32LE(out.readUInt32LE(end + 12) - record.length, end + 12);
  return out;
}

/** Rewrites the name in `name`'s local header only (same length): streaming readers see `to`. */
export function renameInLocalHeader(zip: Buffer, name: string, to: string): Buffer {
  if (Buffer.byteLength(to) !== Buffer.byteLength(name)) throw new Error('same length only');
  const out = Buffer.from(zip);
  out.write(to, recordOf(zip, name).localOffset + 30, 'utf8');
  return out;
}

/** Sets general purpose bit 3 ("sizes in a data descriptor") on `name`, in both headers. */
export function flagDataDescriptor(zip: Buffer, name: string): Buffer {
  const out = Buffer.from(zip);
  const record = recordOf(zip, name);
  out.writeUInt16LE(out.readUInt16LE(record.at + 8) | 0x08, record.at + 8);
  out.writeUInt16LE(out.readUInt16LE(record.localOffset + 6) | 0x08, record.localOffset + 6);
  return out;
}
