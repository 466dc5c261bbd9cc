import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { classified, snapshotHashes } from './helpers/runs.js';
import { useBackend } from '../src/backend/backends.js';
import type { Dataset, ImageSet } from '../src/data/dataset.js';
import { channelStatistics } from '../src/data/statistics.js';
import { exportRun } from '../src/deploy/exportRun.js';
import { evaluateRun } from '../src/ensemble/evaluateRun.js';
import { readRunRecord } from '../src/run/runRecord.js';
import { measureLandscape } from '../src/landscape/measure.js';
import { DEFAULT_TRAIN_CONFIG } from '../src/schema/defaults.js';
import { trainSnapshotEnsemble } from '../src/run/train.js';
import { resumeSnapshotEnsemble } from '../src/run/resume.js';
import { TrainingInterrupted } from '../src/training/trainLoop.js';
import { Rng } from '../src/util/rng.js';
import { expectOneLineError, runCli, tempDir } from './helpers/cli.js';

/** n 8x8 grey images of 3 classes: a bright row (class 0), column (1) or diagonal (2) over noise, as bytes. */
function patterns(n: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * 64);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    const at = Math.floor(rng.next() * 8);
    labels[i] = label;
    for (let p = 0; p < 64; p++) {
      const [y, x] = [Math.floor(p / 8), p % 8];
      const on = label === 0 ? y === at : label === 1 ? x === at : x === y;
      images[i * 64 + p] = on ? 200 + Math.floor(rng.next() * 55) : Math.floor(rng.next() * 60);
    }
  }
  return { images, labels, count: n, height: 8, width: 8, channels: 1 };
}

const dataset: Dataset = { name: 'patterns', numClasses: 3, classNames: ['row', 'column', 'diagonal'], train: patterns(96, 1), test: patterns(48, 2) };
const config = { ...DEFAULT_TRAIN_CONFIG, model: 'mlp-16x1', epochs: 4, cycles: 2, batchSize: 16, augment: false, lr0: 0.05 };

describe('a run trained from arrays in memory', () => {
  let runDir: string;

  beforeAll(async () => {
    await useBackend('wasm');
    runDir = path.join(tempDir(), 'run');
    await trainSnapshotEnsemble({ config, dataset, outDir: runDir });
  });

  it("records that its examples came from memory, with their own shape and statistics (not Fashion-MNIST's)", () => {
    const record = readRunRecord(runDir);
    expect(record.data.source).toEqual({ kind: 'memory', name: 'patterns' });
    expect(record.data.inputShape).toEqual([8, 8, 1]);
    expect(record.data.values).toBe('bytes');
    expect(record.data.normalization).toEqual(channelStatistics(dataset.train));
  });

  it('evaluate needs the data again: a one-line error without it; the same numbers as training with it', async () => {
    await expect(evaluateRun(runDir)).rejects.toThrow(/the examples \('patterns'\) were given in memory, so they cannot be read again/);
    expectOneLineError(runCli(['evaluate', runDir]), /were given in memory, so they cannot be read again: give them again \(a --data path/);
    const evaluation = classified(await evaluateRun(runDir, { dataset }));
    expect(evaluation.testExamples).toBe(48);
    expect(evaluation.ensembles.map((e) => e.error)).toEqual(classified(readRunRecord(runDir).evaluation).ensembles.map((e) => e.error));
    const other: Dataset = { ...dataset, test: { ...dataset.test, height: 28, width: 28, images: new Uint8Array(48 * 784) } };
    await expect(evaluateRun(runDir, { dataset: other })).rejects.toThrow(/images are 28x28x1 but the run's models take 8x8x1/);
  });

  it('report and export work without the data; export measures itself when the data is given', async () => {
    const report = runCli(['report', runDir]);
    expect(report.code, report.stderr).toBe(0);
    const html = readFileSync(path.join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('written from run.json alone');
    expect(html).toContain('given in memory');

    const out = path.join(tempDir(), 'exported');
    const exported = runCli(['export', runDir, '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain("not measured: the run's examples were given in memory");
    const measured = await exportRun(runDir, { dataset, outDir: path.join(tempDir(), 'measured') });
    expect(measured.measured!.maxAbsDifference).toBeLessThan(1e-5);
    expect(measured.metadata.run).toBe('run'); // the directory's name, not a path on this machine
  });

  it('the loss landscape and a resumption take the data given', async () => {
    await expect(measureLandscape(runDir, { points: 3, grid: 0 })).rejects.toThrow(/given in memory/);
    const landscape = await measureLandscape(runDir, { points: 3, grid: 0, dataset });
    expect(landscape.segments).toHaveLength(1);

    const stopped = path.join(tempDir(), 'stopped');
    let steps = 0;
    await expect(trainSnapshotEnsemble({ config, dataset, outDir: stopped, evaluate: false, shouldStop: () => ++steps === 7 })).rejects.toThrow(TrainingInterrupted);
    await expect(resumeSnapshotEnsemble(stopped, { evaluate: false })).rejects.toThrow(/given in memory/);
    await resumeSnapshotEnsemble(stopped, { evaluate: false, dataset });
    expect(snapshotHashes(stopped)).toEqual(snapshotHashes(runDir));
  });
});
