import { assertFiniteNonNegative, assertIteration, assertPositiveInteger, type Schedule } from './types.js';
import type { SwaScheduleConfig } from '../schema/schedules.js';

/**
 * The learning rate of Stochastic Weight Averaging (Izmailov et al. 2018, as in the authors' train.py), with
 * u = (t - 1) / S: lr0 for u <= 0.5, then linear down to swaLr at u = 0.9,
 *   lr(t) = lr0 * (1 - (1 - swaLr / lr0) * (u - 0.5) / 0.4),
 * and the constant swaLr from there on, through the averaging phase t > S.
 */
export function swaSchedule({ lr0, swaLr, swaStart }: SwaScheduleConfig): Schedule {
  assertFiniteNonNegative('lr0', lr0);
  assertFiniteNonNegative('swaLr', swaLr);
  assertPositiveInteger('swaStart', swaStart);
  if (lr0 === 0) throw new RangeError('lr0 must be > 0 for the SWA schedule');
  const ratio = swaLr / lr0;
  return (t: number): number => {
    assertIteration(t);
    const u = (t - 1) / swaStart;
    if (u <= 0.5) return lr0;
    if (u <= 0.9) return lr0 * (1 - ((1 - ratio) * (u - 0.5)) / 0.4);
    return swaLr;
  };
}

/**
 * The first epoch whose end SWA (and SWAG) collects: round(start x B), but never later than B - 1 when B >= 2, so that
 * at least two weight sets are collected (at B = 2 the 75% start would otherwise average the final weights alone).
 */
export function swaStartEpoch(epochs: number, start: number): number {
  return Math.max(1, Math.min(epochs >= 2 ? epochs - 1 : epochs, Math.round(start * epochs)));
}
