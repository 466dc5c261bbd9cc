import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { removeTemporaries } from '../io/atomicWrite.js';
import { fileSystem } from '../io/fileSystemHandler.js';
import { SNAPSHOTS_DIR, type RunRecord } from '../schema/run.js';
import { UserError } from '../util/errors.js';
import { removeCheckpoint } from './checkpoint.js';
import { runJsonPath, snapshotPath, writeRunRecord } from './runRecord.js';

/** Where a user's model is kept as it started (architecture and weights), for the run and its resumption. */
export const INITIAL_MODEL_DIR = 'initial-model';

/** Refuses a directory that holds a run unless overwrite. */
export function checkRunDir(outDir: string, overwrite: boolean): void {
  const holdsRun = existsSync(runJsonPath(outDir)) || existsSync(path.join(outDir, SNAPSHOTS_DIR));
  if (holdsRun && !overwrite) throw new UserError(`${outDir} already holds a run; choose another --out or pass --overwrite`);
}

/** Removes a previous run from outDir (only the files a run writes), and makes its snapshots folder. Call with the lock held. */
export function clearRunDir(outDir: string): void {
  rmSync(path.join(outDir, SNAPSHOTS_DIR), { recursive: true, force: true });
  removeCheckpoint(outDir);
  removeTemporaries(outDir);
  rmSync(runJsonPath(outDir), { force: true });
  rmSync(path.join(outDir, INITIAL_MODEL_DIR), { recursive: true, force: true });
  mkdirSync(path.join(outDir, SNAPSHOTS_DIR), { recursive: true });
}

/**
 * Prepares a run directory to continue from its checkpoint at iteration `resumeAt`: the snapshots taken after it
 * are forgotten and removed (they will be taken again), as they are on disk, not as run.json lists them: a process
 * killed between saving a snapshot and recording it leaves a directory that run.json does not know.
 */
export function rewindRunDir(runDir: string, record: RunRecord, resumeAt: number): void {
  removeTemporaries(runDir);
  removeTemporaries(path.join(runDir, SNAPSHOTS_DIR));
  record.snapshots = record.snapshots.filter((s) => s.iteration <= resumeAt && (s.kind ?? 'snapshot') === 'snapshot');
  const kept = new Set(record.snapshots.map((s) => s.path));
  mkdirSync(path.join(runDir, SNAPSHOTS_DIR), { recursive: true });
  for (const name of readdirSync(path.join(runDir, SNAPSHOTS_DIR))) {
    if (/^\d+$/.test(name) && !kept.has(snapshotPath(Number(name)))) rmSync(path.join(runDir, SNAPSHOTS_DIR, name), { recursive: true, force: true });
  }
  record.status = 'running';
  record.error = null;
  record.finishedAt = null;
  record.evaluation = null;
  record.swa = null;
  writeRunRecord(runDir, record);
}

/** Saves the model's current weights as a snapshot directory; returns the sha256 of its files. */
export async function saveSnapshot(model: tfl.LayersModel, dir: string): Promise<Record<string, string>> {
  const handler = fileSystem(dir);
  await model.save(handler);
  return handler.lastSaved!.sha256;
}

/**
 * While a run trains, a process that exits (process.exit, e.g. on a second Ctrl-C) says so in run.json; the handler
 * runs before the lock's own exit handler, so the record is written under the lock. Returns the handler's removal.
 */
export function markExitWhileRunning(runDir: string, record: RunRecord): () => void {
  const markExited = () => {
    if (record.status !== 'running') return;
    record.status = 'interrupted';
    record.error = 'the process exited before training ended; resume continues from the last checkpoint';
    record.finishedAt = new Date().toISOString();
    writeRunRecord(runDir, record);
  };
  process.prependListener('exit', markExited);
  return () => process.off('exit', markExited);
}
