import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeIdx, parseIdx } from '../src/data/idx.js';
import { idxBytes } from './helpers/idx.js';

const idx = (dims: number[], body: number[], type = 0x08) => idxBytes(dims, body, type);

describe('IDX parsing', () => {
  it('reads dimensions and data, gzip or not', () => {
    const raw = idx([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const a = parseIdx(raw);
    expect(a.dims).toEqual([2, 2, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const b = decodeIdx(gzipSync(raw), 'x.gz');
    expect(b.dims).toEqual([2, 2, 3]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  it('names the problem in malformed files', () => {
    expect(() => parseIdx(Uint8Array.from([0x12, 0x34, 8, 1, 0, 0, 0, 0]), 'f')).toThrow(/f: not an IDX file/);
    expect(() => parseIdx(idx([2], [1, 2], 0x0d), 'f')).toThrow(/data type float is not supported/);
    expect(() => parseIdx(idx([3, 2], [1, 2, 3]), 'f')).toThrow(/need 6 bytes of data but the file holds 3 \(truncated\?\)/);
    expect(() => parseIdx(idx([1], [1, 2]), 'f')).toThrow(/need 1 bytes of data but the file holds 2/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0]), 'f')).toThrow(/truncated header/);
    const gz = gzipSync(idx([2], [1, 2]));
    expect(() => decodeIdx(gz.subarray(0, gz.length - 6), 'g.gz')).toThrow(/g.gz: corrupted or oversized gzip stream/);
  });

  it('refuses dimensions larger than the data before allocating anything', () => {
    const huge = idx([0xffffffff, 0xffffffff, 0xffffffff], [1, 2, 3]);
    expect(() => parseIdx(huge, 'big')).toThrow(/need .* bytes of data but the file holds 3/);
  });
});
