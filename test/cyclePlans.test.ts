import { describe, expect, it } from 'vitest';
import { scheduleFromConfig } from '../src/schedules/fromConfig.js';
import { snapshotCosine } from '../src/schedules/snapshotCosine.js';
import { cycleLengthHint, MIN_CYCLE_ITERATIONS } from '../src/training/budgetHint.js';
import { planCycles, planCyclic, planSgdr } from '../src/training/snapshotPlan.js';

describe('train --schedule: snapshots at the end of every cycle', () => {
  it('SGDR with T_mult = 1 and eta_min = 0 is the paper\'s Eq. 2, snapshot for snapshot', () => {
    const plan = planSgdr(100, 4, 0.2);
    expect(plan.snapshotAt).toEqual([25, 50, 75, 100]);
    const sgdr = scheduleFromConfig(plan.schedule);
    const eq2 = snapshotCosine({ lr0: 0.2, totalSteps: 100, cycles: 4 });
    for (let t = 1; t <= 100; t++) expect(sgdr(t)).toBeCloseTo(eq2(t), 12);
  });

  it('SGDR with T_mult = 2: cycles of T_0, 2 T_0, 4 T_0 covering the budget, the last cut short when needed', () => {
    const exact = planSgdr(14, 3, 0.1, { tMult: 2 });
    expect(exact.snapshotAt).toEqual([2, 6, 14]);
    expect(exact.notes).toEqual([]);
    const cut = planSgdr(15, 3, 0.1, { tMult: 2 });
    // T_0 = ceil(15 / 7) = 3: cycles of 3, 6 and the last 12 cut to 6
    expect(cut.snapshotAt).toEqual([3, 9, 15]);
    expect(cut.notes[0]).toMatch(/cut to 6 of its 12 iterations/);
    const lr = scheduleFromConfig(cut.schedule);
    expect(lr(4)).toBeCloseTo(0.1, 12); // restart after the first snapshot
    expect(lr(10)).toBeCloseTo(0.1, 12);
  });

  it('triangular cyclical rates: M cycles of 2s iterations, snapshots where the rate is lowest', () => {
    const plan = planCyclic(40, 4, 0.1, { lrMin: 0.01 });
    expect(plan.snapshotAt).toEqual([10, 20, 30, 40]);
    const lr = scheduleFromConfig(plan.schedule);
    // step size s = 5: lr rises to 0.1 at iteration 6 and is back at 0.01 + 0.09 / 5 on the cycle's last iteration
    expect(lr(1)).toBeCloseTo(0.01, 12);
    expect(lr(6)).toBeCloseTo(0.1, 12);
    for (const t of plan.snapshotAt) expect(lr(t)).toBeCloseTo(0.01 + 0.09 / 5, 12);
    expect(lr(11)).toBeCloseTo(0.01, 12);
  });

  it('refuses flags that do not apply and budgets too small for the cycles', () => {
    expect(() => planCycles({ schedule: 'snapshot', totalSteps: 10, cycles: 2, lr0: 0.1, tMult: 2 })).toThrow(/--t-mult applies to --schedule sgdr only/);
    expect(() => planCycles({ schedule: 'snapshot', totalSteps: 10, cycles: 2, lr0: 0.1, lrMin: 0.01 })).toThrow(/--lr-min applies/);
    expect(() => planCycles({ schedule: 'sgdr', totalSteps: 10, cycles: 2, lr0: 0.1, lrMin: 0.2 })).toThrow(/--lr-min must be >= 0 and below --lr0/);
    // T_0 = ceil(5 / 15) = 1: cycles of 1, 2 and the rest, 2: three cycles, not four
    expect(() => planSgdr(5, 4, 0.1, { tMult: 2 })).toThrow(/T_0 = 1 iterations, which makes 3 cycles/);
    expect(() => planCyclic(5, 6, 0.1)).toThrow(/more than the 5 training iterations/);
    expect(planCycles({ schedule: 'cyclic', totalSteps: 12, cycles: 3, lr0: 0.1 }).snapshotAt).toEqual([4, 8, 12]);
  });
});

describe('budget hint', () => {
  it('warns when a full cycle is shorter than the minimum, ignoring a last cycle cut short by the budget', () => {
    expect(cycleLengthHint([100, 200, 300], 50, 150)).toMatch(/^cycles of 100 iterations \(2\.0 epochs\) are short: below about 150 iterations/);
    expect(cycleLengthHint([200, 400, 410], 50, 150)).toBeNull();
    expect(cycleLengthHint([40], 80, 150)).toMatch(/^cycles of 40 iterations \(0\.50 epochs\)/);
    expect(cycleLengthHint([300], 80, 150)).toBeNull();
    // SGDR's growing cycles: the first is the shortest
    expect(cycleLengthHint([20, 60, 140], 10, 30)).toMatch(/^cycles of 20 iterations/);
    expect(MIN_CYCLE_ITERATIONS).toBeGreaterThan(0);
  });
});
