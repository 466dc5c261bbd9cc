import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';

/** What a record file is: its name in its directory, its format tag and version, and how errors name them. */
export interface RecordKind {
  file: string;
  format: string;
  version: number;
  /** e.g. 'run' in "no such run directory". */
  directory: string;
  /** e.g. 'run record' in "not a snapshot-ensembles run record". */
  record: string;
}

/**
 * Reads DIR/kind.file as JSON and checks its format tag and version, with one-line errors naming the directory or
 * the file; what else the record must hold is the caller's to check.
 */
export function readRecordFile<T extends { format: string; version: number }>(dir: string, kind: RecordKind): { record: T; file: string } {
  const file = path.join(dir, kind.file);
  if (!existsSync(dir)) throw new UserError(`${dir}: no such ${kind.directory} directory`);
  if (!existsSync(file)) throw new UserError(`${dir}: not a ${kind.directory} directory (no ${kind.file})`);
  let record: T;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (record === null || typeof record !== 'object' || record.format !== kind.format) {
    throw new UserError(`${file}: not a snapshot-ensembles ${kind.record}`);
  }
  if (typeof record.version !== 'number' || record.version > kind.version) {
    throw new UserError(`${file}: format version ${record.version} is newer than this program understands (${kind.version})`);
  }
  return { record, file };
}
