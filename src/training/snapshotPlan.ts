import { fgeCollectionOffset, fgeCollectionPoints } from '../schedules/fge.js';
import { sgdrCycleEnds } from '../schedules/sgdr.js';
import { swaStartEpoch } from '../schedules/swa.js';
import { snapshotCycleEnds, snapshotCycleLength } from '../schedules/snapshotCosine.js';

import { UserError } from '../util/errors.js';
import type { ScheduleConfig, CycleScheduleName, FgeOptions, SwagOptions } from '../schema/schedules.js';

/** A run's schedule and the iterations after which it takes its members, with notes on how the plan was made to fit. */
export interface SnapshotPlan {
  schedule: ScheduleConfig;
  /** Iterations after which snapshots are taken, ascending; the last is always totalSteps (none for SWAG). */
  snapshotAt: number[];
  /** Human-readable remarks about the plan (a short last cycle, say). */
  notes: string[];
}

/**
 * The paper's plan: the cyclic cosine schedule of Eq. 2 over T iterations in M cycles, a snapshot at the end of
 * every cycle. Refuses M that Eq. 2 cannot realise (M > T, or a cycle length ceil(T/M) that leaves fewer than M cycles).
 */
export function planSnapshotCosine(totalSteps: number, cycles: number, lr0: number): SnapshotPlan {
  checkCycles(cycles, totalSteps);
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

export function defaultSwagOptions(lr0: number): SwagOptions {
  return { start: 0.75, lr: lr0 / 2, rank: 20, samples: 10 };
}

/**
 * SWAG (Maddox et al. 2019) over B epochs: the SWA schedule (lr0, then down to the constant swag.lr, reached at the
 * start epoch), the moments collected at the end of every epoch from round(start x B) on. No snapshots: the run's
 * members are weight samples drawn from the moments when it is evaluated.
 */
export function planSwag(epochs: number, iterationsPerEpoch: number, lr0: number, swag: SwagOptions): SnapshotPlan & { startEpoch: number } {
  if (!(swag.start > 0 && swag.start < 1)) throw new UserError(`--swag-start must be a fraction in (0, 1), got ${swag.start}`);
  if (!(swag.lr > 0) || !Number.isFinite(swag.lr)) throw new UserError(`--swag-lr must be a positive number, got ${swag.lr}`);
  for (const [flag, v] of [['--swag-rank', swag.rank], ['--swag-samples', swag.samples]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`${flag} must be a positive integer, got ${v}`);
  }
  const startEpoch = swaStartEpoch(epochs, swag.start);
  const notes = epochs - startEpoch + 1 < 2 ? [`SWAG collects only ${epochs - startEpoch + 1} weight set in ${epochs} epochs: its samples have no covariance`] : [];
  return { schedule: { name: 'swa', lr0, swaLr: swag.lr, swaStart: startEpoch * iterationsPerEpoch }, snapshotAt: [], notes, startEpoch };
}

/** The paper's ResNet settings relative to lr0 = 0.1 (alpha_1 = 0.05, alpha_2 = 0.0005), 2-epoch cycles, 80% pre-training. */
export function defaultFgeOptions(lr0: number): FgeOptions {
  return { cycleEpochs: 2, lr1: lr0 / 2, lr2: lr0 / 200, pretrain: 0.8 };
}

/** What planCycles plans: the schedule, the budget, the cycles and their settings. */
export interface CyclePlanOptions {
  schedule: CycleScheduleName;
  totalSteps: number;
  cycles: number;
  /** Learning rate at the top of every cycle. */
  lr0: number;
  /** Learning rate at the bottom of every cycle (sgdr's eta_min, cyclic's base_lr; default 0). */
  lrMin?: number;
  /** SGDR's T_mult: each cycle is this many times longer than the one before (default 1). */
  tMult?: number;
  /** FGE's settings (default defaultFgeOptions(lr0)) and the iterations per epoch its cycles are counted in. */
  fge?: FgeOptions;
  /** SWAG's settings (default defaultSwagOptions(lr0)). */
  swag?: SwagOptions;
  iterationsPerEpoch?: number;
}

function checkCycles(cycles: number, totalSteps: number): void {
  if (!Number.isInteger(cycles) || cycles < 1) throw new UserError(`--cycles must be an integer >= 1, got ${cycles}`);
  if (cycles > totalSteps) throw new UserError(`--cycles ${cycles} is more than the ${totalSteps} training iterations`);
}

/**
 * SGDR (Loshchilov & Hutter 2017) with M restarts in T iterations: cycle i lasts T_0 * T_mult^(i-1) with
 * T_0 = ceil(T / sum_{i<M} T_mult^i), so the M cycles cover T (the last one cut short when they overshoot);
 * a snapshot at the end of each. With T_mult = 1 and eta_min = 0 this is exactly Eq. 2 of the paper.
 */
export function planSgdr(totalSteps: number, cycles: number, lr0: number, { lrMin = 0, tMult = 1 }: { lrMin?: number; tMult?: number } = {}): SnapshotPlan {
  checkCycles(cycles, totalSteps);
  if (!Number.isInteger(tMult) || tMult < 1) throw new UserError(`--t-mult must be an integer >= 1, got ${tMult}`);
  let units = 0;
  for (let i = 0; i < cycles; i++) units += tMult ** i;
  const t0 = Math.ceil(totalSteps / units);
  const snapshotAt = sgdrCycleEnds(totalSteps, t0, tMult);
  if (snapshotAt.length !== cycles) {
    throw new UserError(
      `--cycles ${cycles} with --t-mult ${tMult} and ${totalSteps} iterations gives a first cycle of T_0 = ${t0} iterations, which makes ` +
        `${snapshotAt.length} cycles; choose a larger budget or fewer cycles`,
    );
  }
  const notes: string[] = [];
  const lastStart = snapshotAt.length > 1 ? snapshotAt[snapshotAt.length - 2]! : 0;
  const lastFull = t0 * tMult ** (cycles - 1);
  if (totalSteps - lastStart !== lastFull) {
    notes.push(`the last SGDR cycle is cut to ${totalSteps - lastStart} of its ${lastFull} iterations, so its snapshot is taken before the learning rate reaches its minimum`);
  }
  return { schedule: { name: 'sgdr', lrMax: lr0, lrMin, t0, tMult }, snapshotAt, notes };
}

/**
 * Cyclical learning rates (Smith 2017), triangular: M cycles of 2s iterations, s = ceil(T / 2M), rising from
 * lrMin to lr0 and back; a snapshot at the end of each cycle, where the rate is lowest (the last cycle is cut at T).
 */
export function planCyclic(totalSteps: number, cycles: number, lr0: number, { lrMin = 0 }: { lrMin?: number } = {}): SnapshotPlan {
  checkCycles(cycles, totalSteps);
  const stepSize = Math.ceil(totalSteps / (2 * cycles));
  const snapshotAt: number[] = [];
  for (let c = 1; c < cycles; c++) snapshotAt.push(2 * stepSize * c);
  if (snapshotAt.length > 0 && snapshotAt.at(-1)! >= totalSteps) {
    throw new UserError(`--cycles ${cycles} with ${totalSteps} iterations leaves no room for ${cycles} triangular cycles; choose a larger budget or fewer cycles`);
  }
  snapshotAt.push(totalSteps);
  const notes: string[] = [];
  const last = totalSteps - 2 * stepSize * (cycles - 1);
  if (last !== 2 * stepSize) notes.push(`the last triangular cycle is cut to ${last} of its ${2 * stepSize} iterations`);
  return { schedule: { name: 'cyclic', baseLr: lrMin, maxLr: lr0, stepSize, mode: 'triangular' }, snapshotAt, notes };
}

/**
 * Fast Geometric Ensembling (Garipov et al. 2018) at a budget of T iterations: pre-training with the ordinary step
 * schedule for round(pretrain x T) iterations, then triangular cycles of C = round(c x iterations per epoch)
 * iterations with a member collected at the middle of each. The run ends at the last collection point: when the
 * cycles do not divide what is left of the budget, the remainder (which would only train past the last middle) is
 * added to the pre-training, so the whole budget is used and the last member is taken at T.
 */
export function planFge(totalSteps: number, iterationsPerEpoch: number, lr0: number, fge: FgeOptions): SnapshotPlan {
  const { cycleEpochs, lr1, lr2, pretrain } = fge;
  if (!(pretrain > 0 && pretrain < 1)) throw new UserError(`--fge-pretrain must be a fraction in (0, 1), got ${pretrain}`);
  for (const [flag, v] of [['--fge-lr1', lr1], ['--fge-lr2', lr2], ['--fge-cycle-epochs', cycleEpochs]] as const) {
    if (!(v > 0) || !Number.isFinite(v)) throw new UserError(`${flag} must be a positive number, got ${v}`);
  }
  const cycleSteps = Math.round(cycleEpochs * iterationsPerEpoch);
  if (cycleSteps < 2) {
    throw new UserError(`--fge-cycle-epochs ${cycleEpochs} is ${cycleSteps} iteration${cycleSteps === 1 ? '' : 's'} at ${iterationsPerEpoch} per epoch; a cycle needs at least 2`);
  }
  const offset = fgeCollectionOffset(cycleSteps);
  const planned = Math.round(pretrain * totalSteps);
  const cycles = totalSteps - planned < offset ? 1 : Math.floor((totalSteps - planned - offset) / cycleSteps) + 1;
  const pretrainSteps = totalSteps - (cycles - 1) * cycleSteps - offset;
  if (pretrainSteps < 1) {
    throw new UserError(`--fge-cycle-epochs ${cycleEpochs} (${cycleSteps} iterations) leaves no pre-training in ${totalSteps} iterations; choose a larger budget or shorter cycles`);
  }
  const snapshotAt = fgeCollectionPoints(totalSteps, pretrainSteps, cycleSteps);
  const notes: string[] = [];
  if (pretrainSteps !== planned) {
    notes.push(
      `FGE: ${cycles} cycle${cycles === 1 ? '' : 's'} of ${cycleSteps} iterations ${cycles === 1 ? 'does' : 'do'} not fill the ${totalSteps - planned} iterations after ${Math.round(100 * pretrain)}% pre-training; ` +
        `pre-training runs ${pretrainSteps} iterations instead of ${planned}, so the last member is taken at the end of the budget`,
    );
  }
  return { schedule: { name: 'fge', lr0, pretrainSteps, lr1, lr2, cycleSteps }, snapshotAt, notes };
}

/** The plan for one of the cyclic schedules of `train --schedule`. */
export function planCycles({ schedule, totalSteps, cycles, lr0, lrMin = 0, tMult = 1, fge, swag, iterationsPerEpoch }: CyclePlanOptions): SnapshotPlan {
  if (!(lrMin >= 0) || !(lrMin < lr0)) throw new UserError(`--lr-min must be >= 0 and below --lr0 ${lr0}, got ${lrMin}`);
  switch (schedule) {
    case 'snapshot':
      if (lrMin !== 0) throw new UserError('--lr-min applies to --schedule sgdr and cyclic; Eq. 2 anneals to 0');
      if (tMult !== 1) throw new UserError('--t-mult applies to --schedule sgdr only');
      return planSnapshotCosine(totalSteps, cycles, lr0);
    case 'sgdr':
      return planSgdr(totalSteps, cycles, lr0, { lrMin, tMult });
    case 'cyclic':
      if (tMult !== 1) throw new UserError('--t-mult applies to --schedule sgdr only');
      return planCyclic(totalSteps, cycles, lr0, { lrMin });
    case 'fge':
      if (tMult !== 1 || lrMin !== 0) throw new UserError('--t-mult and --lr-min do not apply to --schedule fge (its rates are --fge-lr1 and --fge-lr2)');
      return planFge(totalSteps, iterationsPerEpoch ?? totalSteps, lr0, fge ?? defaultFgeOptions(lr0));
    case 'swag': {
      if (tMult !== 1 || lrMin !== 0) throw new UserError('--t-mult and --lr-min do not apply to --schedule swag (its rate is --swag-lr)');
      const perEpoch = iterationsPerEpoch ?? totalSteps;
      return planSwag(totalSteps / perEpoch, perEpoch, lr0, swag ?? defaultSwagOptions(lr0));
    }
  }
}
