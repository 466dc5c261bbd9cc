
import { markdownTable, textTable } from '../util/tables.js';
import type { CompareResult, RowResult, Spread } from '../schema/compare.js';
import type { Metrics, RegressionMetrics } from '../schema/metrics.js';
import { compareTask, headline, headlineFormat } from './headline.js';

type Render = (header: readonly string[], rows: readonly (readonly string[])[]) => string;

/** A table as cells, for text, markdown and the HTML report alike. */
export interface TableCells {
  header: string[];
  rows: string[][];
}

function spreadCell(s: Spread, format: (x: number) => string, unit = ''): string {
  return s.std === null ? `${format(s.mean)}${unit}` : `${format(s.mean)} ± ${format(s.std)}${unit}`;
}

const percent = (x: number) => (100 * x).toFixed(2);
const decimal = (x: number) => x.toFixed(4);
const budgets = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

function meanOver<T>(values: readonly T[], f: (v: T) => number): number {
  return values.reduce((s, v) => s + f(v), 0) / values.length;
}

/** The main table, one line per row: the paper's Table 1 with NLL, ECE and the cost in budgets. */
export function table1Cells(result: CompareResult): TableCells {
  const regression = compareTask(result) === 'regression';
  const metrics = regression ? ['test RMSE', 'MAE', 'NLL'] : ['test error (%)', 'NLL', 'ECE (%)', 'mean corr.'];
  const header = ['method', 'members', 'cost (budgets)', 'seeds', ...metrics];
  const rows = result.rows.map((r) => {
    const s = r.summary;
    if (s === null) return [r.label, String(r.members), budgets(r.cost), '0', r.failures.length > 0 ? 'diverged' : '(not run yet)', ...metrics.slice(1).map(() => '')];
    const units = (x: number) => x.toPrecision(4);
    const cells =
      regression && s.rmse !== undefined && s.mae !== undefined
        ? [spreadCell(s.rmse, units), spreadCell(s.mae, units), spreadCell(s.nll, decimal)]
        : [
            spreadCell(s.error!, percent),
            spreadCell(s.nll, decimal),
            spreadCell(s.ece!, percent),
            s.meanCorrelation === null ? '-' : spreadCell(s.meanCorrelation, (x) => x.toFixed(3)),
          ];
    return [r.label, String(r.members), budgets(s.cost), String(s.seeds), ...cells];
  });
  return { header, rows };
}

/** The runs that failed (diverged), one line each: row, seed and reason; they are left out of the means. */
export function failureLines(result: CompareResult): string[] {
  return result.rows.flatMap((r) => r.failures.map((f) => `${r.label}, seed ${f.seed}: ${f.error}`));
}

function mainTable(result: CompareResult, render: Render): string {
  const { header, rows } = table1Cells(result);
  const table = render(header, rows);
  const failures = failureLines(result);
  return failures.length === 0 ? table : [table, '', 'failed (not in the means):', ...failures.map((f) => `- ${f}`)].join('\n');
}

/** Test error (RMSE) of the ensemble of the last m members, m = 1..M (mean over seeds): where adding members helps. */
export function lastMCells(result: CompareResult): TableCells | null {
  const rows = result.rows.filter((r) => r.members > 1 && r.seeds.length > 0);
  if (rows.length === 0) return null;
  const { format } = headlineFormat(compareTask(result));
  const most = Math.max(...rows.map((r) => r.members));
  const header = ['method', 'best member', ...Array.from({ length: most }, (_, i) => `last ${i + 1}`)];
  return {
    header,
    rows: rows.map((r) => [
      r.label,
      format(meanOver(r.seeds, (s) => Math.min(...s.members.map((m) => headline(m.test))))),
      ...Array.from({ length: most }, (_, i) => (i < r.members ? format(meanOver(r.seeds, (s) => headline(s.ensembles[i]!))) : '')),
    ]),
  };
}

function errorNll(given: readonly (Metrics | RegressionMetrics)[]): string {
  const metrics = given as Metrics[];
  return `${percent(meanOver(metrics, (m) => m.error))}% / ${decimal(meanOver(metrics, (m) => m.nll))}`;
}

/** Combinations beyond the paper, for rows with several members: test error / NLL, mean over seeds. */
export function beyondPaperCells(result: CompareResult): TableCells | null {
  const rows = result.rows.filter((r) => r.members > 1 && r.seeds.length > 0 && r.seeds.every((s) => s.beyondPaper !== null));
  if (rows.length === 0) return null;
  const validated = result.data.validationExamples > 0;
  const header = ['method', 'mean of all (paper)', 'geometric = mean logits', ...(validated ? ['best-k on val (k)', 'weights fitted on val'] : [])];
  return {
    header,
    rows: rows.map((r: RowResult) => {
      const b = r.seeds.map((s) => s.beyondPaper!);
      const cells = [r.label, errorNll(r.seeds.map((s) => s.final)), errorNll(b.map((x) => x.geometric))];
      if (validated) {
        const k = b.map((x) => x.bestK?.members.length ?? NaN);
        cells.push(
          b.every((x) => x.bestK !== null) ? `${errorNll(b.map((x) => x.bestK!.test))} (${k.join(', ')})` : '-',
          b.every((x) => x.weighted !== null) ? errorNll(b.map((x) => x.weighted!.test)) : '-',
        );
      }
      return cells;
    }),
  };
}

/** What was compared: model, data, budget, M and batch. */
export function compareHeading(result: CompareResult): string {
  const c = result.config;
  return (
    `${c.model} on ${result.data.name}: ${result.data.trainExamples} training images` +
    (result.data.validationExamples > 0 ? ` (+${result.data.validationExamples} held out for validation)` : '') +
    `, ${result.data.testExamples} test images; budget B = ${c.epochs} epochs (${result.budgetIterations} iterations), M = ${c.cycles}, ` +
    `batch ${c.batchSize}; mean ± sample std over seeds`
  );
}

/** The title of the beyond-the-paper table, which says how its validation-fitted columns were chosen. */
export function beyondPaperTitle(result: CompareResult): string {
  return (
    'Beyond the paper: other combinations of the same members (test error % / NLL)' +
    (result.data.validationExamples > 0 ? '; best-k and weights chosen on the validation split, never on test' : '')
  );
}

function sections(result: CompareResult, render: Render, title: (s: string) => string): string {
  const regression = compareTask(result) === 'regression';
  const parts = [title(regression ? 'Table 1: test RMSE, MAE, Gaussian NLL of each method at the same budget' : 'Table 1: test error, NLL, ECE of each method at the same budget'), mainTable(result, render)];
  const curve = lastMCells(result);
  if (curve !== null) parts.push(title(`${regression ? 'Test RMSE' : 'Test error (%)'} of the ensemble of the last m members`), render(curve.header, curve.rows));
  const beyond = beyondPaperCells(result);
  if (beyond !== null) parts.push(title(beyondPaperTitle(result)), render(beyond.header, beyond.rows));
  return [compareHeading(result), ...parts].join('\n\n');
}

/** The comparison as plain-text tables. */
export function compareText(result: CompareResult): string {
  return sections(result, textTable, (s) => s);
}

/** The comparison as markdown tables. */
export function compareMarkdown(result: CompareResult): string {
  return sections(result, markdownTable, (s) => `### ${s}`);
}
