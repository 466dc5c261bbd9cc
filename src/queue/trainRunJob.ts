import { existsSync } from 'node:fs';
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadDataset } from '../data/source.js';
import { hasCheckpoint } from '../run/checkpoint.js';
import { readRunRecord, runJsonPath } from '../run/runRecord.js';
import { loadSnapshotModel } from '../run/snapshots.js';
import { trainSnapshotEnsemble, type RunControl } from '../run/train.js';
import { resumeSnapshotEnsemble } from '../run/resume.js';
import { distillationObjective, type DistillationObjective } from '../training/distillation.js';
import { UserError } from '../util/errors.js';
import { memberPlanOf, snapshotPlanOf, trainConfigOf, type RunJob } from './runJob.js';

export type RunJobOutcome = 'trained' | 'resumed' | 'already complete';

/** A student's teachers: the snapshots its teacher's run took at the iterations the job names (sha256 verified). */
async function teachersOf(job: RunJob, teacherDir: string | null): Promise<tfl.LayersModel[]> {
  const distill = job.spec.distill!;
  if (teacherDir === null) throw new UserError(`${job.run}: its teacher's run ${job.teacher} is not in the run storage`);
  const record = readRunRecord(teacherDir);
  const models: tfl.LayersModel[] = [];
  try {
    for (const iteration of distill.iterations) {
      const snapshot = record.snapshots.find((s) => s.iteration === iteration);
      if (snapshot === undefined) throw new UserError(`${teacherDir}: the teacher has no snapshot at iteration ${iteration}`);
      models.push(await loadSnapshotModel(teacherDir, snapshot));
    }
  } catch (e) {
    models.forEach((m) => m.dispose());
    throw e;
  }
  return models;
}

/**
 * Trains a queued run into its run directory with the code `train` uses (the one run driver, writing to a run
 * directory): nothing to do when the directory holds the completed run; `train --resume` when it holds a checkpoint
 * (an earlier attempt was stopped or its worker died); otherwise a new run, replacing what an attempt that died
 * before its first checkpoint left. The directory belongs to the job alone (its name is the job's), so replacing it
 * never touches another run. A distilled student learns from its teacher's run directory (`teacherDir`).
 */
export async function trainRunJob(job: RunJob, runDir: string, control: RunControl, teacherDir: string | null = null): Promise<RunJobOutcome> {
  let objective: DistillationObjective | undefined;
  let teachers: tfl.LayersModel[] = [];
  try {
    if (job.spec.distill !== undefined) {
      teachers = await teachersOf(job, teacherDir);
      objective = distillationObjective(teachers, job.spec.distill);
    }
    if (existsSync(runJsonPath(runDir))) {
      const record = readRunRecord(runDir);
      if (record.status === 'completed') return 'already complete';
      if (hasCheckpoint(runDir)) {
        await resumeSnapshotEnsemble(runDir, control, objective);
        return 'resumed';
      }
    }
    const config = trainConfigOf(job);
    const { settings } = job;
    const dataset = await loadDataset(settings.source, {
      ...(settings.trainSize === null ? {} : { trainSize: settings.trainSize }),
      ...(settings.testSize === null ? {} : { testSize: settings.testSize }),
      ...(control.reporter === undefined ? {} : { reporter: control.reporter }),
    });
    await trainSnapshotEnsemble({
      ...control,
      config,
      dataset,
      outDir: runDir,
      overwrite: true,
      plan: snapshotPlanOf(job),
      members: memberPlanOf(job),
      ...(objective === undefined ? {} : { objective }),
    });
    return 'trained';
  } finally {
    objective?.dispose();
    teachers.forEach((t) => t.dispose());
  }
}
