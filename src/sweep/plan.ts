import type { ComparePlan } from '../compare/plan.js';
import { checkModelName } from '../models/registry.js';
import { sgdConfigProblem } from '../training/sgd.js';
import { planCycles } from '../training/snapshotPlan.js';
import { UserError } from '../util/errors.js';
import type { CycleScheduleName } from '../schema/schedules.js';
import type { RunSpec } from '../schema/runSpec.js';
import type { IdxSource } from '../schema/data.js';

/** A grid of Snapshot Ensemble runs: every combination of schedule, budget, cycles and lr0, each for every seed. */
export interface SweepConfig {
  model: string;
  /** The examples: IDX files (the embedded Fashion-MNIST when its dir is null). */
  source: IdxSource;
  trainSize: number | null;
  testSize: number | null;
  batchSize: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  augment: boolean;
  schedules: CycleScheduleName[];
  /** Budgets B in epochs. */
  epochs: number[];
  /** M: cycles (snapshots) per run. */
  cycles: number[];
  lr0: number[];
  seeds: number[];
}

/** One point of the grid: its settings and one run per seed. */
export interface SweepPoint {
  key: string;
  schedule: CycleScheduleName;
  epochs: number;
  cycles: number;
  lr0: number;
  /** Iterations of the first cycle (the budget hint's measure). */
  cycleIterations: number;
  runs: RunSpec[];
}

function formatRate(x: number): string {
  return String(Number(x.toPrecision(6)));
}

function checkList<T>(flag: string, values: readonly T[], ok: (v: T) => boolean, what: string): void {
  if (values.length === 0) throw new UserError(`${flag} lists nothing`);
  const bad = values.find((v) => !ok(v));
  if (bad !== undefined) throw new UserError(`${flag}: ${String(bad)} is not ${what}`);
  if (new Set(values.map(String)).size !== values.length) throw new UserError(`${flag} lists a value twice`);
}

/** Plans every point of the grid at iterationsPerEpoch iterations an epoch (pure). */
export function planSweep(config: SweepConfig, iterationsPerEpoch: number): SweepPoint[] {
  checkModelName(config.model);
  const sgd = sgdConfigProblem(config);
  if (sgd !== null) throw new UserError(sgd);
  const positiveInteger = (v: number) => Number.isInteger(v) && v >= 1;
  checkList('--epochs', config.epochs, positiveInteger, 'a positive integer');
  checkList('--cycles', config.cycles, positiveInteger, 'a positive integer');
  checkList('--lr0', config.lr0, (v) => v > 0 && Number.isFinite(v), 'a positive number');
  checkList('--schedule', config.schedules, (v) => ['snapshot', 'sgdr', 'cyclic'].includes(v), 'snapshot, sgdr or cyclic');
  checkList('--seeds', config.seeds, (v) => Number.isInteger(v) && v >= 0, 'a seed');
  const points: SweepPoint[] = [];
  for (const schedule of config.schedules) {
    for (const epochs of config.epochs) {
      for (const cycles of config.cycles) {
        const totalSteps = epochs * iterationsPerEpoch;
        if (cycles > totalSteps) throw new UserError(`--cycles ${cycles} is more than the ${totalSteps} iterations of --epochs ${epochs}`);
        for (const lr0 of config.lr0) {
          const plan = planCycles({ schedule, totalSteps, cycles, lr0 });
          const key = `${schedule}-B${epochs}-M${cycles}-lr${formatRate(lr0)}`;
          const runs = config.seeds.map(
            (seed): RunSpec => ({ id: `${key}-seed${seed}`, seed, dropout: 0, epochs, schedule: plan.schedule, snapshotAt: plan.snapshotAt, swa: null }),
          );
          points.push({ key, schedule, epochs, cycles, lr0, cycleIterations: plan.snapshotAt[0]!, runs });
        }
      }
    }
  }
  return points;
}

/** The sweep's runs as a comparison's plan without rows, for the executors of compare (one machine or a queue). */
export function sweepAsComparePlan(points: readonly SweepPoint[]): ComparePlan {
  const seeds = [...new Set(points.flatMap((p) => p.runs.map((r) => r.seed)))].sort((a, b) => a - b);
  return {
    rows: [],
    seeds: seeds.map((seed) => ({ seed, runs: points.flatMap((p) => p.runs.filter((r) => r.seed === seed)), rows: [] })),
    budgetIterations: 0,
    cycleEnds: [],
  };
}
