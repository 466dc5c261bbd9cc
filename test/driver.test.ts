import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { executeRun } from '../src/compare/executeRun.js';
import { planCompare } from '../src/compare/plan.js';
import { readExecutedRun } from '../src/queue/readExecutedRun.js';
import { memberPlanOf, runJobOf, snapshotPlanOf, trainConfigOf } from '../src/queue/runJob.js';
import { loadRunSplits } from '../src/run/runData.js';
import { readRunRecord } from '../src/run/runRecord.js';
import { trainSnapshotEnsemble } from '../src/run/train.js';
import { resumeSnapshotEnsemble } from '../src/run/resume.js';
import { loadCsvTable } from '../src/data/csvTable.js';
import { loadDataset } from '../src/data/source.js';
import { DEFAULT_COMPARE_CONFIG } from '../src/schema/defaults.js';
import type { CompareConfig } from '../src/schema/compare.js';
import type { DataSourceSpec } from '../src/schema/data.js';
import { taskHead } from '../src/training/taskHead.js';
import { TrainingInterrupted } from '../src/training/trainLoop.js';
import { ROOT, tempDir } from './helpers/cli.js';
import { fileSha, snapshotHashes } from './helpers/runs.js';

/*
 * The one run driver behind every way a network trains: a run directory (train, a queued run) and memory (compare
 * on one machine) give the same members, and SWA's average and SWAG's moments survive an interruption exactly.
 */

const WINE: DataSourceSpec = { kind: 'csv', file: path.join(ROOT, 'data', 'tables', 'wine.csv'), label: 'cultivar', features: null, task: 'classification', testSplit: 0.2, splitSeed: 1 };
const DIABETES: DataSourceSpec = { kind: 'csv', file: path.join(ROOT, 'data', 'tables', 'diabetes.csv'), label: 'progression', features: null, task: 'regression', testSplit: 0.2, splitSeed: 1 };

function compareConfig(source: DataSourceSpec, rows: CompareConfig['rows']): CompareConfig {
  return { ...DEFAULT_COMPARE_CONFIG, model: 'mlp-16x1-bn', source, epochs: 6, cycles: 2, batchSize: 16, lr0: 0.05, snapshotLr0: [0.05], valSize: 20, augment: false, swag: { rank: 3, samples: 2 }, rows };
}

describe('the run driver', () => {
  beforeAll(async () => {
    await useBackend('wasm', { threads: 1 });
  });

  it('a run with SWA and SWAG stopped after both began resumes to the same average, moments and snapshots, bit for bit', async () => {
    const config = compareConfig(WINE, [{ row: 'swa', seeds: [3] }, { row: 'swag', seeds: [3] }]);
    expect(loadCsvTable(WINE).set.count).toBe(178);
    const dataset = await loadDataset(WINE);
    const perEpoch = Math.ceil((dataset.train.count - config.valSize) / config.batchSize);
    const spec = planCompare(config, perEpoch).seeds[0]!.runs[0]!;
    expect(spec.swa).not.toBeNull();
    expect(spec.swag).not.toBeNull();
    const job = runJobOf(spec, config);
    const options = { config: trainConfigOf(job), dataset, plan: snapshotPlanOf(job), members: memberPlanOf(job) };
    const whole = path.join(tempDir(), 'whole');
    await trainSnapshotEnsemble({ ...options, outDir: whole });
    const stopped = path.join(tempDir(), 'stopped');
    // stop in the last epoch: SWA has averaged and SWAG collected (from epoch spec.swa.startEpoch on)
    const stopAt = (spec.epochs - 1) * perEpoch + 2;
    let steps = 0;
    await expect(trainSnapshotEnsemble({ ...options, outDir: stopped, checkpointEvery: 1, shouldStop: () => ++steps === stopAt })).rejects.toThrow(TrainingInterrupted);
    const interrupted = readRunRecord(stopped);
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.swag!.count).toBeGreaterThan(0);
    await resumeSnapshotEnsemble(stopped);
    const [a, b] = [readRunRecord(whole), readRunRecord(stopped)];
    expect(b.snapshots.map((s) => s.kind)).toEqual(['swa']);
    expect(snapshotHashes(stopped)).toEqual(snapshotHashes(whole));
    expect(fileSha(path.join(stopped, 'swag', 'moments.bin'))).toBe(fileSha(path.join(whole, 'swag', 'moments.bin')));
    expect(b.swa).toEqual(a.swa);
    expect(b.evaluation).toEqual(a.evaluation);
    expect(b.history.loss).toEqual(a.history.loss);
  });

  it.each([
    ['classification (wine)', WINE],
    ['regression (diabetes)', DIABETES],
  ])('%s: every kind of member from a run directory equals the same run in memory', async (_name, source) => {
    const rows: CompareConfig['rows'] = [{ row: 'snapshot', seeds: [1] }, { row: 'swa', seeds: [1] }, { row: 'swag', seeds: [1] }];
    const config = compareConfig(source, source === WINE ? rows : rows.filter((r) => r.row !== 'swag'));
    const dataset = await loadDataset(source);
    const dir = path.join(tempDir(), 'run');
    const before = tf.memory().numTensors;
    for (const spec of planCompare(config, Math.ceil((dataset.train.count - config.valSize) / config.batchSize)).seeds[0]!.runs) {
      const job = runJobOf(spec, config);
      const runDir = path.join(dir, job.run);
      await trainSnapshotEnsemble({ config: trainConfigOf(job), dataset, outDir: runDir, evaluate: false, plan: snapshotPlanOf(job), members: memberPlanOf(job) });
      const record = readRunRecord(runDir);
      const { dataset: train, validation } = await loadRunSplits(record);
      const data = {
        train: train.train,
        validation,
        test: train.test,
        numClasses: train.numClasses,
        normalization: record.data.normalization,
        augmentation: null,
        head: taskHead(record.data.task!, train.numClasses, record.data.targetNormalization),
      };
      const fromDisk = await readExecutedRun(runDir, spec, data);
      const inMemory = await executeRun(spec, config, data);
      expect([...fromDisk.members.keys()]).toEqual([...inMemory.members.keys()]);
      expect(fromDisk.members).toEqual(inMemory.members);
      expect(fromDisk.samples).toEqual(inMemory.samples);
      expect({ ...fromDisk.info, seconds: 0, history: [] }).toEqual({ ...inMemory.info, seconds: 0, history: [] });
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
