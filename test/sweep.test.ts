import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { DEFAULT_COMPARE_CONFIG, runCompare } from '../src/compare/runCompare.js';
import { loadIdxDataset } from '../src/data/loadIdxDataset.js';
import { planSweep, sweepAsComparePlan, type SweepConfig } from '../src/sweep/plan.js';
import { runSweep, writeSweepChart } from '../src/sweep/runSweep.js';
import { sweepText } from '../src/sweep/table.js';
import { tempDir } from './helpers/cli.js';

const base: SweepConfig = {
  model: 'cnn',
  source: { kind: 'idx', dir: null },
  trainSize: 32,
  testSize: 20,
  batchSize: 16,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 1e-4,
  augment: true,
  schedules: ['snapshot'],
  epochs: [2],
  cycles: [1, 2],
  lr0: [0.05],
  seeds: [1],
};

describe('sweep: a grid of Snapshot Ensembles', () => {
  it('plans every schedule x budget x cycles x lr0 point, one run per seed, with the schedule train would use', () => {
    const points = planSweep({ ...base, schedules: ['snapshot', 'cyclic'], epochs: [2, 4], cycles: [1, 2], lr0: [0.05, 0.1], seeds: [1, 2] }, 2);
    expect(points).toHaveLength(16);
    expect(points.map((p) => p.key).slice(0, 4)).toEqual(['snapshot-B2-M1-lr0.05', 'snapshot-B2-M1-lr0.1', 'snapshot-B2-M2-lr0.05', 'snapshot-B2-M2-lr0.1']);
    const p = points.find((x) => x.key === 'snapshot-B4-M2-lr0.1')!;
    // T = 4 epochs x 2 iterations; Eq. 2 with 2 cycles of 4 iterations
    expect(p.runs.map((r) => [r.id, r.seed, r.snapshotAt])).toEqual([
      ['snapshot-B4-M2-lr0.1-seed1', 1, [4, 8]],
      ['snapshot-B4-M2-lr0.1-seed2', 2, [4, 8]],
    ]);
    expect(p.runs[0]!.schedule).toEqual({ name: 'snapshotCosine', lr0: 0.1, totalSteps: 8, cycles: 2 });
    expect(p.cycleIterations).toBe(4);
    expect(points.find((x) => x.key === 'cyclic-B2-M2-lr0.05')!.runs[0]!.schedule.name).toBe('cyclic');
    const plan = sweepAsComparePlan(points);
    expect(plan.seeds.map((s) => [s.seed, s.runs.length])).toEqual([[1, 16], [2, 16]]);
  });

  it('names a bad grid in one line', () => {
    expect(() => planSweep({ ...base, cycles: [] }, 2)).toThrow('--cycles lists nothing');
    expect(() => planSweep({ ...base, lr0: [0.1, 0.1] }, 2)).toThrow('--lr0 lists a value twice');
    expect(() => planSweep({ ...base, cycles: [5] }, 2)).toThrow('--cycles 5 is more than the 4 iterations of --epochs 2');
    expect(() => planSweep({ ...base, model: 'nope' }, 2)).toThrow(/^unknown model 'nope'/);
  });

  it("measures each point's ensemble and last snapshot; a point equals compare's snapshot row with the same settings", async () => {
    await useBackend('wasm', { threads: 1 });
    const dataset = loadIdxDataset(undefined, { trainSize: 32, testSize: 20 });
    const out = path.join(tempDir(), 'sweep');
    const result = await runSweep({ config: base, dataset, outDir: out });
    expect(result.status).toBe('completed');
    const [one, two] = result.points;
    expect(one!.seeds[0]!.lastM).toHaveLength(1);
    expect(one!.seeds[0]!.ensemble).toEqual(one!.seeds[0]!.lastSnapshot);
    expect(two!.seeds[0]!.lastM.map((e) => e.m)).toEqual([1, 2]);
    expect(two!.error).toEqual({ mean: two!.seeds[0]!.ensemble!.error, std: null });
    const compare = await runCompare({
      config: { ...DEFAULT_COMPARE_CONFIG, trainSize: 32, testSize: 20, batchSize: 16, epochs: 2, cycles: 2, snapshotLr0: [0.05], rows: [{ row: 'snapshot', seeds: [1] }] },
      dataset,
      outDir: null,
    });
    const row = compare.rows[0]!.seeds[0]!;
    expect(two!.seeds[0]!.lastM).toEqual(row.ensembles);
    expect(sweepText(result)).toMatch(/^snapshot\s+2\s+2\s+0\.05\s+2\s+1\s+\d+\.\d\d\s+\d\.\d{4}\s+\d+\.\d\d\s+0$/m);
    const chart = await writeSweepChart(out, result);
    expect(chart.warnings).toEqual([]);
    expect(readFileSync(chart.file, 'utf8')).toMatch(/mark-line role-mark/);
    expect(existsSync(path.join(out, 'sweep.json')) && existsSync(path.join(out, 'sweep.md'))).toBe(true);
  });
});
