import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { firstLine, UserError } from '../util/errors.js';
import type { ImageSet } from './dataset.js';
import type { CsvSource } from '../schema/data.js';

/** The rows of a CSV file with a header row, each with the line it starts on (1-based). */
export interface CsvRows {
  file: string;
  header: string[];
  rows: { line: number; cells: string[] }[];
}

/** Reads a CSV file with a header row; a row with another number of fields than the header is an error naming its line. */
export function readCsv(file: string): CsvRows {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? String(e)})`);
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as typeof records;
  } catch (e) {
    throw new UserError(`${file}: not a readable CSV file (${firstLine(e)})`);
  }
  if (records.length === 0) throw new UserError(`${file}: empty CSV file (expected a header row)`);
  const header = records[0]!.record;
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') throw new UserError(`${file}:1: column ${i + 1} has no name in the header row`);
    if (seen.has(name)) throw new UserError(`${file}:1: column '${name}' appears twice in the header row`);
    seen.add(name);
  });
  const rows = records.slice(1).map(({ record, info }) => {
    if (record.length !== header.length) {
      throw new UserError(`${file}:${info.lines}: ${record.length} fields but the header has ${header.length}`);
    }
    return { line: info.lines, cells: record };
  });
  if (rows.length === 0) throw new UserError(`${file}: no rows after the header`);
  return { file, header, rows };
}

function columnIndex(csv: CsvRows, name: string, role: string): number {
  const i = csv.header.indexOf(name);
  if (i < 0) throw new UserError(`${csv.file}: no ${role} column '${name}' (columns: ${csv.header.join(', ')})`);
  return i;
}

function numberAt(csv: CsvRows, row: CsvRows['rows'][number], column: number): number {
  const cell = row.cells[column]!;
  const v = Number(cell);
  if (cell === '' || !Number.isFinite(v)) {
    throw new UserError(`${csv.file}:${row.line}: column '${csv.header[column]}' holds '${cell}', not a number`);
  }
  return v;
}

/** The feature columns of a source: as given, or every column but the label. */
export function featureColumns(csv: CsvRows, label: string | null, features: readonly string[] | null): string[] {
  const names = features ?? csv.header.filter((h) => h !== label);
  if (names.length === 0) throw new UserError(`${csv.file}: no feature columns besides the label '${label}'`);
  for (const name of names) {
    columnIndex(csv, name, 'feature');
    if (name === label) throw new UserError(`${csv.file}: column '${name}' cannot be both the label and a feature`);
  }
  return [...names];
}

/** Feature values of every row, rows x features, as a set of 1 x 1 x F examples with shape [F] (labels zero). */
export function featureSet(csv: CsvRows, features: readonly string[]): ImageSet {
  const columns = features.map((f) => columnIndex(csv, f, 'feature'));
  const values = new Float32Array(csv.rows.length * columns.length);
  csv.rows.forEach((row, r) => columns.forEach((c, k) => (values[r * columns.length + k] = numberAt(csv, row, c))));
  const n = csv.rows.length;
  return { images: values, labels: new Uint8Array(n), count: n, height: 1, width: 1, channels: columns.length, shape: [columns.length] };
}

/**
 * Classes of a label column in sorted order: numerically when every value is a number (so 2 comes before 10),
 * else by code point.
 */
export function sortedClasses(values: readonly string[]): string[] {
  const distinct = [...new Set(values)];
  const numeric = distinct.every((v) => v !== '' && Number.isFinite(Number(v)));
  return numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
}

const MAX_CLASSES = 256;

/** A whole table as examples with their labels (class indices in sorted order) or regression targets. */
export function loadCsvTable(source: CsvSource): { set: ImageSet; features: string[]; classes: string[] } {
  const csv = readCsv(source.file);
  const labelColumn = columnIndex(csv, source.label, 'label');
  const features = featureColumns(csv, source.label, source.features);
  const x = featureSet(csv, features);
  if (source.task === 'regression') {
    const targets = Float32Array.from(csv.rows, (row) => numberAt(csv, row, labelColumn));
    return { set: { ...x, labels: targets }, features, classes: [source.label] };
  }
  const values = csv.rows.map((r) => r.cells[labelColumn]!);
  const classes = sortedClasses(values);
  if (classes.length < 2) throw new UserError(`${source.file}: label column '${source.label}' has only one value ('${classes[0]}'); a classifier needs two classes`);
  if (classes.length > MAX_CLASSES) {
    throw new UserError(`${source.file}: label column '${source.label}' has ${classes.length} distinct values (at most ${MAX_CLASSES} classes; for a number to predict use --task regression)`);
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  return { set: { ...x, labels: Uint8Array.from(values, (v) => index.get(v)!) }, features, classes };
}
