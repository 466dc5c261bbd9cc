import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { loadIdxDataset } from '../src/data/loadIdxDataset.js';
import { evaluationRows } from '../src/metrics/formatMetrics.js';
import { defaultFgeOptions, planSnapshotCosine } from '../src/training/snapshotPlan.js';
import { DEFAULT_TRAIN_CONFIG } from '../src/schema/defaults.js';
import { trainSnapshotEnsemble } from '../src/run/train.js';
import { expectOneLineError, runCli, tempDir } from './helpers/cli.js';

const metrics = { error: 0.1, nll: 0.3, ece: 0.02, brier: 0.15 };
const evaluation = { members: [1, 2].map((index) => ({ index, ...metrics })), ensembles: [1, 2].map((m) => ({ m, ...metrics })), combine: 'mean' };

describe('what the tables and warnings say', () => {
  it("a SWAG run's members are samples, not snapshots", () => {
    expect(evaluationRows(evaluation).map((r) => r[0])).toEqual(['snapshot 1', 'snapshot 2', 'ensemble of last 1 (mean)', 'ensemble of last 2 (mean)']);
    expect(evaluationRows(evaluation, 'sample').map((r) => r[0])).toEqual(['SWAG sample 1', 'SWAG sample 2', 'ensemble of 1 sample (mean)', 'ensemble of 2 samples (mean)']);
  });

  it('--test-split names one range for every bad value', () => {
    for (const value of ['0', '1.5', '-1', 'x']) {
      expectOneLineError(runCli(['train', '--data', 'data/tables/wine.csv', '--label', 'cultivar', '--test-split', value]), new RegExp(`argument '${value}' is invalid. '${value}' is not a fraction in \\(0, 1\\)`));
    }
  });

  describe('the short-cycle hint is given once, where it applies', () => {
    const data = loadIdxDataset(undefined, { trainSize: 64, testSize: 16 });
    const config = { ...DEFAULT_TRAIN_CONFIG, model: 'mlp-8x1', epochs: 2, cycles: 2, batchSize: 32, augment: false };
    const warningsOf = async (overrides: object, options: object = {}) => {
      const warnings: string[] = [];
      await trainSnapshotEnsemble({ config: { ...config, ...overrides }, dataset: data, outDir: path.join(tempDir(), 'run'), evaluate: false, reporter: { warn: (w) => warnings.push(w) }, ...options });
      return warnings;
    };
    beforeAll(async () => {
      await useBackend('wasm');
    });

    it('for cycles the user chose, not for FGE members, a distilled student or a plan the caller made', async () => {
      expect(await warningsOf({})).toEqual([expect.stringMatching(/^cycles of 2 iterations \(1\.0 epochs\) are short/)]);
      expect((await warningsOf({ schedule: 'fge', fge: { ...defaultFgeOptions(0.1), cycleEpochs: 1 } })).filter((w) => /are short/.test(w))).toEqual([]);
      expect(await warningsOf({}, { plan: planSnapshotCosine(4, 2, 0.1) })).toEqual([]);
    });
  });
});
