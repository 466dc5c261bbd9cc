import path from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkFreshOutput } from '../io/outputDir.js';
import { readRunRecord } from '../run/runRecord.js';
import { lastSnapshots, loadSnapshotModel } from '../run/snapshots.js';
import { checkModelName } from '../models/registry.js';
import { loadRunDataset, type RunDataOptions } from '../run/runData.js';
import { trainSnapshotEnsemble, type RunControl, type SnapshotRunResult } from '../run/train.js';
import { resumeSnapshotEnsemble } from '../run/resume.js';
import { UserError } from '../util/errors.js';
import { DEFAULT_DISTILLATION, distillationObjective, distillationProblem, type DistillationObjective } from '../training/distillation.js';
import type { DistillConfig, TrainConfig } from '../schema/run.js';

export interface DistillOptions extends RunControl, RunDataOptions {
  /** The teacher: a run directory with snapshots. */
  teacherRun: string;
  /** The teacher is the ensemble of the teacher run's last m snapshots (default all). */
  last?: number;
  /** The student network (default: the teacher's). */
  student?: string;
  temperature?: number;
  alpha?: number;
  /** The student's budget in epochs (default: the teacher's). */
  epochs?: number;
  /** Start of the student's one cosine cycle (default: the teacher's lr0). */
  lr0?: number;
  seed?: number;
  /** The student's run directory to create: it must be new or empty. */
  outDir: string;
}

/** Loads the teacher's snapshots, checking they are the files the distillation started from. */
async function loadTeachers(distill: DistillConfig): Promise<tfl.LayersModel[]> {
  const record = readRunRecord(distill.teacherRun);
  const models: tfl.LayersModel[] = [];
  try {
    for (const t of distill.teachers) {
      const snapshot = record.snapshots.find((s) => s.index === t.index);
      if (snapshot === undefined) throw new UserError(`${distill.teacherRun}: the teacher's snapshot ${t.index} is gone`);
      if (JSON.stringify(snapshot.sha256) !== JSON.stringify(t.sha256)) {
        throw new UserError(`${distill.teacherRun}: snapshot ${t.index} is not the one this student was distilled from (sha256 differs)`);
      }
      models.push(await loadSnapshotModel(distill.teacherRun, snapshot));
    }
    return models;
  } catch (e) {
    models.forEach((m) => m.dispose());
    throw e;
  }
}

/** Runs a training job with the distillation objective of `distill`, releasing the teachers afterwards. */
async function withTeachers(distill: DistillConfig, job: (objective: DistillationObjective) => Promise<SnapshotRunResult>): Promise<SnapshotRunResult> {
  const teachers = await loadTeachers(distill);
  const objective = distillationObjective(teachers, distill);
  try {
    return await job(objective);
  } finally {
    objective.dispose();
    teachers.forEach((t) => t.dispose());
  }
}

/**
 * Knowledge distillation (Hinton, Vinyals and Dean 2015) of a run's last m snapshots into one student network:
 * one more configuration of the training loop, whose loss is distillationLoss against the teachers' mean tempered
 * softmax on each (augmented) batch. The student is trained on the teacher's data, augmentation and optimiser
 * settings with one cosine cycle from lr0 to 0 over its budget, and written as an ordinary run directory with one
 * snapshot; config.distill in its run.json records the teacher, so distill --resume continues it.
 */
export async function distillRun(options: DistillOptions): Promise<SnapshotRunResult> {
  const settings = { temperature: options.temperature ?? DEFAULT_DISTILLATION.temperature, alpha: options.alpha ?? DEFAULT_DISTILLATION.alpha };
  const problem = distillationProblem(settings);
  if (problem !== null) throw new UserError(problem);
  const teacher = readRunRecord(options.teacherRun);
  const snapshots = lastSnapshots(teacher, options.teacherRun, options.last);
  const student = checkModelName(options.student ?? teacher.config.model);
  checkFreshOutput(options.outDir);
  const distill: DistillConfig = {
    teacherRun: path.resolve(options.teacherRun),
    teachers: snapshots.map((s) => ({ index: s.index, sha256: s.sha256 })),
    ...settings,
  };
  // the student trains one cosine cycle: a teacher's FGE or SWAG settings are not its own
  const { fge: _fge, swag: _swag, ...teacherConfig } = teacher.config;
  void _fge;
  void _swag;
  const config: TrainConfig = {
    ...teacherConfig,
    model: student,
    dropout: 0,
    epochs: options.epochs ?? teacher.config.epochs,
    cycles: 1,
    lr0: options.lr0 ?? teacher.config.lr0,
    seed: options.seed ?? teacher.config.seed,
    schedule: 'snapshot',
    tMult: 1,
    lrMin: 0,
    distill,
  };
  const dataset = await loadRunDataset(teacher, options);
  options.reporter?.info?.(
    `distilling the ensemble of snapshots ${distill.teachers.map((t) => t.index).join(', ')} of ${options.teacherRun} into ${student} ` +
      `(temperature ${settings.temperature}, alpha ${settings.alpha})`,
  );
  return withTeachers(distill, (objective) =>
    trainSnapshotEnsemble({ ...options, config, dataset, outDir: options.outDir, normalization: teacher.data.normalization, objective }),
  );
}

/** Continues an interrupted distillation from its checkpoint, with the same teachers (verified by sha256). */
export async function resumeDistillation(runDir: string, control: RunControl & RunDataOptions = {}): Promise<SnapshotRunResult> {
  const distill = readRunRecord(runDir).config.distill;
  if (distill === undefined) throw new UserError(`${runDir} is not a distilled student; resume it with: snapshot-ensembles train --resume ${runDir}`);
  return withTeachers(distill, (objective) => resumeSnapshotEnsemble(runDir, control, objective));
}
