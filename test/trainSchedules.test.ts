import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { runCli, tempDir } from './helpers/cli.js';
import type { RunRecord } from '../src/schema/run.js';

describe('train --schedule sgdr and evaluate with diversity', () => {
  it('snapshots at each SGDR restart, recorded in run.json; evaluate prints the correlation of the snapshots', () => {
    const out = path.join(tempDir(), 'sgdr');
    const train = runCli(['train', '--train-size', '64', '--test-size', '40', '--batch-size', '16', '--epochs', '7', '--cycles', '3', '--schedule', 'sgdr', '--t-mult', '2', '--out', out]);
    expect(train.code).toBe(0);
    // cycles of 4 iterations are far below the budget hint
    expect(train.stderr).toMatch(/warning: cycles of 4 iterations \(1\.0 epochs\) are short/);
    const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as RunRecord;
    // T = 28 iterations, T_0 = 28 / (1 + 2 + 4) = 4: restarts after 4 and 12
    expect(record.schedule).toEqual({ name: 'sgdr', lrMax: 0.1, lrMin: 0, t0: 4, tMult: 2 });
    expect(record.snapshots.map((s) => s.iteration)).toEqual([4, 12, 28]);
    expect(record.config.schedule).toBe('sgdr');
    expect(record.history.learningRate[4]).toBeCloseTo(0.1, 12);
    const evaluate = runCli(['evaluate', out]);
    expect(evaluate.code).toBe(0);
    expect(evaluate.stdout).toMatch(/correlation of softmax outputs/);
    expect(evaluate.stdout).toMatch(/mean pairwise correlation -?\d\.\d{3}, mean pairwise disagreement \d+\.\d\d%/);
    const json = JSON.parse(runCli(['evaluate', out, '--json']).stdout) as { diversity: { correlation: number[][] } };
    expect(json.diversity.correlation).toHaveLength(3);
  });
});
