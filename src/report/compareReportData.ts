import { headline, rowHeadline } from '../compare/headline.js';
import type { CompareResult, RowResult, RunInfo } from '../schema/compare.js';
import { beyondPaperCells, failureLines, lastMCells, table1Cells, type TableCells } from '../compare/table.js';
import { scheduleFromConfig } from '../schedules/fromConfig.js';
import type { MemberMatrix } from './heatmaps.js';
import { MAX_TRACE_POINTS } from './reportData.js';
import { rowColours } from './rowColours.js';
import { sampleTrace, type TracePoint } from './trace.js';

/** The test error of the last-m ensemble of a row with several members, m = 1..M: every seed and their mean. */
export interface LastMCurve {
  key: string;
  label: string;
  members: number;
  /** errors[m - 1]: test error (fraction) of the ensemble of the last m members. */
  seeds: { seed: number; errors: number[] }[];
  mean: number[];
}

/** A row with one member (single, dropout, SWA): its test error, mean over seeds, drawn as a level against m. */
export interface ReferenceLevel {
  key: string;
  label: string;
  seeds: number;
  error: number;
}

/** The diversity of a row's members: pairwise matrices averaged entry by entry over the row's seeds. */
export interface RowDiversity {
  key: string;
  label: string;
  /** What a member is: a snapshot of one run (nocycle, snapshot) or a separately trained model. */
  memberName: 'snapshot' | 'model' | 'sample';
  members: number[];
  seeds: number;
  correlation: (number | null)[][];
  disagreement: (number | null)[][];
}

/** Runs that differ only in their seed: one schedule, one colour in the training chart. */
export interface TrainingConfiguration {
  /** The runs' id without the seed, e.g. 'step' or 'snapshot-lr0.1-M3'. */
  name: string;
  /** Keys of the rows that use these runs. */
  rows: string[];
  runs: string[];
  /** Iterations of one run as planned (epochs x iterations per epoch). */
  totalSteps: number;
  /** The schedule's learning rate against iteration (sampled). */
  learningRate: TracePoint[];
  /** Iterations at which members were taken (for SWA: the end, where the average is the member). */
  members: { iteration: number; learningRate: number }[];
  /** Mean training loss of every epoch of every run, at the epoch's last iteration. */
  loss: { run: string; epoch: number; iteration: number; loss: number }[];
}

/** Everything the report of a comparison shows, from its compare.json. */
export interface CompareReportData {
  title: string;
  result: CompareResult;
  table1: TableCells;
  failures: string[];
  lastMTable: TableCells | null;
  beyondPaper: TableCells | null;
  curves: LastMCurve[];
  references: ReferenceLevel[];
  diversity: RowDiversity[];
  configurations: TrainingConfiguration[];
  /** The colour of every row (by key), the same in every chart. */
  colours: Record<string, string>;
  /** The row with the lowest mean test error, and the single model's, when they ran. */
  best: { label: string; error: number } | null;
  single: { label: string; error: number } | null;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The id of a run without its seed: runs of one configuration share it. */
export function configurationName(runId: string): string {
  return runId.replace(/-seed\d+$/, '');
}

/** Entry-by-entry mean of equally sized matrices; null where any of them is null or not finite. */
export function meanMatrix(matrices: readonly MemberMatrix[]): (number | null)[][] {
  const first = matrices[0];
  if (first === undefined) return [];
  return first.map((row, i) =>
    row.map((_, j) => {
      const values = matrices.map((m) => m[i]?.[j] ?? null);
      return values.every((v): v is number => v !== null && Number.isFinite(v)) ? mean(values) : null;
    }),
  );
}

function lastMCurve(row: RowResult): LastMCurve {
  const seeds = row.seeds.map((s) => ({ seed: s.seed, errors: s.ensembles.map(headline) }));
  return { key: row.key, label: row.label, members: row.members, seeds, mean: Array.from({ length: row.members }, (_, i) => mean(seeds.map((s) => s.errors[i]!))) };
}

function rowDiversity(row: RowResult): RowDiversity {
  const withDiversity = row.seeds.filter((s) => s.diversity !== null);
  return {
    key: row.key,
    label: row.label,
    memberName: row.row === 'snapshot' || row.row === 'nocycle' || row.row === 'fge' ? 'snapshot' : row.row === 'swag' ? 'sample' : 'model',
    members: Array.from({ length: row.members }, (_, i) => i + 1),
    seeds: withDiversity.length,
    correlation: meanMatrix(withDiversity.map((s) => s.diversity!.correlation)),
    disagreement: meanMatrix(withDiversity.map((s) => s.diversity!.disagreement)),
  };
}

function trainingConfigurations(result: CompareResult): TrainingConfiguration[] {
  const rowsOfRun = new Map<string, Set<string>>();
  for (const row of result.rows) {
    for (const s of row.seeds) for (const run of s.runs) rowsOfRun.set(run, (rowsOfRun.get(run) ?? new Set()).add(row.key));
    for (const f of row.failures) rowsOfRun.set(f.run, (rowsOfRun.get(f.run) ?? new Set()).add(row.key));
  }
  const groups = new Map<string, RunInfo[]>();
  for (const run of result.runs) {
    const name = configurationName(run.id);
    groups.set(name, [...(groups.get(name) ?? []), run]);
  }
  return [...groups].map(([name, runs]) => {
    const first = runs[0]!;
    const totalSteps = first.epochs * result.iterationsPerEpoch;
    const schedule = scheduleFromConfig(first.schedule);
    const rates = Array.from({ length: totalSteps }, (_, i) => schedule(i + 1));
    const memberIterations = [...new Set(runs.flatMap((r) => r.snapshotAt))].filter((t) => t >= 1 && t <= totalSteps).sort((a, b) => a - b);
    const rowKeys = result.rows.map((r) => r.key).filter((key) => runs.some((r) => rowsOfRun.get(r.id)?.has(key)));
    return {
      name,
      rows: rowKeys,
      runs: runs.map((r) => r.id),
      totalSteps,
      learningRate: sampleTrace(rates, MAX_TRACE_POINTS, memberIterations.flatMap((t) => [t, t + 1])),
      members: memberIterations.map((t) => ({ iteration: t, learningRate: rates[t - 1]! })),
      loss: runs.flatMap((r) =>
        r.history.filter((e) => Number.isFinite(e.loss)).map((e) => ({ run: r.id, epoch: e.epoch, iteration: e.iteration, loss: e.loss })),
      ),
    };
  });
}

/**
 * Everything the report of a comparison shows, from its compare.json as written (finished, or still running:
 * rows without results yet are left out of the charts). Pure: no tensors, no disk.
 */
export function compareReportData(title: string, result: CompareResult): CompareReportData {
  const done = result.rows.filter((r) => r.seeds.length > 0 && r.summary !== null);
  const ranked = [...done].sort((a, b) => rowHeadline(a.summary!) - rowHeadline(b.summary!));
  const single = done.find((r) => r.row === 'single');
  return {
    title,
    result,
    table1: table1Cells(result),
    failures: failureLines(result),
    lastMTable: lastMCells(result),
    beyondPaper: beyondPaperCells(result),
    curves: done.filter((r) => r.members > 1).map(lastMCurve),
    references: done
      .filter((r) => r.members === 1)
      .map((r) => ({ key: r.key, label: r.label, seeds: r.seeds.length, error: rowHeadline(r.summary!) })),
    diversity: done.filter((r) => r.members > 1 && r.seeds.some((s) => s.diversity !== null)).map(rowDiversity),
    configurations: trainingConfigurations(result),
    colours: rowColours(result.rows.map((r) => r.key)),
    best: ranked[0] === undefined ? null : { label: ranked[0].label, error: rowHeadline(ranked[0].summary!) },
    single: single === undefined ? null : { label: single.label, error: rowHeadline(single.summary!) },
  };
}
