import { assertFiniteNonNegative, assertIteration, assertPositiveInteger, type Schedule } from './types.js';
import type { CyclicConfig } from '../schema/schedules.js';


/**
 * Cyclical learning rates (Smith 2017, "Cyclical Learning Rates for Training Neural Networks"):
 * cycle = floor(1 + i / (2 s)), x = |i / s - 2 cycle + 1|, lr = base + (max - base) * max(0, 1 - x) * scale,
 * with scale 1 (triangular), 1 / 2^(cycle - 1) (triangular2) or gamma^i (exp_range), i = t - 1.
 * Written as PyTorch's CyclicLR computes it (which also allows unequal up and down halves), and equal to it
 * after t - 1 scheduler steps.
 */
export function cyclic({ baseLr, maxLr, stepSize, stepSizeDown, mode = 'triangular', gamma = 1 }: CyclicConfig): Schedule {
  assertFiniteNonNegative('baseLr', baseLr);
  assertFiniteNonNegative('maxLr', maxLr);
  assertPositiveInteger('stepSize', stepSize);
  const down = stepSizeDown ?? stepSize;
  assertPositiveInteger('stepSizeDown', down);
  assertFiniteNonNegative('gamma', gamma);
  const totalSize = stepSize + down;
  const stepRatio = stepSize / totalSize;
  return (t: number): number => {
    assertIteration(t);
    const i = t - 1;
    const cycle = Math.floor(1 + i / totalSize);
    const x = 1 + i / totalSize - cycle;
    const scaleFactor = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);
    const height = (maxLr - baseLr) * scaleFactor;
    switch (mode) {
      case 'triangular':
        return baseLr + height;
      case 'triangular2':
        return baseLr + height / 2 ** (cycle - 1);
      case 'exp_range':
        return baseLr + height * gamma ** i;
    }
  };
}
