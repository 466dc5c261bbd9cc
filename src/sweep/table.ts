import { markdownTable, textTable } from '../util/tables.js';
import type { Spread } from '../schema/compare.js';
import type { SweepResult } from './result.js';

const percent = (s: Spread | null) => (s === null ? '-' : `${(100 * s.mean).toFixed(2)}${s.std === null ? '' : ` ± ${(100 * s.std).toFixed(2)}`}`);
const plain = (s: Spread | null) => (s === null ? '-' : `${s.mean.toFixed(4)}${s.std === null ? '' : ` ± ${s.std.toFixed(4)}`}`);

const HEADER = ['schedule', 'B (epochs)', 'M', 'lr0', 'cycle (iterations)', 'seeds', 'ensemble error (%)', 'ensemble NLL', 'last snapshot error (%)', 'failed'];

/** One line per grid point: its settings, and mean ± sample std over seeds of the ensemble and its last snapshot. */
export function sweepCells(result: SweepResult): string[][] {
  return result.points.map((p) => [
    p.schedule,
    String(p.epochs),
    String(p.cycles),
    String(p.lr0),
    String(p.cycleIterations),
    String(p.seeds.filter((s) => s.error === null).length),
    percent(p.error),
    plain(p.nll),
    percent(p.lastSnapshotError),
    String(p.seeds.filter((s) => s.error !== null).length),
  ]);
}

/** A sweep's table as plain text. */
export function sweepText(result: SweepResult): string {
  return textTable(HEADER, sweepCells(result));
}

/** A sweep's table as markdown. */
export function sweepMarkdown(result: SweepResult): string {
  return `# Sweep: ${result.config.model} on ${result.data.name} (${result.data.trainExamples} training images)\n\n${markdownTable(HEADER, sweepCells(result))}`;
}
