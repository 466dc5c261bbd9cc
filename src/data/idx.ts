import { gunzipSync } from 'node:zlib';
import { UserError } from '../util/errors.js';

/** An IDX array (LeCun's MNIST format): unsigned bytes with their dimensions. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const IDX_UBYTE = 0x08;
const IDX_TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};

/** Larger decompressed files are refused: Fashion-MNIST's largest is 47 MB. */
export const MAX_IDX_BYTES = 1 << 30;

/** Whether bytes begin with gzip's magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses an IDX file held in memory. Pure: returns a view of the buffer, never copies it. `name` is used in errors. */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  if (bytes.length < 4) throw new UserError(`${name}: ${bytes.length} bytes is too short for an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new UserError(`${name}: not an IDX file (magic number starts 0x${hex(bytes[0]!)}${hex(bytes[1]!)}, expected 0x0000)`);
  }
  const type = bytes[2]!;
  const rank = bytes[3]!;
  if (type !== IDX_UBYTE) {
    const typeName = IDX_TYPE_NAMES[type];
    throw new UserError(
      typeName === undefined
        ? `${name}: unknown IDX data type 0x${hex(type)}`
        : `${name}: IDX data type ${typeName} is not supported (only unsigned byte images and labels)`,
    );
  }
  if (rank < 1) throw new UserError(`${name}: IDX file declares 0 dimensions`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw new UserError(`${name}: truncated header (${bytes.length} bytes, ${rank} dimensions need ${headerBytes})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const body = bytes.length - headerBytes;
  if (count !== body) {
    throw new UserError(
      `${name}: dimensions ${dims.join('x')} need ${count} bytes of data but the file holds ${body}` +
        (count > body ? ' (truncated?)' : ''),
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Decompresses (when gzip) and parses IDX bytes read from a file. */
export function decodeIdx(raw: Uint8Array, name: string): IdxArray {
  let bytes = raw;
  if (isGzip(raw)) {
    try {
      bytes = gunzipSync(raw, { maxOutputLength: MAX_IDX_BYTES });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new UserError(`${name}: corrupted or oversized gzip stream (${reason})`);
    }
  }
  return parseIdx(bytes, name);
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
