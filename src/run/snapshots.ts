import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { firstLine, UserError } from '../util/errors.js';
import { fileSystem } from '../io/fileSystemHandler.js';
import type { RunRecord, SnapshotRecord } from '../schema/run.js';

/** Checks a snapshot's files against the sha256 recorded in run.json; throws naming the damaged or missing file. */
export function verifySnapshot(runDir: string, snapshot: SnapshotRecord): void {
  for (const [file, expected] of Object.entries(snapshot.sha256 ?? {})) {
    const full = path.join(runDir, snapshot.path, file);
    if (!existsSync(full)) throw new UserError(`${full}: missing (snapshot ${snapshot.index})`);
    const actual = createHash('sha256').update(readFileSync(full)).digest('hex');
    if (actual !== expected) throw new UserError(`${full}: damaged (sha256 differs from run.json; snapshot ${snapshot.index})`);
  }
}

/** Loads snapshot `snapshot` of a run as a TF.js layers model, after verifying its files. */
export async function loadSnapshotModel(runDir: string, snapshot: SnapshotRecord): Promise<tfl.LayersModel> {
  const dir = path.join(runDir, snapshot.path);
  if (!existsSync(dir)) throw new UserError(`${dir}: missing snapshot ${snapshot.index}`);
  verifySnapshot(runDir, snapshot);
  try {
    return await tfl.loadLayersModel(fileSystem(dir));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${dir}: cannot load snapshot ${snapshot.index} (${firstLine(e)})`);
  }
}

/** The last m snapshots of a run (all when m is undefined), checking m against what the run holds. */
export function lastSnapshots(record: RunRecord, runDir: string, m?: number): SnapshotRecord[] {
  const all = record.snapshots;
  if (all.length === 0 && record.config.swag !== undefined) {
    throw new UserError(`${runDir} is a SWAG run: its members are weight samples drawn from its moments, not stored snapshots`);
  }
  if (all.length === 0) throw new UserError(`${runDir}: the run holds no snapshots (status ${record.status})`);
  if (m === undefined) return all;
  if (!Number.isInteger(m) || m < 1) throw new UserError(`--last must be a positive integer, got ${m}`);
  if (m > all.length) throw new UserError(`--last ${m} is more than the ${all.length} snapshots in ${runDir}`);
  return all.slice(all.length - m);
}
