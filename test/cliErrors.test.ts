import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { writePng } from './helpers/imageFolder.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, ROOT, tempDir, expectOneLineError } from './helpers/cli.js';
import { idxBytes } from './helpers/idx.js';

const DATA = path.join(ROOT, 'data', 'fashion-mnist');
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];


/** A data directory: the embedded files, with some replaced. */
function dataDir(replace: Record<string, Uint8Array | null> = {}): string {
  const dir = tempDir('se-data-');
  for (const f of FILES) {
    if (f in replace) {
      const content = replace[f];
      if (content !== null && content !== undefined) writeFileSync(path.join(dir, f), content);
    } else copyFileSync(path.join(DATA, f), path.join(dir, f));
  }
  return dir;
}

function treeHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(p).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

const quick = ['--train-size', '64', '--test-size', '32', '--epochs', '1', '--cycles', '1'];

describe('bad input: one-line errors, non-zero exits, existing runs untouched', () => {
  let run: string;

  beforeAll(() => {
    run = path.join(tempDir(), 'run');
    const r = runCli(['train', ...quick, '--out', run]);
    expect(r.code).toBe(0);
  });

  it('a missing IDX file', () => {
    expectOneLineError(runCli(['train', ...quick, '--data', dataDir({ 't10k-labels-idx1-ubyte.gz': null })]), /t10k-labels-idx1-ubyte\[\.gz\]: no such file/);
    expectOneLineError(runCli(['train', '--data', '/nonexistent/dir']), /\/nonexistent\/dir: no such data directory/);
  });

  it('a malformed IDX file', () => {
    const bad = gzipSync(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expectOneLineError(runCli(['train', ...quick, '--data', dataDir({ 'train-images-idx3-ubyte.gz': bad })]), /train-images-idx3-ubyte\.gz: not an IDX file/);
  });

  it('images and labels of different counts', () => {
    const labels = gzipSync(idxBytes([5], [0, 1, 2, 3, 4]));
    expectOneLineError(
      runCli(['train', ...quick, '--data', dataDir({ 't10k-labels-idx1-ubyte.gz': labels })]),
      /holds 10000 images but .*t10k-labels-idx1-ubyte\.gz holds 5 labels/,
    );
  });

  it('labels outside 0..9', () => {
    const labels = gzipSync(idxBytes([10000], new Uint8Array(10000).fill(12)));
    expectOneLineError(runCli(['train', ...quick, '--data', dataDir({ 't10k-labels-idx1-ubyte.gz': labels })]), /label 12 at index 0 is outside 0\.\.9/);
  });

  it('an unknown model, bad numbers and unknown flags', () => {
    expectOneLineError(runCli(['train', '--model', 'vgg']), /'vgg' is invalid\. unknown model 'vgg' \(expected one of cnn, resnet20/);
    expectOneLineError(runCli(['train', '--model', 'wrn-15-2']), /Wide ResNet depth must be 6n \+ 4 with n >= 1, got 15/);
    expectOneLineError(runCli(['train', '--cycles', '0']), /--cycles.*must be >= 1/);
    expectOneLineError(runCli(['train', '--lr0', '-1']), /--lr0.*not a positive number/);
    expectOneLineError(runCli(['train', '--epochs', 'many']), /--epochs.*not an integer/);
    expectOneLineError(runCli(['train', '--frobnicate']), /unknown option '--frobnicate'/);
  });

  it('more cycles than iterations, or than Eq. 2 can realise', () => {
    expectOneLineError(runCli(['train', ...quick.slice(0, 6), '--cycles', '2']), /--cycles 2 is more than the 1 training iterations/);
    expectOneLineError(
      runCli(['train', '--train-size', '576', '--test-size', '32', '--epochs', '1', '--cycles', '4']),
      /--cycles 4 with 9 iterations gives cycles of ceil\(T\/M\) = 3 iterations, which makes only 3 cycles/,
    );
  });

  it('--last above the number of snapshots, and run directories without run.json', () => {
    expectOneLineError(runCli(['evaluate', run, '--last', '2']), /--last 2 is more than the 1 snapshots/);
    expectOneLineError(runCli(['predict', run, path.join(DATA, 't10k-images-idx3-ubyte.gz'), '--last', '3']), /--last 3 is more than the 1 snapshots/);
    const empty = tempDir();
    expectOneLineError(runCli(['evaluate', empty]), /not a run directory \(no run\.json\)/);
    expectOneLineError(runCli(['evaluate', path.join(empty, 'nope')]), /no such run directory/);
  });

  it('images of the wrong size given to predict', async () => {
    const file = path.join(tempDir(), 'big.png');
    await writePng(file, new Uint8Array(32 * 32), 32, 32);
    expectOneLineError(runCli(['predict', run, file]), /big\.png: image is 32x32 pixels but the model takes 28x28/);
    const notImage = path.join(tempDir(), 'notes.txt');
    writeFileSync(notImage, 'hello world');
    expectOneLineError(runCli(['predict', run, notImage]), /notes\.txt: cannot decode image \(Input buffer contains unsupported image format\)/);
  });

  it('refuses an output directory that holds a run, leaving it byte for byte, unless --overwrite', () => {
    const before = treeHash(run);
    expectOneLineError(runCli(['train', ...quick, '--out', run]), /already holds a run; choose another --out or pass --overwrite/);
    // a failing run (bad data) into an existing run directory does not touch it either
    expectOneLineError(runCli(['train', ...quick, '--out', run, '--data', '/nonexistent']), /no such data directory/);
    // nor do optimizer settings that cannot train, even with --overwrite: they are refused before the directory is cleared
    expectOneLineError(runCli(['train', ...quick, '--out', run, '--overwrite', '--momentum', '0']), /Nesterov momentum needs momentum > 0 \(or turn Nesterov off\)/);
    expect(treeHash(run)).toBe(before);
    const again = runCli(['train', ...quick, '--seed', '2', '--out', run, '--overwrite']);
    expect(again.code).toBe(0);
    expect(treeHash(run)).not.toBe(before);
  });

  it('an --out that is a file, or lies under one, for train and compare alike', () => {
    const file = path.join(tempDir(), 'notes.txt');
    writeFileSync(file, 'keep me');
    expectOneLineError(runCli(['train', ...quick, '--out', file]), new RegExp(`cannot create the output directory ${file}: it is a file, not a directory`));
    expectOneLineError(
      runCli(['train', ...quick, '--out', path.join(file, 'run')]),
      new RegExp(`cannot create the output directory ${file}/run: ${file} is a file, not a directory`),
    );
    expectOneLineError(
      runCli(['compare', ...quick, '--rows', 'single', '--out', path.join(file, 'a', 'b')]),
      new RegExp(`cannot create the output directory ${file}/a/b: ${file} is a file, not a directory`),
    );
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('prints a stack trace only with --verbose', () => {
    const r = runCli(['evaluate', tempDir(), '--verbose']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.split('\n').length).toBeGreaterThan(2);
    expect(r.stderr).toMatch(/at .*evaluate/);
  });
});
