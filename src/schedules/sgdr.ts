import { assertFiniteNonNegative, assertIteration, assertPositiveInteger, type Schedule } from './types.js';
import type { SgdrConfig } from '../schema/schedules.js';

/** The restart cycle containing 0-based step e: its start and length T_i. */
function sgdrCycle(e: number, t0: number, tMult: number): { start: number; length: number } {
  if (tMult === 1) {
    return { start: e - (e % t0), length: t0 };
  }
  let start = 0;
  let length = t0;
  while (e >= start + length) {
    start += length;
    length *= tMult;
  }
  return { start, length };
}

/**
 * SGDR, stochastic gradient descent with warm restarts (Loshchilov & Hutter 2017, Eq. 5):
 * eta_t = eta_min + (eta_max - eta_min) / 2 * (1 + cos(pi * T_cur / T_i)).
 * Equal to PyTorch's CosineAnnealingWarmRestarts after t - 1 scheduler steps (T_cur counted in iterations).
 */
export function sgdr({ lrMax, lrMin = 0, t0, tMult = 1 }: SgdrConfig): Schedule {
  assertFiniteNonNegative('lrMax', lrMax);
  assertFiniteNonNegative('lrMin', lrMin);
  assertPositiveInteger('t0', t0);
  assertPositiveInteger('tMult', tMult);
  return (t: number): number => {
    assertIteration(t);
    const e = t - 1;
    const { start, length } = sgdrCycle(e, t0, tMult);
    return lrMin + ((lrMax - lrMin) / 2) * (1 + Math.cos((Math.PI * (e - start)) / length));
  };
}

/** The last iteration (1-based) of every complete or final SGDR cycle within totalSteps: the snapshot points. */
export function sgdrCycleEnds(totalSteps: number, t0: number, tMult = 1): number[] {
  assertPositiveInteger('totalSteps', totalSteps);
  assertPositiveInteger('t0', t0);
  assertPositiveInteger('tMult', tMult);
  const ends: number[] = [];
  let end = t0;
  let length = t0;
  while (end < totalSteps) {
    ends.push(end);
    length *= tMult;
    end += length;
  }
  ends.push(totalSteps);
  return ends;
}
