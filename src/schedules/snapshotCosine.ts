import { assertFiniteNonNegative, assertIteration, assertPositiveInteger, type Schedule } from './types.js';
import type { SnapshotCosineConfig } from '../schema/schedules.js';

/** Length of one cycle of the snapshot schedule: ceil(T / M). */
export function snapshotCycleLength(totalSteps: number, cycles: number): number {
  return Math.ceil(totalSteps / cycles);
}

/**
 * The cyclic cosine annealing schedule of Snapshot Ensembles (Huang et al. 2017, Eq. 2):
 * alpha(t) = alpha_0 / 2 * (cos(pi * mod(t - 1, ceil(T/M)) / ceil(T/M)) + 1), t = 1..T.
 */
export function snapshotCosine({ lr0, totalSteps, cycles }: SnapshotCosineConfig): Schedule {
  assertFiniteNonNegative('lr0', lr0);
  assertPositiveInteger('totalSteps', totalSteps);
  assertPositiveInteger('cycles', cycles);
  const cycleLength = snapshotCycleLength(totalSteps, cycles);
  return (t: number): number => {
    assertIteration(t);
    return (lr0 / 2) * (Math.cos((Math.PI * ((t - 1) % cycleLength)) / cycleLength) + 1);
  };
}

/**
 * The iterations at which Eq. 2's cycles end, where the snapshots are taken: every multiple of
 * ceil(T/M) up to T, and T itself when the last cycle is cut short. When M divides T this is
 * M points; otherwise it can be fewer (for T = 9, M = 4 the cycle length is 3, so 3 cycles).
 */
export function snapshotCycleEnds(totalSteps: number, cycles: number): number[] {
  assertPositiveInteger('totalSteps', totalSteps);
  assertPositiveInteger('cycles', cycles);
  const cycleLength = snapshotCycleLength(totalSteps, cycles);
  const ends: number[] = [];
  for (let t = cycleLength; t < totalSteps; t += cycleLength) ends.push(t);
  ends.push(totalSteps);
  return ends;
}
