import { featureNames } from '../../src/serve/testRows.js';
import { checkTestSetReadable, fetchTestRows, type RunRecord, type TestRowsResponse } from './api.js';
import { fieldValues, float32Text, parsePastedRow } from './tableValues.js';
import { element } from './view.js';

/**
 * The inputs of a table run: a form with one field per feature, a box to paste one CSV row into, and the first rows
 * of the run's test split to pick from. Each hands the row's values (float32, as the library reads a CSV file) and a
 * caption to `predict`; a row that cannot be read is named under the form, and the page carries on.
 */

/** Predicts a row's values; the caption says where they came from. */
export type PredictRow = (values: Float32Array, caption: string) => void;

export interface TableInput {
  /** Fills the picker with test rows; `describe` says what a row's label is (a class name, or the target's value). */
  showTestRows(test: TestRowsResponse, describe: (label: number) => string): void;
}

function field(name: string, k: number): HTMLLabelElement {
  const label = document.createElement('label');
  const text = document.createElement('span');
  text.textContent = name;
  const input = document.createElement('input');
  input.type = 'text';
  input.inputMode = 'decimal';
  input.spellcheck = false;
  input.autocomplete = 'off';
  input.dataset['feature'] = name;
  input.id = `feature-${k}`;
  label.append(text, input);
  return label;
}

function setUpTableInput(features: readonly string[], predict: PredictRow): TableInput {
  const section = element<HTMLElement>('table-input');
  const fields = element<HTMLDivElement>('feature-fields');
  const form = element<HTMLFormElement>('feature-form');
  const pasted = element<HTMLTextAreaElement>('pasted-row');
  const pasteButton = element<HTMLButtonElement>('predict-pasted');
  const problem = element<HTMLParagraphElement>('row-problem');
  const rowsSection = element<HTMLElement>('test-rows-section');
  const rowsTable = element<HTMLTableElement>('test-rows');

  fields.replaceChildren(...features.map(field));
  const inputs = Array.from(fields.querySelectorAll('input'));
  const fill = (values: Float32Array) => inputs.forEach((input, k) => (input.value = float32Text(values[k]!)));
  const unpick = () => rowsTable.querySelectorAll('tr.picked-row').forEach((tr) => tr.classList.remove('picked-row'));
  /** Reads a row (or says why it cannot), shows it in the form and predicts it. */
  const attempt = (read: () => Float32Array, caption: string) => {
    let values: Float32Array;
    try {
      values = read();
    } catch (e) {
      problem.textContent = (e as Error).message;
      return;
    }
    problem.textContent = '';
    unpick();
    fill(values);
    predict(values, caption);
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    attempt(() => fieldValues(inputs.map((i) => i.value), features), 'The row entered in the form.');
  });
  pasteButton.addEventListener('click', () => attempt(() => parsePastedRow(pasted.value, features), 'The pasted row.'));
  section.hidden = false;

  return {
    showTestRows(test, describe) {
      const header = document.createElement('tr');
      for (const name of ['test row', 'label', ...test.features]) {
        const th = document.createElement('th');
        th.textContent = name;
        header.append(th);
      }
      const thead = document.createElement('thead');
      thead.append(header);
      const tbody = document.createElement('tbody');
      test.rows.forEach((values, i) => {
        const tr = document.createElement('tr');
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = String(test.indices[i]);
        button.dataset['testIndex'] = String(test.indices[i]);
        const label = describe(test.labels[i]!);
        button.title = `test row ${test.indices[i]}: ${label}`;
        const first = document.createElement('th');
        first.append(button);
        const labelCell = document.createElement('td');
        labelCell.textContent = label;
        tr.append(first, labelCell, ...values.map((v) => Object.assign(document.createElement('td'), { textContent: float32Text(v) })));
        button.addEventListener('click', () => {
          problem.textContent = '';
          unpick();
          tr.classList.add('picked-row');
          const row = Float32Array.from(values);
          fill(row);
          predict(row, `Test row ${test.indices[i]}, labelled ${label}.`);
        });
        tbody.append(tr);
      });
      rowsTable.replaceChildren(thead, tbody);
      rowsSection.hidden = false;
    },
  };
}

/** How many of the run's test rows the page offers to pick from. */
const TEST_ROWS = 48;

/**
 * Shows a table run's inputs in place of the image picker: the form, the paste box and the run's first test rows;
 * returns a note for the status line when the test rows cannot be had (a table given in memory).
 */
export async function startTableInput(record: RunRecord, predict: PredictRow): Promise<string> {
  element('picker').hidden = true;
  element('picked-image').hidden = true;
  element('picked-caption').textContent = 'No row picked yet.';
  document.querySelector('main')?.classList.add('table-run');
  const input = setUpTableInput(featureNames(record.data), predict);
  const target = record.data.classNames[0] ?? 'target';
  const describe = record.data.task === 'regression' ? (y: number) => `${target} ${float32Text(y)}` : (k: number) => record.data.classNames[k] ?? String(k);
  try {
    checkTestSetReadable(record);
    input.showTestRows(await fetchTestRows(TEST_ROWS), describe);
    return '';
  } catch (e) {
    return ` No test rows to pick from (${(e as Error).message}); enter a row in the form instead.`;
  }
}
