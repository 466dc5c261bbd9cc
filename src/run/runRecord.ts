import path from 'node:path';

import { UserError } from '../util/errors.js';
import { writeJsonAtomic } from '../io/atomicWrite.js';
import { readRecordFile } from '../io/readRecordFile.js';

import type { Augmentation, Normalization } from '../schema/data.js';
import type { Task } from '../schema/data.js';
import type { DataSourceSpec } from '../schema/data.js';
import type { ScheduleConfig } from '../schema/schedules.js';
import type { CycleScheduleName, FgeOptions, SwagOptions } from '../schema/schedules.js';
import type { Metrics } from '../schema/metrics.js';
import type { RegressionMetrics } from '../schema/metrics.js';
import type { EnsembleEvaluation } from '../schema/metrics.js';
import type { RegressionEvaluation } from '../schema/metrics.js';
import type { EpochSummary } from '../schema/training.js';
import type { SwagRecord } from '../schema/run.js';
import type { ModelInit } from '../schema/run.js';
import type { DataRecord, ExampleValues, RunRecord } from '../schema/run.js';
import { RUN_FORMAT, RUN_FORMAT_VERSION, RUN_JSON, SNAPSHOTS_DIR } from '../schema/run.js';

/** How a run's examples are stored (see DataRecord.values). */
export function runExampleValues(record: RunRecord): ExampleValues {
  return record.data.values ?? (record.data.source?.kind === 'csv' ? 'numbers' : 'bytes');
}

export function runTask(record: RunRecord): Task {
  return record.data.task ?? 'classification';
}

/** The data source of a run (older runs recorded only the IDX directory). */
export function runDataSource(record: RunRecord): DataSourceSpec {
  return record.data.source ?? { kind: 'idx', dir: record.config.dataDir };
}

export function runJsonPath(runDir: string): string {
  return path.join(runDir, RUN_JSON);
}

export function snapshotPath(index: number): string {
  return `${SNAPSHOTS_DIR}/${index}`;
}

export function writeRunRecord(runDir: string, record: RunRecord): void {
  writeJsonAtomic(runJsonPath(runDir), record);
}

/** Reads and checks a run directory's run.json. */
export function readRunRecord(runDir: string): RunRecord {
  const { record, file } = readRecordFile<RunRecord>(runDir, {
    file: RUN_JSON,
    format: RUN_FORMAT,
    version: RUN_FORMAT_VERSION,
    directory: 'run',
    record: 'run record',
  });
  if (!Array.isArray(record.snapshots)) throw new UserError(`${file}: no snapshots list`);
  return record;
}
