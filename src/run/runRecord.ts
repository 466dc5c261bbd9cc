import path from 'node:path';
import { writeJsonAtomic } from '../io/atomicWrite.js';
import { readRecordFile } from '../io/readRecordFile.js';
import { swaStartEpoch } from '../schedules/swa.js';
import type { DataSourceSpec, Task } from '../schema/data.js';
import type { EnsembleEvaluation, RegressionEvaluation } from '../schema/metrics.js';
import { RUN_FORMAT, RUN_FORMAT_VERSION, RUN_JSON, SNAPSHOTS_DIR, type ExampleValues, type MemberPlan, type RunRecord } from '../schema/run.js';
import { UserError } from '../util/errors.js';

/** How a run's examples are stored (see DataRecord.values). */
export function runExampleValues(record: RunRecord): ExampleValues {
  return record.data.values ?? (record.data.source?.kind === 'csv' ? 'numbers' : 'bytes');
}

export function runTask(record: RunRecord): Task {
  return record.data.task ?? 'classification';
}

/** The data source of a run. */
export function runDataSource(record: RunRecord): DataSourceSpec {
  return record.data.source!;
}

/** The run's SWA and SWAG as planned. */
export function runMemberPlan(record: RunRecord): MemberPlan {
  return record.members ?? { swa: null, swag: null };
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

type Version1 = Omit<RunRecord, 'evaluation' | 'snapshots' | 'config'> & {
  config: RunRecord['config'] & { dataDir?: string | null };
  snapshots: (RunRecord['snapshots'][number] & { regressionTest?: RunRecord['snapshots'][number]['test'] })[];
  evaluation: Omit<EnsembleEvaluation, 'task'> | null;
  regressionEvaluation?: RegressionEvaluation | null;
};

/**
 * A version-1 run.json as version 2 reads it: the data source from data.source (or, older still, the IDX directory
 * of config.dataDir), valSize 0 where absent, a regression's metrics and evaluation where a classification's are,
 * evaluations tagged with their task, SWAG's plan from config.swag.
 */
function upgraded(v1: Version1): RunRecord {
  const { dataDir, ...config } = v1.config;
  const regression = v1.data.task === 'regression';
  const record: RunRecord = {
    ...v1,
    version: RUN_FORMAT_VERSION,
    config: { ...config, valSize: config.valSize ?? 0 },
    data: { ...v1.data, source: v1.data.source ?? { kind: 'idx', dir: dataDir ?? null } },
    snapshots: v1.snapshots.map(({ regressionTest, ...s }) => (regression ? { ...s, test: regressionTest ?? null } : s)),
    evaluation: regression ? (v1.regressionEvaluation ?? null) : v1.evaluation === null ? null : { ...v1.evaluation, task: 'classification' },
  };
  delete (record as Partial<Version1>).regressionEvaluation;
  if (record.members === undefined && v1.config.swag !== undefined) {
    const { start, rank, samples } = v1.config.swag;
    record.members = { swa: null, swag: { startEpoch: swaStartEpoch(v1.config.epochs, start), rank, samples } };
  }
  return record;
}

/** Reads and checks a run directory's run.json (a version-1 file as version 2). */
export function readRunRecord(runDir: string): RunRecord {
  const { record, file } = readRecordFile<RunRecord>(runDir, {
    file: RUN_JSON,
    format: RUN_FORMAT,
    version: RUN_FORMAT_VERSION,
    directory: 'run',
    record: 'run record',
  });
  if (!Array.isArray(record.snapshots)) throw new UserError(`${file}: no snapshots list`);
  return record.version < 2 ? upgraded(record as Version1) : record;
}
