import type { EnsembleEvaluation } from '../ensemble/evaluate.js';
import type { Metrics } from '../metrics/classification.js';

/** Columns padded to their widest cell; numbers right-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, c) => (c === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function metricCells(m: Metrics): string[] {
  return [`${(100 * m.error).toFixed(2)}%`, m.nll.toFixed(4), `${(100 * m.ece).toFixed(2)}%`, m.brier.toFixed(4)];
}

/** The table `train` and `evaluate` print: every snapshot alone, then the ensemble of the last m for each m. */
export function evaluationTable(evaluation: EnsembleEvaluation): string {
  const header = ['model', 'error', 'NLL', 'ECE', 'Brier'];
  const rows = [
    ...evaluation.members.map((m) => [`snapshot ${m.index}`, ...metricCells(m)]),
    ...evaluation.ensembles.map((e) => [`ensemble of last ${e.m} (${evaluation.combine})`, ...metricCells(e)]),
  ];
  return textTable(header, rows);
}

export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(rest).padStart(2, '0')}s` : `${rest}s`;
}
