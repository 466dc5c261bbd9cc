import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { classified } from './helpers/runs.js';
import { loadImageFolder } from '../src/data/imageFolder.js';
import { loadDataset, resolveDataSource } from '../src/data/source.js';
import { loadIdxDataset } from '../src/data/loadIdxDataset.js';

import { runCli, tempDir } from './helpers/cli.js';
import { expectTrainRefused } from './helpers/refused.js';
import { writeImage, writeImageFolder } from './helpers/imageFolder.js';
import type { ImageFolderSource } from '../src/schema/data.js';
import type { RunRecord } from '../src/schema/run.js';

describe('an image folder (Keras / torchvision layout) of PNG and JPEG files of two sizes', () => {
  let folder: string;
  let cache: string;
  let runDir: string;
  let trained: ReturnType<typeof runCli>;
  const quick = ['--model', 'mlp-32x1', '--epochs', '2', '--cycles', '2', '--batch-size', '16', '--no-report'];

  beforeAll(async () => {
    folder = path.join(tempDir('se-folder-'), 'clothes');
    cache = tempDir('se-cache-');
    await writeImageFolder(folder, { train: 16, test: 6 });
    runDir = path.join(tempDir(), 'run');
    trained = runCli(['train', '--data', folder, '--image-size', '28', '--channels', '1', '--cache-dir', cache, '--out', runDir, ...quick]);
  });

  it('trains and evaluates; run.json records the source, sorted classes, per-channel statistics and the task', () => {
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/ensemble of last 2 \(mean\)/);
    const record = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as RunRecord;
    expect(record.data.classNames).toEqual(['bag', 'sneaker', 'trouser']);
    expect(record.data.task).toBe('classification');
    expect(record.data.inputShape).toEqual([28, 28, 1]);
    expect(record.data.source).toMatchObject({ kind: 'image-folder', imageSize: [28, 28], channels: 1, testSplit: null });
    expect(record.data.trainExamples).toBe(48);
    expect(record.data.testExamples).toBe(18);
    const { mean, std } = record.data.normalization as { mean: number[]; std: number[] };
    expect(mean).toHaveLength(1);
    expect(std).toHaveLength(1);
    expect(mean[0]!).toBeGreaterThan(0.05);
    expect(mean[0]!).toBeLessThan(0.6);

    const evaluation = runCli(['evaluate', runDir, '--json']);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    const parsed = JSON.parse(evaluation.stdout) as { testExamples: number; ensembles: { m: number; error: number }[] };
    expect(parsed.testExamples).toBe(18);
    expect(parsed.ensembles.map((e) => e.m)).toEqual([1, 2]);
    // The same numbers as training wrote: the same decoded test images, normalised with the recorded statistics.
    expect(parsed.ensembles[1]!.error).toBeCloseTo(classified(record.evaluation).ensembles[1]!.error, 10);
  });

  it('a second load reads the decoded images from the cache, byte for byte, without decoding', async () => {
    const source = resolveDataSource({ data: folder, imageSize: [28, 28], channels: 1, cacheDir: cache }) as ImageFolderSource;
    const again = await loadImageFolder(source);
    expect(again.fromCache).toEqual(['train', 'test']);
    const fresh = await loadImageFolder({ ...source, cacheDir: tempDir('se-cache-') });
    expect(fresh.fromCache).toEqual([]);
    expect(Buffer.from(again.train!.images).equals(Buffer.from(fresh.train!.images))).toBe(true);
    expect(Array.from(again.test.labels)).toEqual(Array.from(fresh.test.labels));
    expect(fresh.train!.count).toBe(48);
  });

  it('predicts on a new JPEG of another size, resized as in training', async () => {
    const { test } = loadIdxDataset(undefined, { testSize: 200 });
    const i = Array.from(test.labels).indexOf(8); // a bag
    const file = path.join(tempDir(), 'new-bag.jpg');
    await writeImage(test.images.subarray(i * 784, (i + 1) * 784) as Uint8Array, file, 'jpeg');
    const r = runCli(['predict', runDir, file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const line = JSON.parse(r.stdout.trim()) as { image: string; class: number; label: string; probabilities: number[] };
    expect(line.image).toBe(file);
    expect(line.probabilities).toHaveLength(3);
    expect(line.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(line.label).toBe(['bag', 'sneaker', 'trouser'][line.class]);
  });

  it('one <class> tree with --test-split: a stratified, seeded split', async () => {
    const tree = path.join(tempDir('se-tree-'), 'tree');
    await writeImageFolder(tree, { train: 10, test: 0, tree: true, formats: ['png'] });
    const spec = resolveDataSource({ data: tree, channels: 1, testSplit: 0.2, cacheDir: tempDir('se-cache-') }) as ImageFolderSource;
    const a = await loadDataset(spec);
    const b = await loadDataset(spec);
    expect(a.test.count).toBe(6); // 2 of the 10 images of each of 3 classes
    expect(Array.from(a.test.labels).sort()).toEqual([0, 0, 1, 1, 2, 2]);
    expect(a.train.count).toBe(24);
    expect(Buffer.from(a.test.images).equals(Buffer.from(b.test.images))).toBe(true);
    const other = await loadDataset({ ...spec, splitSeed: 7 });
    expect(Buffer.from(other.test.images).equals(Buffer.from(a.test.images))).toBe(false);
  });

  it('an RGB folder: per-channel statistics, exported as one 1x1 depthwise layer that reproduces the ensemble', async () => {
    const colour = path.join(tempDir('se-colour-'), 'colour');
    await writeImageFolder(colour, { train: 8, test: 4, formats: ['png'], colour: true });
    const run = path.join(tempDir(), 'rgb');
    const r = runCli(['train', '--data', colour, '--image-size', '16', '--out', run, ...quick]);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(readFileSync(path.join(run, 'run.json'), 'utf8')) as RunRecord;
    expect(record.data.inputShape).toEqual([16, 16, 3]);
    const mean = record.data.normalization.mean as readonly number[];
    expect(new Set(mean.map((m) => m.toFixed(3))).size).toBe(3);
    const out = path.join(tempDir(), 'rgb-export');
    const x = runCli(['export', run, '--out', out]);
    expect(x.code, x.stderr).toBe(0);
    expect(x.stdout).toContain('input: raw pixels in [0, 255], 16x16x3');
    expect(Number(/largest difference in a probability (\S+)/.exec(x.stdout)![1])).toBeLessThan(1e-5);
    const layers = (JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: { class_name: string }[] } } }).modelTopology.config.layers;
    expect(layers.filter((l) => l.class_name === 'DepthwiseConv2D')).toHaveLength(1);
  });

  describe('bad image folders: one-line errors naming the file or folder, nothing written', () => {
    it('images of mixed sizes without --image-size', () => {
      expectTrainRefused(['--data', folder, '--channels', '1', ...quick.slice(0, 6)], /is 28x28 but .*\.jpg is 32x32 \(HxW\); give --image-size/);
    });

    it('an empty class folder', async () => {
      const dir = path.join(tempDir(), 'empty');
      await writeImageFolder(dir, { train: 2, test: 1, formats: ['png'] });
      mkdirSync(path.join(dir, 'train', 'coat'));
      expectTrainRefused(['--data', dir, ...quick.slice(0, 6)], /train\/coat: empty class folder/);
    });

    it('a class in test but not in train', async () => {
      const dir = path.join(tempDir(), 'extra');
      await writeImageFolder(dir, { train: 2, test: 1, formats: ['png'] });
      mkdirSync(path.join(dir, 'test', 'coat'));
      writeFileSync(path.join(dir, 'test', 'coat', 'a.png'), readFileSync(path.join(dir, 'test', 'bag', readdirFirst(path.join(dir, 'test', 'bag')))));
      expectTrainRefused(['--data', dir, ...quick.slice(0, 6)], /test\/coat: class 'coat' is not in .*train/);
    });

    it('an image that does not decode is named; --skip-bad-images goes on and counts it', async () => {
      const dir = path.join(tempDir(), 'broken');
      await writeImageFolder(dir, { train: 4, test: 2, formats: ['png'] });
      const bad = path.join(dir, 'train', 'bag', 'broken.png');
      writeFileSync(bad, 'not an image at all');
      expectTrainRefused(['--data', dir, '--cache-dir', tempDir(), ...quick.slice(0, 6)], /broken\.png: cannot decode image/);
      const out = path.join(tempDir(), 'run');
      const r = runCli(['train', '--data', dir, '--channels', '1', '--skip-bad-images', '--cache-dir', tempDir(), '--out', out, ...quick]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/warning: --skip-bad-images: skipped 1 image that did not decode, e\.g\. .*broken\.png/);
      const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as RunRecord;
      expect(record.data.trainExamples).toBe(12);
    });
  });
});

function readdirFirst(dir: string): string {
  return readdirSync(dir).sort()[0]!;
}
