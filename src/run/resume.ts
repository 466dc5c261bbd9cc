import * as tf from '@tensorflow/tfjs-core';
import { engineThreads } from '../backend/backends.js';
import { epochOfIteration, type TrainingObjective } from '../training/trainLoop.js';
import { UserError } from '../util/errors.js';
import { readCheckpoint } from './checkpoint.js';
import { loadRunSplits, type RunDataOptions } from './runData.js';
import { rewindRunDir } from './runDirectory.js';
import { acquireRunLock } from './runLock.js';
import { buildRunModel } from './runModel.js';
import { readRunRecord, writeRunRecord } from './runRecord.js';

import { runTraining, type RunControl, type SnapshotRunResult } from './runTraining.js';

/**
 * Continues a run from its checkpoint: the same weights, momentum buffers, data order, generator state, traces and
 * SWA/SWAG state, so the run ends with the same snapshots as one that was never interrupted. Snapshots the
 * interrupted process took after its last checkpoint are taken again (identically).
 */
export async function resumeSnapshotEnsemble(runDir: string, control: RunControl & RunDataOptions = {}, objective?: TrainingObjective): Promise<SnapshotRunResult> {
  const before = readRunRecord(runDir); // a one-line error for a directory that is not a run, before a lock is written into it
  if (before.config.distill !== undefined && objective === undefined) {
    throw new UserError(`${runDir} is a distilled student; resume it with: snapshot-ensembles distill --resume ${runDir}`);
  }
  const release = acquireRunLock(runDir, control.lock);
  try {
    // read under the lock: a process that held it may have finished the run in the meantime
    const record = readRunRecord(runDir);
    if (record.status === 'completed') throw new UserError(`${runDir}: the run has already completed; nothing to resume`);
    const checkpoint = readCheckpoint(runDir);
    const { dataset: loaded, validation } = await loadRunSplits(record, control);
    const { model, rng } = await buildRunModel(record.config, loaded, runDir);
    const resumeAt = checkpoint.loop.iteration;
    rewindRunDir(runDir, record, resumeAt);
    record.backend = tf.getBackend();
    record.threads = engineThreads();
    if (control.report !== undefined) record.report = control.report;
    writeRunRecord(runDir, record);
    control.reporter?.info?.(
      `resuming ${runDir} at iteration ${resumeAt + 1} of ${record.totalSteps} ` +
        `(epoch ${epochOfIteration(resumeAt + 1, record.iterationsPerEpoch)} of ${record.config.epochs})`,
    );
    return await runTraining({ runDir, record, dataset: loaded, validation, model, rng, control, checkpoint, objective });
  } finally {
    release();
  }
}
