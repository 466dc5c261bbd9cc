import { checkModelName } from '../models/registry.js';
import { baselineMilestones } from '../schedules/stepDecay.js';
import { swaStartEpoch } from '../schedules/swa.js';

import { sgdConfigProblem } from '../training/sgd.js';
import { planFge, planSnapshotCosine } from '../training/snapshotPlan.js';
import { UserError } from '../util/errors.js';
import { DEFAULT_DISTILLATION, distillationProblem } from '../training/distillation.js';
import type { CompareConfig, RowName } from '../schema/compare.js';
import type { ScheduleConfig } from '../schema/schedules.js';
import type { RunSpec } from '../schema/runSpec.js';

/*
 * Every row of `compare` is a configuration of the one training loop: a schedule, the iterations after which
 * members are taken, a seed, a dropout rate and, for SWA, when averaging starts. Planning is pure; execution is
 * in runCompare.ts.
 */

/** A member of a row's ensemble: the weights of a run after an iteration (for SWA: the average, at the end). */
export interface MemberRef {
  run: string;
  iteration: number;
  /** For SWAG: the 1-based sample drawn at the end of the run. */
  sample?: number;
}

/** One row of a comparison for one seed: its members (which run, which iteration) and the runs it costs. */
export interface RowPlan {
  key: string;
  row: RowName;
  label: string;
  seed: number;
  members: MemberRef[];
  /** Ids of the runs the row needs, each counted once in its cost. */
  runs: string[];
}

/** The runs and rows of one seed of a comparison. */
export interface SeedPlan {
  seed: number;
  runs: RunSpec[];
  rows: RowPlan[];
}

/** Every run and row of a comparison, planned (pure): which runs train, and which of their members each row averages. */
export interface ComparePlan {
  /** Rows in table order (key, label, member count and planned cost in budgets). */
  rows: { key: string; row: RowName; label: string; members: number; cost: number }[];
  seeds: SeedPlan[];
  budgetIterations: number;
  /** Eq. 2's cycle ends over one budget: where nocycle and snapshot take their members. */
  cycleEnds: number[];
}

/** Seed of the j-th independently initialised model of a row run with seed s (j = 0 is s itself). */
export function memberSeed(seed: number, j: number): number {
  return (seed + 10007 * j) >>> 0;
}

function formatRate(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/** The row keys (table lines) one requested row expands to: one per lr0 for snapshot. */
export function rowKeys(row: RowName, config: Pick<CompareConfig, 'snapshotLr0'>): string[] {
  return row === 'snapshot' ? config.snapshotLr0.map((lr) => `snapshot-lr${formatRate(lr)}`) : [row];
}

function checkConfig(config: CompareConfig, iterationsPerEpoch: number): void {
  const positive: [string, number][] = [
    ['--epochs', config.epochs],
    ['--cycles', config.cycles],
    ['--batch-size', config.batchSize],
    ['--ensemble-size', config.ensembleSize],
  ];
  for (const [flag, v] of positive) if (!Number.isInteger(v) || v < 1) throw new UserError(`${flag} must be a positive integer, got ${v}`);
  if (!Number.isInteger(iterationsPerEpoch) || iterationsPerEpoch < 1) throw new UserError('there are no training examples left to train on');
  for (const [flag, v] of [['--lr0', config.lr0], ['--swa-lr', config.swaLr]] as const) {
    if (!(v > 0) || !Number.isFinite(v)) throw new UserError(`${flag} must be a positive number, got ${v}`);
  }
  if (config.snapshotLr0.length === 0 || config.snapshotLr0.some((v) => !(v > 0) || !Number.isFinite(v))) {
    throw new UserError(`--snapshot-lr0 must list positive numbers, got ${config.snapshotLr0.join(',')}`);
  }
  if (new Set(config.snapshotLr0.map(formatRate)).size !== config.snapshotLr0.length) throw new UserError('--snapshot-lr0 lists a rate twice');
  if (!(config.swaStart > 0 && config.swaStart <= 1)) throw new UserError(`the SWA start must be a fraction in (0, 1], got ${config.swaStart}`);
  for (const [flag, v] of [['--swag-rank', config.swag.rank], ['--swag-samples', config.swag.samples]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`${flag} must be a positive integer, got ${v}`);
  }
  const sgd = sgdConfigProblem(config);
  if (sgd !== null) throw new UserError(sgd);
  checkModelName(config.model);
  if (config.rows.length === 0) throw new UserError('--rows names no rows');
  const seen = new Set<RowName>();
  for (const r of config.rows) {
    if (seen.has(r.row)) throw new UserError(`--rows names ${r.row} twice`);
    seen.add(r.row);
    if (r.seeds.length === 0) throw new UserError(`row ${r.row} has no seeds`);
    if (new Set(r.seeds).size !== r.seeds.length) throw new UserError(`row ${r.row} repeats a seed`);
  }
  if (seen.has('dropout') && !(config.dropout > 0 && config.dropout < 1)) {
    throw new UserError(`the dropout row needs --dropout in (0, 1), got ${config.dropout}`);
  }
  if (seen.has('distilled')) {
    const d = distillSettings(config);
    const problem = distillationProblem(d);
    if (problem !== null) throw new UserError(problem);
    if (!Number.isInteger(d.epochs) || d.epochs < 1) throw new UserError(`--distill-epochs must be a positive integer, got ${d.epochs}`);
  }
  if (seen.has('singlecycle') && config.epochs % config.cycles !== 0) {
    throw new UserError(
      `singlecycle trains M = ${config.cycles} models of B/M epochs each: --epochs ${config.epochs} must be a multiple of --cycles ${config.cycles}`,
    );
  }
}

/** The distilled row's student settings, with the defaults filled in (B epochs, T = 4, alpha = 0.9). */
export function distillSettings(config: Pick<CompareConfig, 'epochs' | 'distill'>): { epochs: number; temperature: number; alpha: number } {
  return {
    epochs: config.distill?.epochs ?? config.epochs,
    temperature: config.distill?.temperature ?? DEFAULT_DISTILLATION.temperature,
    alpha: config.distill?.alpha ?? DEFAULT_DISTILLATION.alpha,
  };
}

/** The first epoch whose end SWA averages and SWAG collects (swaStartEpoch: round(swaStart x B), at most B - 1). */
export function swaStartEpochOf(config: Pick<CompareConfig, 'epochs' | 'swaStart'>): number {
  return swaStartEpoch(config.epochs, config.swaStart);
}

/**
 * Plans the runs of every requested row and seed at a budget of B = config.epochs epochs of
 * iterationsPerEpoch iterations each.
 */
export function planCompare(config: CompareConfig, iterationsPerEpoch: number): ComparePlan {
  checkConfig(config, iterationsPerEpoch);
  const B = config.epochs;
  const M = config.cycles;
  const T = B * iterationsPerEpoch;
  // Eq. 2's cycle ends: where nocycle and snapshot take their members (every B/M epochs when M divides B)
  const cycleEnds = planSnapshotCosine(T, M, config.snapshotLr0[0]!).snapshotAt;
  const stepSchedule: ScheduleConfig = { name: 'stepDecay', lr0: config.lr0, milestones: baselineMilestones(T), gamma: 0.1 };
  const swaStartEpoch = swaStartEpochOf(config);

  const allSeeds = [...new Set(config.rows.flatMap((r) => r.seeds))].sort((a, b) => a - b);
  const seeds: SeedPlan[] = [];
  for (const seed of allSeeds) {
    const runs = new Map<string, RunSpec>();
    const addRun = (spec: RunSpec): string => {
      const existing = runs.get(spec.id);
      if (existing === undefined) runs.set(spec.id, { ...spec, snapshotAt: [...spec.snapshotAt] });
      else {
        existing.snapshotAt = [...new Set([...existing.snapshotAt, ...spec.snapshotAt])].sort((a, b) => a - b);
        // SWA and SWAG share one run: its average and its moments come from the same iterates
        existing.swa ??= spec.swa;
        if (spec.swag != null) existing.swag = spec.swag;
      }
      return spec.id;
    };
    const stepRun = (s: number, at: number[], dropout = 0): string =>
      addRun({
        id: dropout > 0 ? `step-dropout${formatRate(dropout)}-seed${s}` : `step-seed${s}`,
        seed: s,
        dropout,
        epochs: B,
        schedule: stepSchedule,
        snapshotAt: at,
        swa: null,
      });
    const swaRun = (s: number): Omit<RunSpec, 'swa'> => ({
      id: `swa-lr${formatRate(config.swaLr)}-from${swaStartEpoch}-seed${s}`,
      seed: s,
      dropout: 0,
      epochs: B,
      schedule: { name: 'swa', lr0: config.lr0, swaLr: config.swaLr, swaStart: swaStartEpoch * iterationsPerEpoch },
      snapshotAt: [],
    });
    const rows: RowPlan[] = [];
    for (const request of config.rows) {
      if (!request.seeds.includes(seed)) continue;
      const row = (key: string, label: string, members: MemberRef[], teachers: string[] = []) =>
        rows.push({ key, row: request.row, label, seed, members, runs: [...new Set([...teachers, ...members.map((m) => m.run)])] });
      const snapshotRun = (lr0: number): string =>
        addRun({
          id: `snapshot-lr${formatRate(lr0)}-M${M}-seed${seed}`,
          seed,
          dropout: 0,
          epochs: B,
          schedule: { name: 'snapshotCosine', lr0, totalSteps: T, cycles: M },
          snapshotAt: cycleEnds,
          swa: null,
        });
      switch (request.row) {
        case 'single': {
          const run = stepRun(seed, [T]);
          row('single', `Single model (step lr ${formatRate(config.lr0)}, x0.1 at 50% and 75%)`, [{ run, iteration: T }]);
          break;
        }
        case 'nocycle': {
          const run = stepRun(seed, cycleEnds);
          row('nocycle', `NoCycle Snapshot Ensemble (step schedule, ${M} snapshots)`, cycleEnds.map((iteration) => ({ run, iteration })));
          break;
        }
        case 'singlecycle': {
          const epochs = B / M;
          const steps = epochs * iterationsPerEpoch;
          const members: MemberRef[] = [];
          for (let j = 0; j < M; j++) {
            const s = memberSeed(seed, j);
            const run = addRun({
              id: `cosine${formatRate(config.lr0)}-${epochs}ep-seed${s}`,
              seed: s,
              dropout: 0,
              epochs,
              schedule: { name: 'snapshotCosine', lr0: config.lr0, totalSteps: steps, cycles: 1 },
              snapshotAt: [steps],
              swa: null,
            });
            members.push({ run, iteration: steps });
          }
          row('singlecycle', `SingleCycle Ensembles (${M} x ${epochs} epochs, cosine from ${formatRate(config.lr0)})`, members);
          break;
        }
        case 'snapshot':
          for (const lr0 of config.snapshotLr0) {
            const run = snapshotRun(lr0);
            row(`snapshot-lr${formatRate(lr0)}`, `Snapshot Ensemble (lr0 ${formatRate(lr0)}, ${M} cycle${M === 1 ? '' : 's'})`, cycleEnds.map((iteration) => ({ run, iteration })));
          }
          break;
        case 'swa': {
          const run = addRun({ ...swaRun(seed), swa: { startEpoch: swaStartEpoch } });
          row('swa', `SWA (lr ${formatRate(config.swaLr)}, averaging epochs ${swaStartEpoch}..${B})`, [{ run, iteration: T }]);
          break;
        }
        case 'swag': {
          const { rank, samples } = config.swag;
          const run = addRun({ ...swaRun(seed), swa: null, swag: { startEpoch: swaStartEpoch, rank, samples } });
          const members = Array.from({ length: samples }, (_, j) => ({ run, iteration: T, sample: j + 1 }));
          row('swag', `SWAG (${samples} samples, at most K = ${rank} deviations, moments of epochs ${swaStartEpoch}..${B})`, members);
          break;
        }
        case 'fge': {
          const plan = planFge(T, iterationsPerEpoch, config.lr0, config.fge);
          const run = addRun({
            id: `fge-c${formatRate(config.fge.cycleEpochs)}-lr${formatRate(config.fge.lr1)}-${formatRate(config.fge.lr2)}-seed${seed}`,
            seed,
            dropout: 0,
            epochs: B,
            schedule: plan.schedule,
            snapshotAt: plan.snapshotAt,
            swa: null,
          });
          const pretrain = (plan.schedule as { pretrainSteps: number }).pretrainSteps;
          row('fge', `FGE (${pretrain} iterations pre-training, cycles of ${formatRate(config.fge.cycleEpochs)} epochs, lr ${formatRate(config.fge.lr1)}..${formatRate(config.fge.lr2)})`, plan.snapshotAt.map((iteration) => ({ run, iteration })));
          break;
        }
        case 'true-ensemble': {
          const k = config.ensembleSize;
          const members = Array.from({ length: k }, (_, j) => ({ run: stepRun(memberSeed(seed, j), [T]), iteration: T }));
          row('true-ensemble', `True ensemble of ${k} single models (costs ${k} budgets)`, members);
          break;
        }
        case 'dropout': {
          const run = stepRun(seed, [T], config.dropout);
          row('dropout', `Single model with dropout ${formatRate(config.dropout)} before the classifier`, [{ run, iteration: T }]);
          break;
        }
        case 'distilled': {
          const lr0 = config.snapshotLr0[0]!;
          const teacher = snapshotRun(lr0);
          runs.get(teacher)!.keepWeights = true;
          const { epochs, temperature, alpha } = distillSettings(config);
          const steps = epochs * iterationsPerEpoch;
          const run = addRun({
            id: `distilled-T${formatRate(temperature)}-a${formatRate(alpha)}-${epochs}ep-from-${teacher}`,
            seed,
            dropout: 0,
            epochs,
            schedule: { name: 'snapshotCosine', lr0, totalSteps: steps, cycles: 1 },
            snapshotAt: [steps],
            swa: null,
            distill: { teacher, iterations: cycleEnds, temperature, alpha },
          });
          row(
            'distilled',
            `Distilled student of the Snapshot Ensemble (lr0 ${formatRate(lr0)}, ${M} cycles; ${epochs} epochs, T ${formatRate(temperature)}, alpha ${formatRate(alpha)})`,
            [{ run, iteration: steps }],
            [teacher],
          );
          break;
        }
      }
    }
    seeds.push({ seed, runs: [...runs.values()], rows });
  }

  const byKey = new Map<string, ComparePlan['rows'][number]>();
  for (const { runs, rows } of seeds) {
    for (const r of rows) {
      if (byKey.has(r.key)) continue;
      const iterations = r.runs.reduce((sum, id) => sum + runs.find((x) => x.id === id)!.epochs * iterationsPerEpoch, 0);
      byKey.set(r.key, { key: r.key, row: r.row, label: r.label, members: r.members.length, cost: iterations / T });
    }
  }
  const order = config.rows.flatMap((r) => rowKeys(r.row, config));
  return { rows: order.map((k) => byKey.get(k)!), seeds, budgetIterations: T, cycleEnds };
}
