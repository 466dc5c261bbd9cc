import { assertFiniteNonNegative, assertIteration, type Schedule } from './types.js';
import type { StepDecayConfig } from '../schema/schedules.js';

/**
 * Step decay: lr(t) = lr0 * gamma^(number of milestones m with m <= t - 1), equal to PyTorch's MultiStepLR
 * after t - 1 scheduler steps. The paper's single-model baseline is lr0 = 0.1, gamma = 0.1, milestones at
 * 50% and 75% of the budget (see stepDecayBaseline).
 */
export function stepDecay({ lr0, milestones, gamma = 0.1 }: StepDecayConfig): Schedule {
  assertFiniteNonNegative('lr0', lr0);
  assertFiniteNonNegative('gamma', gamma);
  for (const m of milestones) {
    if (!Number.isInteger(m) || m < 0) throw new RangeError(`milestones must be integers >= 0, got ${m}`);
  }
  const sorted = [...milestones].sort((a, b) => a - b);
  return (t: number): number => {
    assertIteration(t);
    let passed = 0;
    for (const m of sorted) if (m <= t - 1) passed++;
    return lr0 * gamma ** passed;
  };
}

/** Milestones of the paper's baseline: divide by 10 at 50% and 75% of the total iterations. */
export function baselineMilestones(totalSteps: number): number[] {
  return [Math.round(totalSteps * 0.5), Math.round(totalSteps * 0.75)];
}
