import { snapshotCycleEnds, snapshotCycleLength } from '../schedules/snapshotCosine.js';
import type { ScheduleConfig } from '../schedules/fromConfig.js';
import { UserError } from '../util/errors.js';

export interface SnapshotPlan {
  schedule: ScheduleConfig;
  /** Iterations after which snapshots are taken, ascending; the last is always totalSteps. */
  snapshotAt: number[];
  /** Human-readable remarks about the plan (a short last cycle, say). */
  notes: string[];
}

/**
 * The paper's plan: the cyclic cosine schedule of Eq. 2 over T iterations in M cycles, a snapshot at the end of
 * every cycle. Refuses M that Eq. 2 cannot realise (M > T, or a cycle length ceil(T/M) that leaves fewer than M cycles).
 */
export function planSnapshotCosine(totalSteps: number, cycles: number, lr0: number): SnapshotPlan {
  if (!Number.isInteger(cycles) || cycles < 1) throw new UserError(`--cycles must be an integer >= 1, got ${cycles}`);
  if (cycles > totalSteps) throw new UserError(`--cycles ${cycles} is more than the ${totalSteps} training iterations`);
  const cycleLength = snapshotCycleLength(totalSteps, cycles);
  const snapshotAt = snapshotCycleEnds(totalSteps, cycles);
  if (snapshotAt.length !== cycles) {
    throw new UserError(
      `--cycles ${cycles} with ${totalSteps} iterations gives cycles of ceil(T/M) = ${cycleLength} iterations, which makes only ` +
        `${snapshotAt.length} cycles; choose a budget or cycle count where T > (M - 1)^2`,
    );
  }
  const notes: string[] = [];
  const last = totalSteps - cycleLength * (cycles - 1);
  if (last !== cycleLength) {
    notes.push(`M = ${cycles} does not divide T = ${totalSteps}: the last cycle has ${last} iterations instead of ${cycleLength}`);
  }
  return { schedule: { name: 'snapshotCosine', lr0, totalSteps, cycles }, snapshotAt, notes };
}
