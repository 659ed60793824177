// A zip has two descriptions of its members: a local header before each member's data,
// and the central directory at the end. yauzl, pip and Python's zipfile read the
// central directory; a streaming reader reads the local headers. A wheel on which they
// disagree (a hidden member, a prepended zip, another name in the local header) is
// refused, as pypi.org refuses it: pypi/warehouse warehouse/utils/zipfiles.py at commit
// 31df638d90a5163514c9ff9eccb28393ecd782a4, validate_zipfile ("so that a ZIP file would
// parse the same" both ways; data descriptors and trailing data refused too).
import type { FileHandle } from 'node:fs/promises';

/** What the central directory says about one member (a subset of yauzl's Entry). */
export interface CentralEntry {
  readonly fileNameRaw: Buffer;
  readonly relativeOffsetOfLocalHeader: number;
  readonly compressedSize: number;
  readonly compressionMethod: number;
  readonly generalPurposeBitFlag: number;
}

const LOCAL_SIG = 0x04034b50;
const EOCD64_SIG = 0x06064b50;
const EOCD64_LOCATOR_SIG = 0x07064b50;
const DATA_DESCRIPTOR_FLAG = 0x08;
const ZIP64_EXTRA = 0x0001;
// EOCD64 record without extensible data (56) plus its locator (20).
const ZIP64_TAIL = 56 + 20;

/**
 * Collects each member's local header and checks it against the central directory,
 * then (finish) that the members, the central directory and its end record cover the
 * file exactly, in that order, with nothing before, between or after them.
 */
export class ZipFraming {
  private readonly spans: Array<readonly [number, number]> = [];

  constructor(private readonly handle: FileHandle) {}

  /** The problem with this member's local header, or null. */
  async add(entry: CentralEntry): Promise<string | null> {
    const name = JSON.stringify(entry.fileNameRaw.toString('utf8').slice(0, 200));
    if ((entry.generalPurposeBitFlag & DATA_DESCRIPTOR_FLAG) !== 0) return `${name} uses a data descriptor`;
    const offset = entry.relativeOffsetOfLocalHeader;
    const fixed = await this.read(offset, 30);
    if (fixed === null || fixed.readUInt32LE(0) !== LOCAL_SIG) return `no local header for ${name} where the central directory says`;
    if ((fixed.readUInt16LE(6) & DATA_DESCRIPTOR_FLAG) !== 0) return `${name} uses a data descriptor`;
    if (fixed.readUInt16LE(8) !== entry.compressionMethod) return `${name} has another compression method in its local header`;
    const nameLength = fixed.readUInt16LE(26);
    const extraLength = fixed.readUInt16LE(28);
    const rest = await this.read(offset + 30, nameLength + extraLength);
    if (rest === null) return `the local header of ${name} is cut short`;
    if (!rest.subarray(0, nameLength).equals(entry.fileNameRaw)) return `the local header of ${name} names another file`;
    let size = fixed.readUInt32LE(18);
    if (size === 0xffffffff) {
      const zip64 = findExtra(rest.subarray(nameLength), ZIP64_EXTRA);
      // Local ZIP64 extras hold both sizes, uncompressed first (APPNOTE 4.5.3).
      if (zip64 === null || zip64.length < 16) return `the local header of ${name} lacks its ZIP64 sizes`;
      size = Number(zip64.readBigUInt64LE(8));
    }
    if (size !== entry.compressedSize) return `${name} has another size in its local header`;
    this.spans.push([offset, offset + 30 + nameLength + extraLength + size]);
    return null;
  }

  /** After the last member: the problem with the layout, or null. */
  async finish(layout: { centralStart: number; centralEnd: number; fileSize: number; commentBytes: number }): Promise<string | null> {
    const spans = [...this.spans].sort((a, b) => a[0] - b[0]);
    let cursor = 0;
    for (const [start, end] of spans) {
      if (start !== cursor) return start > cursor ? `${start - cursor} bytes that no member accounts for` : 'members overlap';
      cursor = end;
    }
    if (cursor !== layout.centralStart) return 'bytes between the last member and the central directory';
    const endRecord = layout.fileSize - 22 - layout.commentBytes;
    const gap = endRecord - layout.centralEnd;
    if (gap === 0) return null;
    if (gap === ZIP64_TAIL) {
      const record = await this.read(layout.centralEnd, 4);
      const locator = await this.read(endRecord - 20, 4);
      if (record?.readUInt32LE(0) === EOCD64_SIG && locator?.readUInt32LE(0) === EOCD64_LOCATOR_SIG) return null;
    }
    return 'bytes between the central directory and its end record';
  }

  private async read(position: number, length: number): Promise<Buffer | null> {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await this.handle.read(buffer, 0, length, position);
    return bytesRead === length ? buffer : null;
  }
}

function findExtra(extra: Buffer, id: number): Buffer | null {
  let at = 0;
  while (at + 4 <= extra.length) {
    const size = extra.readUInt16LE(at + 2);
    if (extra.readUInt16LE(at) === id) return extra.subarray(at + 4, Math.min(extra.length, at + 4 + size));
    at += 4 + size;
  }
  return null;
}
