import type { EnsembleGaussian, GaussianPrediction } from './regression.js';
import { cell, milliseconds } from './view.js';

/** Writing a regression run's prediction table and summary line; no TF.js here. */

export interface RegressionView {
  /** The target column's name. */
  target: string;
  members: readonly GaussianPrediction[];
  m: number;
  ensemble: EnsembleGaussian;
  /** Milliseconds of the last m forward passes together plus the combination. */
  ensembleMilliseconds: number;
  /** The exported model's [mean, variance] for the same row, when the page loaded one (?export=). */
  exported?: { path: string; mean: number; variance: number; milliseconds: number };
}

function number(v: number): string {
  return v.toPrecision(6);
}

/** A cell showing a value to 6 digits, with the exact value in data-<name>. */
function valueCell(name: 'value' | 'std' | 'spread', v: number | null): HTMLTableCellElement {
  const c = cell('td', v === null ? '' : number(v), name);
  if (v !== null) c.dataset[name] = String(v);
  return c;
}

function row(label: string, className: string, values: [number, number | null, number | null], ms: number): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.className = className;
  tr.append(cell('th', label), valueCell('value', values[0]), valueCell('std', values[1]), valueCell('spread', values[2]), cell('td', milliseconds(ms), 'time'));
  return tr;
}

/** Fills the table: every snapshot's prediction and sigma_k (those in the ensemble highlighted), then the ensemble of the last m. */
export function showRegression(table: HTMLTableElement, summary: HTMLElement, view: RegressionView): void {
  const { members, m, ensemble, target } = view;
  const header = document.createElement('tr');
  header.append(cell('th', 'model'), cell('th', target), cell('th', 'std'), cell('th', 'spread'), cell('th', 'time'));
  const thead = document.createElement('thead');
  thead.append(header);
  const tbody = document.createElement('tbody');
  members.forEach((p, i) => {
    const className = i >= members.length - m ? 'member in-ensemble' : 'member';
    const tr = row(`snapshot ${p.index}`, className, [p.mean[0]!, Math.sqrt(p.noiseVariance), null], p.milliseconds);
    tr.dataset['snapshot'] = String(p.index);
    tbody.append(tr);
  });
  const ensembleRow = row(`ensemble of last ${m}`, 'ensemble', [ensemble.mean, ensemble.std, ensemble.spread], view.ensembleMilliseconds);
  ensembleRow.id = 'ensemble-row';
  ensembleRow.dataset['m'] = String(m);
  tbody.append(ensembleRow);
  if (view.exported !== undefined) {
    const e = view.exported;
    const exportedRow = row(`exported model (${e.path}, 1 pass)`, 'exported', [e.mean, Math.sqrt(e.variance), null], e.milliseconds);
    exportedRow.id = 'exported-row';
    tbody.append(exportedRow);
  }
  table.replaceChildren(thead, tbody);

  const value = document.createElement('b');
  value.id = 'ensemble-value';
  value.dataset['value'] = String(ensemble.mean);
  value.textContent = `${target} ${number(ensemble.mean)} \u00b1 ${number(ensemble.std)}`;
  summary.replaceChildren(
    `Ensemble of the last ${m} snapshot${m === 1 ? '' : 's'}: `,
    value,
    ` (one standard deviation: the snapshots' noise and their spread ${number(ensemble.spread)}); its ${m} forward pass${m === 1 ? '' : 'es'} took ${milliseconds(view.ensembleMilliseconds)}.`,
  );
}
