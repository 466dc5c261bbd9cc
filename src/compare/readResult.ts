import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { COMPARE_FORMAT, COMPARE_FORMAT_VERSION, COMPARE_JSON, type CompareResult } from './result.js';

/** Whether a directory holds a comparison (a compare.json). */
export function isCompareDirectory(dir: string): boolean {
  return existsSync(path.join(dir, COMPARE_JSON));
}

/** Reads DIR/compare.json as `compare` wrote it (finished or still running), with one-line errors for anything else. */
export function readCompareResult(dir: string): CompareResult {
  const file = path.join(dir, COMPARE_JSON);
  if (!existsSync(dir)) throw new UserError(`${dir}: no such comparison directory`);
  if (!existsSync(file)) throw new UserError(`${dir}: not a comparison directory (no ${COMPARE_JSON})`);
  let result: CompareResult;
  try {
    result = JSON.parse(readFileSync(file, 'utf8')) as CompareResult;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (result === null || typeof result !== 'object' || result.format !== COMPARE_FORMAT) {
    throw new UserError(`${file}: not a snapshot-ensembles comparison`);
  }
  if (typeof result.version !== 'number' || result.version > COMPARE_FORMAT_VERSION) {
    throw new UserError(`${file}: format version ${result.version} is newer than this program understands (${COMPARE_FORMAT_VERSION})`);
  }
  for (const key of ['rows', 'runs'] as const) {
    if (!Array.isArray(result[key])) throw new UserError(`${file}: no ${key} list`);
  }
  if (result.config === null || typeof result.config !== 'object' || result.data === null || typeof result.data !== 'object') {
    throw new UserError(`${file}: no configuration or data description`);
  }
  return result;
}
