import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCli, ROOT, tempDir } from './helpers/cli.js';
import { idxBytes } from './helpers/idx.js';

const DATA = path.join(ROOT, 'data', 'fashion-mnist');
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const TEST_IMAGES = 't10k-images-idx3-ubyte.gz';

/** A data directory whose test images are replaced by `bytes`. */
function withTestImages(bytes: Uint8Array): string {
  const dir = tempDir('se-hostile-');
  for (const f of FILES) if (f !== TEST_IMAGES) copyFileSync(path.join(DATA, f), path.join(dir, f));
  writeFileSync(path.join(dir, TEST_IMAGES), bytes);
  return dir;
}

const realTestImages = () => new Uint8Array(gunzipSync(readFileSync(path.join(DATA, TEST_IMAGES))));

const CASES: [string, () => Uint8Array, RegExp][] = [
  ['a wrong magic number', () => { const b = realTestImages(); b[0] = 0x1f; b[1] = 0x00; return gzipSync(b); }, /not an IDX file \(magic number starts 0x1f00, expected 0x0000\)/],
  ['a truncated body', () => gzipSync(realTestImages().subarray(0, 5000)), /dimensions 10000x28x28 need 7840000 bytes of data but the file holds 4984 \(truncated\?\)/],
  ['dimensions that disagree with the byte count', () => gzipSync(idxBytes([10000, 28, 27], realTestImages().subarray(16))), /dimensions 10000x28x27 need 7560000 bytes of data but the file holds 7840000/],
  ['dimensions so large they would exhaust memory', () => gzipSync(idxBytes([4294967295, 65535, 65535], new Uint8Array(64))), /dimensions 4294967295x65535x65535 need .* bytes of data but the file holds 64/],
  ['a corrupted gzip stream', () => { const g = gzipSync(realTestImages()); g.fill(0x55, 2000, 2100); return g; }, /corrupted or oversized gzip stream/],
  ['a truncated gzip stream', () => { const g = gzipSync(realTestImages()); return g.subarray(0, g.length >> 1); }, /corrupted or oversized gzip stream \(unexpected end of file\)/],
];

describe('hostile input files: one line, non-zero exit, nothing written', () => {
  it.each(CASES)('train --data with %s', (_name, make, pattern) => {
    const data = withTestImages(make());
    const out = path.join(tempDir(), 'never-created');
    const r = runCli(['train', '--data', data, '--train-size', '64', '--epochs', '1', '--cycles', '1', '--out', out]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*t10k-images-idx3-ubyte\.gz: /);
    expect(lines[0]).toMatch(pattern);
    expect(existsSync(out)).toBe(false);
  });

  it('predict with a hostile IDX file', () => {
    const file = path.join(tempDir(), 'bad.gz');
    writeFileSync(file, gzipSync(idxBytes([3, 28, 28], new Uint8Array(100))));
    // any run will do: the file is refused before a snapshot is loaded
    const run = path.join(tempDir(), 'run');
    expect(runCli(['train', '--train-size', '64', '--test-size', '16', '--epochs', '1', '--cycles', '1', '--out', run]).code).toBe(0);
    const r = runCli(['predict', run, file]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: .*bad\.gz: dimensions 3x28x28 need 2352 bytes of data but the file holds 100 \(truncated\?\)$/);
  });
});
