import { argmaxRow, type ProbabilityMatrix } from '../../src/metrics/probabilities.js';
import type { MemberPrediction } from './ensemble.js';

/** Writing the prediction table and the summary line; no TF.js here. */

export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

function percent(p: number): string {
  return `${(100 * p).toFixed(2)}%`;
}

export function milliseconds(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`;
}

export function cell(tag: 'td' | 'th', text: string, className = ''): HTMLTableCellElement {
  const c = document.createElement(tag);
  c.textContent = text;
  if (className !== '') c.className = className;
  return c;
}

/** A row of class probabilities; every cell carries the exact value in data-probability. */
function probabilityRow(label: string, probabilities: ArrayLike<number>, classNames: readonly string[], milliseconds: string, className: string): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.className = className;
  row.append(cell('th', label));
  let top = 0;
  for (let k = 1; k < probabilities.length; k++) if (probabilities[k]! > probabilities[top]!) top = k;
  for (let k = 0; k < probabilities.length; k++) {
    const p = probabilities[k]!;
    const td = cell('td', percent(p), k === top ? 'p top' : 'p');
    td.dataset['class'] = String(k);
    td.dataset['probability'] = String(p);
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
    td.append(bar);
    row.append(td);
  }
  const predicted = cell('td', classNames[top] ?? String(top), 'predicted');
  predicted.dataset['classIndex'] = String(top);
  row.append(predicted, cell('td', milliseconds, 'time'));
  return row;
}

export interface PredictionView {
  members: readonly MemberPrediction[];
  m: number;
  ensemble: ProbabilityMatrix;
  /** Milliseconds of the last m forward passes together plus the averaging. */
  ensembleMilliseconds: number;
  classNames: readonly string[];
  /** The exported model's output for the same image, when the page loaded one (?export=). */
  exported?: { path: string; probabilities: Float32Array; milliseconds: number };
  /** The exported ONNX file's output in ONNX Runtime Web, when the page loaded one (?onnx=). */
  onnx?: { path: string; probabilities: Float32Array; milliseconds: number };
}

/** Fills the table: every snapshot (those in the ensemble highlighted), then the ensemble of the last m. */
export function showPrediction(table: HTMLTableElement, summary: HTMLElement, view: PredictionView): void {
  const { members, m, ensemble, classNames } = view;
  const header = document.createElement('tr');
  header.append(cell('th', 'model'), ...classNames.map((name) => cell('th', name)), cell('th', 'predicted'), cell('th', 'time'));
  const thead = document.createElement('thead');
  thead.append(header);
  const tbody = document.createElement('tbody');
  members.forEach((p, i) => {
    const inEnsemble = i >= members.length - m;
    const row = probabilityRow(`snapshot ${p.index}`, p.probabilities, classNames, milliseconds(p.milliseconds), inEnsemble ? 'member in-ensemble' : 'member');
    row.dataset['snapshot'] = String(p.index);
    tbody.append(row);
  });
  const ensembleRow = probabilityRow(`ensemble of last ${m}`, ensemble.data, classNames, milliseconds(view.ensembleMilliseconds), 'ensemble');
  ensembleRow.id = 'ensemble-row';
  ensembleRow.dataset['m'] = String(m);
  tbody.append(ensembleRow);
  if (view.exported !== undefined) {
    const e = view.exported;
    const row = probabilityRow(`exported model (${e.path}, 1 pass)`, e.probabilities, classNames, milliseconds(e.milliseconds), 'exported');
    row.id = 'exported-row';
    tbody.append(row);
  }
  if (view.onnx !== undefined) {
    const o = view.onnx;
    const row = probabilityRow(`ONNX file (${o.path}, 1 pass, ONNX Runtime Web)`, o.probabilities, classNames, milliseconds(o.milliseconds), 'exported onnx');
    row.id = 'onnx-row';
    tbody.append(row);
  }
  table.replaceChildren(thead, tbody);

  const top = argmaxRow(ensemble, 0);
  summary.replaceChildren();
  const name = document.createElement('b');
  name.id = 'ensemble-class';
  name.dataset['classIndex'] = String(top);
  name.textContent = classNames[top] ?? String(top);
  summary.append(
    `Ensemble of the last ${m} snapshot${m === 1 ? '' : 's'}: `,
    name,
    ` with probability ${percent(ensemble.data[top]!)}; its ${m} forward pass${m === 1 ? '' : 'es'} and the average took ${milliseconds(view.ensembleMilliseconds)}.`,
    view.exported === undefined ? '' : ` The exported model's one pass took ${milliseconds(view.exported.milliseconds)}.`,
    view.onnx === undefined ? '' : ` The ONNX file's one pass in ONNX Runtime Web took ${milliseconds(view.onnx.milliseconds)}.`,
  );
}

/** One line of the test-set timing: a model, its forward passes, its test error and its speed. */
export interface TimingRow {
  id: string;
  label: string;
  passes: number;
  error: number;
  milliseconds: number;
  images: number;
}

/** The exported models (TF.js, ONNX) against the m-pass ensemble on the same test images, in this browser. */
export function showTiming(table: HTMLTableElement, rows: readonly TimingRow[]): void {
  const header = document.createElement('tr');
  header.append(...['model', 'forward passes', 'test error', 'time', 'images/s'].map((h) => cell('th', h)));
  const thead = document.createElement('thead');
  thead.append(header);
  const tbody = document.createElement('tbody');
  for (const r of rows) {
    const row = document.createElement('tr');
    row.dataset['model'] = r.id;
    row.append(
      cell('th', r.label),
      cell('td', String(r.passes)),
      cell('td', percent(r.error)),
      cell('td', milliseconds(r.milliseconds), 'time'),
      cell('td', (r.images / Math.max(r.milliseconds / 1000, 1e-9)).toFixed(0)),
    );
    tbody.append(row);
  }
  table.replaceChildren(thead, tbody);
}
