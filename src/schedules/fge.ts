import { joinSchedules } from './constant.js';
import { baselineMilestones, stepDecay } from './stepDecay.js';
import { assertFiniteNonNegative, assertIteration, assertPositiveInteger, type Schedule } from './types.js';
import type { FgeScheduleConfig, FgeCycleConfig } from '../schema/schedules.js';

/**
 * Fast Geometric Ensembling's triangular cycle (Garipov et al. 2018, Eq. 2), t = ((i - 1) mod C) / C for the
 * 1-based iteration i of the FGE phase: lr = (1 - 2t) alpha_1 + 2t alpha_2 for t < 1/2, else (2t - 1) alpha_1 + (2 - 2t) alpha_2.
 * With C = c x (iterations per epoch) and the phase starting at an epoch boundary this is the paper's
 * t = ((epoch mod c) + i / n) / c, computed as the authors' cyclic_learning_rate does.
 */
export function fgeCycle({ lr1, lr2, cycleSteps }: FgeCycleConfig): Schedule {
  assertFiniteNonNegative('lr1', lr1);
  assertFiniteNonNegative('lr2', lr2);
  assertPositiveInteger('cycleSteps', cycleSteps);
  return (i: number): number => {
    assertIteration(i);
    const t = ((i - 1) % cycleSteps) / cycleSteps;
    return t < 0.5 ? (1 - 2 * t) * lr1 + 2 * t * lr2 : (2 * t - 1) * lr1 + (2 - 2 * t) * lr2;
  };
}

/**
 * FGE over a whole run: pre-training with the ordinary step schedule for pretrainSteps iterations (lr0, x0.1 at 50%
 * and 75% of them, as the single-model baseline), then FGE's triangular cycles from iteration pretrainSteps + 1 on.
 */
export function fgeSchedule({ lr0, pretrainSteps, lr1, lr2, cycleSteps }: FgeScheduleConfig): Schedule {
  assertPositiveInteger('pretrainSteps', pretrainSteps);
  const pretrain = stepDecay({ lr0, milestones: baselineMilestones(pretrainSteps), gamma: 0.1 });
  return joinSchedules([pretrain, fgeCycle({ lr1, lr2, cycleSteps })], [pretrainSteps]);
}

/**
 * The 1-based iteration within a cycle after which FGE collects its member: the one run at t = 1/2, the rate alpha_2
 * (for an odd C, the first of the two iterations closest to the middle). Garipov et al.'s code saves one iteration
 * earlier, at the end of the epoch before the rate reaches alpha_2.
 */
export function fgeCollectionOffset(cycleSteps: number): number {
  assertPositiveInteger('cycleSteps', cycleSteps);
  return Math.floor(cycleSteps / 2) + 1;
}

/** The iterations (1-based, of the whole run) after which FGE collects, one per cycle whose middle lies within totalSteps. */
export function fgeCollectionPoints(totalSteps: number, pretrainSteps: number, cycleSteps: number): number[] {
  assertPositiveInteger('totalSteps', totalSteps);
  const points: number[] = [];
  for (let at = pretrainSteps + fgeCollectionOffset(cycleSteps); at <= totalSteps; at += cycleSteps) points.push(at);
  return points;
}
