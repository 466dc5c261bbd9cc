import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../io/atomicWrite.js';
import { readRecordFile } from '../io/readRecordFile.js';
import { LANDSCAPE_FORMAT, LANDSCAPE_FORMAT_VERSION, LANDSCAPE_JSON, type LandscapeResult } from './measure.js';

/** Writes RUN_DIR/landscape.json, which the run report draws. */
export function writeLandscape(runDir: string, result: LandscapeResult): string {
  const file = path.join(runDir, LANDSCAPE_JSON);
  writeJsonAtomic(file, result);
  return file;
}

/** RUN_DIR/landscape.json when `landscape` has measured the run, else null. */
export function readLandscape(runDir: string): LandscapeResult | null {
  if (!existsSync(path.join(runDir, LANDSCAPE_JSON))) return null;
  return readRecordFile<LandscapeResult>(runDir, {
    file: LANDSCAPE_JSON,
    format: LANDSCAPE_FORMAT,
    version: LANDSCAPE_FORMAT_VERSION,
    directory: 'run',
    record: 'landscape',
  }).record;
}
