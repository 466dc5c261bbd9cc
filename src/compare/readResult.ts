import { existsSync } from 'node:fs';
import path from 'node:path';
import { readRecordFile } from '../io/readRecordFile.js';
import { UserError } from '../util/errors.js';
import { COMPARE_FORMAT, COMPARE_FORMAT_VERSION, COMPARE_JSON, type CompareResult } from '../schema/compare.js';

/** Whether a directory holds a comparison (a compare.json). */
export function isCompareDirectory(dir: string): boolean {
  return existsSync(path.join(dir, COMPARE_JSON));
}

/** Reads DIR/compare.json as `compare` wrote it (finished or still running), with one-line errors for anything else. */
export function readCompareResult(dir: string): CompareResult {
  const { record: result, file } = readRecordFile<CompareResult>(dir, {
    file: COMPARE_JSON,
    format: COMPARE_FORMAT,
    version: COMPARE_FORMAT_VERSION,
    directory: 'comparison',
    record: 'comparison',
  });
  for (const key of ['rows', 'runs'] as const) {
    if (!Array.isArray(result[key])) throw new UserError(`${file}: no ${key} list`);
  }
  if (result.config === null || typeof result.config !== 'object' || result.data === null || typeof result.data !== 'object') {
    throw new UserError(`${file}: no configuration or data description`);
  }
  if (result.version < 2) {
    // version 1 named only an IDX directory, and had no regression rows
    const { dataDir, ...config } = result.config as CompareResult['config'] & { dataDir?: string | null };
    return { ...result, version: COMPARE_FORMAT_VERSION, config: { ...config, source: config.source ?? { kind: 'idx', dir: dataDir ?? null } } };
  }
  return result;
}
