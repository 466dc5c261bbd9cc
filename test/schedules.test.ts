import { describe, expect, it } from 'vitest';
import {
  baselineMilestones,
  constant,
  cyclic,
  joinSchedules,
  scheduleFromConfig,
  sgdr,
  sgdrCycleEnds,
  snapshotCosine,
  snapshotCycleEnds,
  stepDecay,
} from '../src/index.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('snapshotCosine (Huang et al. 2017, Eq. 2)', () => {
  it('matches the formula with M dividing T: T = 12, M = 3, cycle length 4', () => {
    const lr = snapshotCosine({ lr0: 0.2, totalSteps: 12, cycles: 3 });
    // alpha(t) = 0.1 * (cos(pi * ((t-1) mod 4) / 4) + 1)
    const cycle = [0.2, 0.1 * (Math.SQRT1_2 + 1), 0.1, 0.1 * (1 - Math.SQRT1_2)];
    range(12).forEach((t) => expect(lr(t)).toBeCloseTo(cycle[(t - 1) % 4]!, 12));
    expect(snapshotCycleEnds(12, 3)).toEqual([4, 8, 12]);
  });

  it('uses ceil(T/M) when M does not divide T: T = 10, M = 3, cycle length 4, last cycle 2', () => {
    const lr = snapshotCosine({ lr0: 0.1, totalSteps: 10, cycles: 3 });
    expect(lr(1)).toBeCloseTo(0.1, 12);
    expect(lr(4)).toBeCloseTo(0.05 * (Math.cos((3 * Math.PI) / 4) + 1), 12);
    expect(lr(5)).toBeCloseTo(0.1, 12); // restart
    expect(lr(9)).toBeCloseTo(0.1, 12); // third cycle starts at t = 9
    expect(lr(10)).toBeCloseTo(0.05 * (Math.cos(Math.PI / 4) + 1), 12);
    expect(snapshotCycleEnds(10, 3)).toEqual([4, 8, 10]);
  });

  it('can realise fewer cycles than asked when ceil(T/M) is too long: T = 9, M = 4', () => {
    expect(snapshotCycleEnds(9, 4)).toEqual([3, 6, 9]);
  });

  it('decays to near zero at the end of a long cycle and rejects bad arguments', () => {
    const lr = snapshotCosine({ lr0: 0.1, totalSteps: 1000, cycles: 5 });
    expect(lr(200)).toBeCloseTo(0.05 * (Math.cos((199 * Math.PI) / 200) + 1), 12);
    expect(lr(200)).toBeLessThan(1e-5);
    expect(() => lr(0)).toThrow(/1-based/);
    expect(() => snapshotCosine({ lr0: 0.1, totalSteps: 10, cycles: 0 })).toThrow(/cycles/);
  });
});

describe('sgdr (Loshchilov & Hutter 2017; PyTorch CosineAnnealingWarmRestarts at step t - 1)', () => {
  it('restarts every T_0 iterations when T_mult = 1', () => {
    const lr = sgdr({ lrMax: 0.1, lrMin: 0.001, t0: 4 });
    const expected = (tcur: number) => 0.001 + 0.5 * (0.1 - 0.001) * (1 + Math.cos((Math.PI * tcur) / 4));
    range(12).forEach((t) => expect(lr(t)).toBeCloseTo(expected((t - 1) % 4), 12));
  });

  it('lengthens cycles by T_mult: T_0 = 2, T_mult = 2 gives cycles of 2, 4, 8', () => {
    const lr = sgdr({ lrMax: 1, t0: 2, tMult: 2 });
    // Values PyTorch gives for steps 0..7: T_cur/T_i = 0/2, 1/2, 0/4, 1/4, 2/4, 3/4, 0/8, 1/8
    const ratios = [0, 0.5, 0, 0.25, 0.5, 0.75, 0, 0.125];
    ratios.forEach((r, e) => expect(lr(e + 1)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI * r)), 12));
    expect(sgdrCycleEnds(14, 2, 2)).toEqual([2, 6, 14]);
    expect(sgdrCycleEnds(10, 2, 2)).toEqual([2, 6, 10]);
  });
});

describe('cyclic (Smith 2017; PyTorch CyclicLR at step t - 1)', () => {
  it('triangular: linear up for stepSize iterations, then down', () => {
    const lr = cyclic({ baseLr: 0.01, maxLr: 0.05, stepSize: 4 });
    const expected = [0.01, 0.02, 0.03, 0.04, 0.05, 0.04, 0.03, 0.02, 0.01, 0.02];
    expected.forEach((v, i) => expect(lr(i + 1)).toBeCloseTo(v, 12));
  });

  it('triangular2 halves the amplitude every cycle', () => {
    const lr = cyclic({ baseLr: 0, maxLr: 1, stepSize: 2, mode: 'triangular2' });
    // cycle 1 peak at step 2 = 1; cycle 2 (steps 4..7) peak at step 6 = 0.5; cycle 3 peak at step 10 = 0.25
    expect(lr(3)).toBeCloseTo(1, 12);
    expect(lr(7)).toBeCloseTo(0.5, 12);
    expect(lr(6)).toBeCloseTo(0.25, 12);
    expect(lr(11)).toBeCloseTo(0.25, 12);
  });

  it('exp_range scales the height by gamma^iteration', () => {
    const lr = cyclic({ baseLr: 0.1, maxLr: 0.5, stepSize: 3, mode: 'exp_range', gamma: 0.9 });
    // step 2 (t = 3): x = 2/6, scale = 2/3, height 0.4 * 2/3 * 0.9^2
    expect(lr(3)).toBeCloseTo(0.1 + 0.4 * (2 / 3) * 0.81, 12);
    // step 4 (t = 5): descending half, scale = (4/6 - 1) / (0.5 - 1) = 2/3
    expect(lr(5)).toBeCloseTo(0.1 + 0.4 * (2 / 3) * 0.9 ** 4, 12);
  });
});

describe('stepDecay (PyTorch MultiStepLR at step t - 1)', () => {
  it("is the paper's baseline: x0.1 after 50% and 75% of T = 100", () => {
    const milestones = baselineMilestones(100);
    expect(milestones).toEqual([50, 75]);
    const lr = stepDecay({ lr0: 0.1, milestones });
    expect(lr(1)).toBeCloseTo(0.1, 12);
    expect(lr(50)).toBeCloseTo(0.1, 12);
    expect(lr(51)).toBeCloseTo(0.01, 12);
    expect(lr(75)).toBeCloseTo(0.01, 12);
    expect(lr(76)).toBeCloseTo(0.001, 12);
    expect(lr(100)).toBeCloseTo(0.001, 12);
  });
});

describe('composition and configuration', () => {
  it('joinSchedules restarts the next schedule at its own t = 1', () => {
    const lr = joinSchedules([constant(1), snapshotCosine({ lr0: 0.5, totalSteps: 4, cycles: 1 })], [3]);
    expect([1, 2, 3, 4, 5].map(lr)).toEqual([1, 1, 1, 0.5, 0.25 * (Math.cos(Math.PI / 4) + 1)]);
  });

  it('scheduleFromConfig rebuilds the schedule stored in run.json', () => {
    const a = scheduleFromConfig({ name: 'snapshotCosine', lr0: 0.1, totalSteps: 50, cycles: 5 });
    const b = snapshotCosine({ lr0: 0.1, totalSteps: 50, cycles: 5 });
    range(50).forEach((t) => expect(a(t)).toBe(b(t)));
  });
});
