import type { Metrics } from './classification.js';

/** A member's or an ensemble's metrics as table cells: error and ECE in percent, NLL and Brier to 4 decimals. */
export function metricCells(m: Metrics): string[] {
  return [`${(100 * m.error).toFixed(2)}%`, m.nll.toFixed(4), `${(100 * m.ece).toFixed(2)}%`, m.brier.toFixed(4)];
}

/** The rows of a metrics table: every member alone, then the ensemble of the last m for every m. */
export function evaluationRows(evaluation: {
  members: readonly ({ index: number } & Metrics)[];
  ensembles: readonly ({ m: number } & Metrics)[];
  combine: string;
}): string[][] {
  return [
    ...evaluation.members.map((m) => [`snapshot ${m.index}`, ...metricCells(m)]),
    ...evaluation.ensembles.map((e) => [`ensemble of last ${e.m} (${evaluation.combine})`, ...metricCells(e)]),
  ];
}
