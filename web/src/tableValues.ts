import { parse } from 'csv-parse/browser/esm/sync';

/**
 * A table row as the user types or pastes it, read into the values the models take (float32, as the library reads a
 * CSV file: Number(cell), which must be finite), and float32 values written back as short text. No DOM here.
 */

/** The number a cell holds, as the library's CSV reader takes it, or an error naming the column. */
function cellNumber(cell: string, column: string): number {
  const v = Number(cell);
  if (cell.trim() === '' || !Number.isFinite(v)) throw new Error(`column '${column}' holds '${cell}', not a number`);
  return v;
}

/** The values of the form's fields (one per feature, in order), or an error naming the first that is not a number. */
export function fieldValues(texts: readonly string[], features: readonly string[]): Float32Array {
  return Float32Array.from(texts, (text, k) => cellNumber(text, features[k]!));
}

/**
 * One pasted CSV row: either the features' values in order, or a header line and a row, whose columns are matched to
 * the features by name (in any order; other columns, such as the label, are ignored). Quoted fields are read as
 * CSV files are (csv-parse, trimmed, blank lines skipped).
 */
export function parsePastedRow(text: string, features: readonly string[]): Float32Array {
  let records: string[][];
  try {
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true }) as string[][];
  } catch (e) {
    throw new Error(`not a CSV row (${(e as Error).message.split('\n')[0]})`);
  }
  if (records.length === 0) throw new Error('nothing pasted: paste one CSV row, with or without its header line');
  if (records.length > 2) throw new Error(`${records.length} lines pasted: paste one row, with or without its header line`);
  if (records.length === 1) {
    const row = records[0]!;
    if (row.length !== features.length) {
      throw new Error(`the row has ${row.length} field${row.length === 1 ? '' : 's'} but the run takes ${features.length} features (${features.join(', ')}); or paste a header line above it`);
    }
    return Float32Array.from(row, (cell, k) => cellNumber(cell, features[k]!));
  }
  const [header, row] = records as [string[], string[]];
  if (row.length !== header.length) throw new Error(`the row has ${row.length} fields but the header line has ${header.length}`);
  const missing = features.filter((f) => !header.includes(f));
  if (missing.length > 0) throw new Error(`the header line has no column ${missing.map((f) => `'${f}'`).join(', ')}`);
  return Float32Array.from(features, (f) => cellNumber(row[header.indexOf(f)]!, f));
}

/** The shortest decimal that reads back as the same float32 value (14.229999542236328 is written 14.23). */
export function float32Text(value: number): string {
  const v = Math.fround(value);
  if (!Number.isFinite(v)) return String(v);
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(v.toPrecision(digits)));
    if (Math.fround(Number(text)) === v) return text;
  }
  return String(Number(v.toPrecision(9)));
}
