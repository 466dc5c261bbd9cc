import { assertFiniteNonNegative, assertIteration, type Schedule } from './types.js';

/** A constant learning rate. */
export function constant(lr: number): Schedule {
  assertFiniteNonNegative('lr', lr);
  return (t: number): number => {
    assertIteration(t);
    return lr;
  };
}

/**
 * Joins schedules at boundaries (in iterations), as Optax's join_schedules: schedules[0] runs for t <= boundaries[0],
 * then schedules[1] restarted at its own t = 1, and so on.
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  if (schedules.length !== boundaries.length + 1) {
    throw new RangeError(`joinSchedules needs one more schedule than boundaries, got ${schedules.length} and ${boundaries.length}`);
  }
  return (t: number): number => {
    assertIteration(t);
    let offset = 0;
    for (let i = 0; i < boundaries.length; i++) {
      const boundary = boundaries[i]!;
      if (t <= boundary) return schedules[i]!(t - offset);
      offset = boundary;
    }
    return schedules[schedules.length - 1]!(t - offset);
  };
}
