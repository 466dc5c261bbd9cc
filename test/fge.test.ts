import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { fgeCollectionPoints, fgeCycle, fgeSchedule, scheduleFromConfig } from '../src/index.js';
import { planCycles, planFge } from '../src/training/snapshotPlan.js';
import { runCli, tempDir } from './helpers/cli.js';
import type { RunRecord } from '../src/schema/run.js';

const a1 = 0.05;
const a2 = 0.0005;

describe('Fast Geometric Ensembling (Garipov et al. 2018): the triangular cycle', () => {
  it('C = 4: alpha_1, halfway down, alpha_2 at t = 1/2, halfway up, then alpha_1 again', () => {
    const lr = fgeCycle({ lr1: a1, lr2: a2, cycleSteps: 4 });
    // t = 0, 1/4, 1/2, 3/4: (1 - 2t) a1 + 2t a2 below 1/2, (2t - 1) a1 + (2 - 2t) a2 from 1/2 on
    const cycle = [a1, 0.5 * a1 + 0.5 * a2, a2, 0.5 * a1 + 0.5 * a2];
    for (let i = 1; i <= 12; i++) expect(lr(i)).toBeCloseTo(cycle[(i - 1) % 4]!, 15);
  });

  it('C = 5 (odd): t = 0, 0.2, 0.4, 0.6, 0.8', () => {
    const lr = fgeCycle({ lr1: a1, lr2: a2, cycleSteps: 5 });
    const expected = [a1, 0.6 * a1 + 0.4 * a2, 0.2 * a1 + 0.8 * a2, 0.2 * a1 + 0.8 * a2, 0.6 * a1 + 0.4 * a2, a1];
    expected.forEach((v, i) => expect(lr(i + 1)).toBeCloseTo(v, 15));
    expect(() => lr(0)).toThrow(/1-based/);
  });

  it('the whole run: step-schedule pre-training (x0.1 at 50% and 75% of it), then the cycles', () => {
    const lr = fgeSchedule({ lr0: 0.1, pretrainSteps: 8, lr1: a1, lr2: a2, cycleSteps: 4 });
    const expected = [0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001, a1, 0.5 * a1 + 0.5 * a2, a2, 0.5 * a1 + 0.5 * a2, a1];
    expected.forEach((v, i) => expect(lr(i + 1)).toBeCloseTo(v, 15));
    // and as run.json stores it
    const fromJson = scheduleFromConfig({ name: 'fge', lr0: 0.1, pretrainSteps: 8, lr1: a1, lr2: a2, cycleSteps: 4 });
    expected.forEach((v, i) => expect(fromJson(i + 1)).toBeCloseTo(v, 15));
  });

  it('collects after the iteration run at alpha_2: the (floor(C/2) + 1)-th of every cycle', () => {
    expect(fgeCollectionPoints(24, 8, 4)).toEqual([11, 15, 19, 23]);
    expect(fgeCollectionPoints(23, 8, 5)).toEqual([11, 16, 21]);
  });
});

describe('planFge: 80% pre-training, then cycles, the last member at the end of the budget', () => {
  it('a budget the cycles divide: T = 100, C = 2, pre-training exactly 80 iterations, 10 members', () => {
    const plan = planFge(100, 10, 0.1, { cycleEpochs: 0.2, lr1: a1, lr2: a2, pretrain: 0.8 });
    expect(plan.schedule).toEqual({ name: 'fge', lr0: 0.1, pretrainSteps: 80, lr1: a1, lr2: a2, cycleSteps: 2 });
    expect(plan.snapshotAt).toEqual([82, 84, 86, 88, 90, 92, 94, 96, 98, 100]);
    expect(plan.notes).toEqual([]);
  });

  it('a budget the cycles do not divide: T = 100, C = 5; pre-training takes the remainder (82 instead of 80)', () => {
    const plan = planFge(100, 10, 0.1, { cycleEpochs: 0.5, lr1: a1, lr2: a2, pretrain: 0.8 });
    // 20 iterations after 80: 4 middles fit (80 + 3, +5, +5, +5 = 98); moving the 2 left over into pre-training ends at 100
    expect(plan.schedule).toMatchObject({ pretrainSteps: 82, cycleSteps: 5 });
    expect(plan.snapshotAt).toEqual([85, 90, 95, 100]);
    expect(plan.notes[0]).toMatch(/pre-training runs 82 iterations instead of 80/);
    const lr = scheduleFromConfig(plan.schedule);
    expect(lr(82)).toBeCloseTo(0.001, 15);
    expect(lr(83)).toBeCloseTo(a1, 15);
    expect(lr(85)).toBeCloseTo(0.2 * a1 + 0.8 * a2, 15);
  });

  it('2-epoch cycles of the paper at T = 20 epochs x 10 iterations: 80% = 160, members at 171, 191', () => {
    const plan = planFge(200, 10, 0.1, { cycleEpochs: 2, lr1: a1, lr2: a2, pretrain: 0.8 });
    // 40 iterations after 160: middles at 160 + 11 and + 31 fit, 9 iterations would be left: pre-training 169
    expect(plan.snapshotAt).toEqual([180, 200]);
    expect(plan.schedule).toMatchObject({ pretrainSteps: 169, cycleSteps: 20 });
  });

  it('refuses what cannot be planned, naming the flag', () => {
    expect(() => planFge(100, 10, 0.1, { cycleEpochs: 0.1, lr1: a1, lr2: a2, pretrain: 0.8 })).toThrow(/--fge-cycle-epochs 0.1 is 1 iteration .* at least 2/);
    expect(() => planFge(10, 10, 0.1, { cycleEpochs: 4, lr1: a1, lr2: a2, pretrain: 0.8 })).toThrow(/leaves no pre-training/);
    expect(() => planFge(100, 10, 0.1, { cycleEpochs: 2, lr1: a1, lr2: a2, pretrain: 1 })).toThrow(/--fge-pretrain/);
    expect(() => planCycles({ schedule: 'fge', totalSteps: 100, cycles: 2, lr0: 0.1, tMult: 2, iterationsPerEpoch: 10 })).toThrow(/do not apply to --schedule fge/);
  });
});

describe('train --schedule fge', () => {
  it('pre-trains, cycles, and saves a snapshot at the middle of every cycle; report and evaluate read it', () => {
    const out = path.join(tempDir(), 'fge');
    // 32 images / 8 = 4 iterations per epoch, 10 epochs = 40; 80% = 32; cycles of 1 epoch = 4 iterations
    const train = runCli(['train', '--train-size', '32', '--test-size', '40', '--batch-size', '8', '--epochs', '10', '--schedule', 'fge', '--fge-cycle-epochs', '1', '--fge-lr1', '0.04', '--fge-lr2', '0.001', '--no-report', '--out', out]);
    expect(train.code).toBe(0);
    const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as RunRecord;
    // 8 iterations after 32: middles at 35 and 39; one left over goes to pre-training (33), members at 36 and 40
    expect(record.schedule).toEqual({ name: 'fge', lr0: 0.1, pretrainSteps: 33, lr1: 0.04, lr2: 0.001, cycleSteps: 4 });
    expect(record.config.fge).toEqual({ cycleEpochs: 1, lr1: 0.04, lr2: 0.001, pretrain: 0.8 });
    expect(record.snapshots.map((s) => [s.iteration, s.learningRate])).toEqual([[36, 0.001], [40, 0.001]]);
    expect(record.history.learningRate[33]).toBeCloseTo(0.04, 12);
    expect(runCli(['evaluate', out]).code).toBe(0);
  });

  it('refuses --fge-* without --schedule fge and --cycles with it', () => {
    const out = path.join(tempDir(), 'bad');
    const stray = runCli(['train', '--train-size', '64', '--fge-lr1', '0.01', '--out', out]);
    expect(stray.code).not.toBe(0);
    expect(stray.stderr).toMatch(/^error: --fge-lr1 applies to --schedule fge only/m);
    const cycles = runCli(['train', '--train-size', '64', '--schedule', 'fge', '--cycles', '3', '--out', out]);
    expect(cycles.stderr).toMatch(/^error: --cycles does not apply to --schedule fge/m);
  });
});
