import path from 'node:path';
import { Command } from 'commander';
import { DEFAULT_DISTILLATION } from '../../training/distillation.js';
import { distillRun, resumeDistillation } from '../../deploy/distillRun.js';
import { UserError } from '../../util/errors.js';
import { readRunRecord } from '../../run/runRecord.js';
import { runDatasetAt } from '../../run/runData.js';
import { timeStamp } from '../format.js';
import { integer, modelName, positiveNumber } from '../parsers.js';
import { addBackendOptions } from '../backendOption.js';
import { sessionFlags, runTrainingSession, type SessionFlags } from '../trainingSession.js';

interface DistillFlags extends SessionFlags {
  last?: number;
  student?: string;
  temperature: number;
  alpha: number;
  epochs?: number;
  lr0?: number;
  seed?: number;
  out?: string;
  resume?: string;
  data?: string;
}

/** Flags that describe what a distillation trains: --resume refuses them. */
const RUN_FLAGS = ['last', 'student', 'temperature', 'alpha', 'epochs', 'lr0', 'seed', 'out'];

/** --alpha: a number in [0, 1], checked by the library so that the message names the range. */
function anyNumber(value: string): number {
  const n = Number(value);
  return value.trim() === '' ? NaN : n;
}

export function distillCommand(): Command {
  const command = addBackendOptions(new Command('distill')
    .description("distil the ensemble of a run's last m snapshots into one student network (Hinton et al. 2015): a run directory with one snapshot")
    .argument('[run-dir]', 'the teacher: a directory written by train')
    .option('--last <m>', 'the teacher is the ensemble of the last m snapshots (default: all)', integer(1))
    .option('--student <name>', "the student network (default: the teacher's)", modelName)
    .option('--temperature <T>', 'softmax temperature of the soft targets (> 0)', anyNumber, DEFAULT_DISTILLATION.temperature)
    .option('--alpha <A>', 'weight of the soft term, in [0, 1] (1 - A on the labels)', anyNumber, DEFAULT_DISTILLATION.alpha)
    .option('--epochs <n>', "the student's budget in epochs (default: the teacher's)", integer(1))
    .option('--lr0 <rate>', "start of the student's cosine schedule (default: the teacher's lr0)", positiveNumber)
    .option('--seed <n>', "the student's seed (default: the teacher's)", integer(0, 2 ** 32 - 1))
    .option('--out <dir>', 'student run directory to create (default: runs/<student>-distilled-<time>)')
    .option('--resume <run-dir>', 'continue an interrupted distillation from its last checkpoint')
    .option('--data <path>', "the teacher's examples read from here (needed when they were given in memory): an IDX directory, an image folder or a CSV file")
    .option('--checkpoint-every <epochs>', 'write a checkpoint every this many epochs (0: only when stopped)', integer(0), 1)
    .option('--json', 'print the final evaluation as JSON on stdout', false)
    .option('--no-report', 'do not write RUN_DIR/report.html when training ends'));
  return command.action(async (teacherRun: string | undefined, flags: DistillFlags) => {
    if (flags.resume !== undefined) {
      const fixed = RUN_FLAGS.filter((f) => command.getOptionValueSource(f) === 'cli');
      if (fixed.length > 0 || teacherRun !== undefined) {
        const what = fixed.length > 0 ? `--${fixed[0]!.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}` : 'a teacher run';
        throw new UserError(`--resume continues a distillation as it was configured; ${what} cannot be given with it`);
      }
    } else if (teacherRun === undefined) {
      throw new UserError('distill needs the teacher run directory (or --resume STUDENT_DIR)');
    }
    const runDir = flags.resume ?? flags.out ?? path.join('runs', `${flags.student ?? 'student'}-distilled-${timeStamp()}`);
    const session = sessionFlags(flags, flags.resume, (key) => command.getOptionValueSource(key) === 'cli');
    await runTrainingSession(session.flags, runDir, `snapshot-ensembles distill --resume ${runDir}`, async (control) => {
      const dataset = flags.data === undefined ? undefined : await runDatasetAt(readRunRecord(flags.resume ?? teacherRun!), flags.data, control);
      const withData = { ...control, ...(dataset === undefined ? {} : { dataset }) };
      if (flags.resume !== undefined) return resumeDistillation(flags.resume, withData);
      return distillRun({
        ...withData,
        teacherRun: teacherRun!,
        outDir: runDir,
        temperature: flags.temperature,
        alpha: flags.alpha,
        ...(flags.last === undefined ? {} : { last: flags.last }),
        ...(flags.student === undefined ? {} : { student: flags.student }),
        ...(flags.epochs === undefined ? {} : { epochs: flags.epochs }),
        ...(flags.lr0 === undefined ? {} : { lr0: flags.lr0 }),
        ...(flags.seed === undefined ? {} : { seed: flags.seed }),
      });
    }, session.resumed);
  });
}
