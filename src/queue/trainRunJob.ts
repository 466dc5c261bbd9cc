import { existsSync } from 'node:fs';
import { EMBEDDED_FASHION_MNIST_DIR, loadIdxDataset } from '../data/loadIdxDataset.js';
import { hasCheckpoint } from '../run/checkpoint.js';
import { readRunRecord, runJsonPath } from '../run/runRecord.js';
import { resumeSnapshotEnsemble, trainSnapshotEnsemble, type RunControl } from '../training/snapshotRun.js';
import { snapshotPlanOf, trainConfigOf, type RunJob } from './runJob.js';

export type RunJobOutcome = 'trained' | 'resumed' | 'already complete';

/**
 * Trains a queued run into its run directory with the code `train` uses: nothing to do when the directory holds the
 * completed run; `train --resume` when it holds a checkpoint (an earlier attempt was stopped or its worker died);
 * otherwise a new run, replacing what an attempt that died before its first checkpoint left. The directory belongs
 * to the job alone (its name is the job's), so replacing it never touches another run.
 */
export async function trainRunJob(job: RunJob, runDir: string, control: RunControl): Promise<RunJobOutcome> {
  if (existsSync(runJsonPath(runDir))) {
    const record = readRunRecord(runDir);
    if (record.status === 'completed') return 'already complete';
    if (hasCheckpoint(runDir)) {
      await resumeSnapshotEnsemble(runDir, control);
      return 'resumed';
    }
  }
  const config = trainConfigOf(job);
  const dataset = loadIdxDataset(config.dataDir ?? EMBEDDED_FASHION_MNIST_DIR, {
    ...(config.trainSize === null ? {} : { trainSize: config.trainSize }),
    ...(config.testSize === null ? {} : { testSize: config.testSize }),
  });
  await trainSnapshotEnsemble({ ...control, config, dataset, outDir: runDir, overwrite: true, plan: snapshotPlanOf(job) });
  return 'trained';
}
