import { UserError } from '../util/errors.js';
import { ROW_NAMES, type RowName, type RowRequest } from '../schema/compare.js';

/**
 * Parses `--rows`: a comma-separated list of row names (or 'all'), each optionally followed by ':n' to run that row
 * with n seeds instead of the default; seeds are base, base + 1, ... For example 'single:2,snapshot:2,nocycle'.
 */
export function parseRows(spec: string, defaultSeeds: number, baseSeed: number): RowRequest[] {
  const seedsOf = (n: number) => Array.from({ length: n }, (_, i) => baseSeed + i);
  const requests: RowRequest[] = [];
  for (const part of spec.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const match = part.match(/^([a-z-]+)(?::(\d+))?$/);
    if (match === null) throw new UserError(`--rows: cannot read '${part}' (expected a row name, optionally with :seeds, e.g. snapshot:2)`);
    const [, name, count] = match;
    const n = count === undefined ? defaultSeeds : Number(count);
    if (!Number.isSafeInteger(n) || n < 1) throw new UserError(`--rows: ${part} asks for ${count} seeds; at least 1 is needed`);
    const names: RowName[] = name === 'all' ? [...ROW_NAMES] : [name as RowName];
    for (const row of names) {
      if (!ROW_NAMES.includes(row)) throw new UserError(`--rows: unknown row '${row}' (expected ${ROW_NAMES.join(', ')} or all)`);
      if (requests.some((r) => r.row === row)) throw new UserError(`--rows names ${row} twice`);
      requests.push({ row, seeds: seedsOf(n) });
    }
  }
  if (requests.length === 0) throw new UserError('--rows names no rows');
  return requests;
}
