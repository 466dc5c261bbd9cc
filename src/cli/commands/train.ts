import path from 'node:path';
import { Command, Option } from 'commander';
import { loadDataset, resolveDataSource } from '../../data/source.js';

import { readRunRecord } from '../../run/runRecord.js';
import { runDataReadable, runDatasetAt } from '../../run/runData.js';
import { DEFAULT_TRAIN_CONFIG } from '../../schema/defaults.js';
import { trainSnapshotEnsemble } from '../../run/train.js';
import { resumeSnapshotEnsemble } from '../../run/resume.js';
import { defaultFgeOptions, defaultSwagOptions } from '../../training/snapshotPlan.js';
import { UserError } from '../../util/errors.js';
import {
  addDataOptions,
  addValidationOptions,
  DATA_FLAG_NAMES,
  DEFAULT_MODEL_HELP,
  dataSourceOptions,
  defaultModel,
  validationSize,
  type DataFlags,
  type ValidationFlags,
} from '../dataOptions.js';
import { timeStamp } from '../format.js';
import { fraction, integer, modelName, nonNegativeNumber, positiveNumber } from '../parsers.js';
import { addBackendOptions } from '../backendOption.js';
import { sessionFlags, runTrainingSession, type SessionFlags } from '../trainingSession.js';
import type { CycleScheduleName, FgeOptions, SwagOptions } from '../../schema/schedules.js';
import { CYCLE_SCHEDULES } from '../../schema/schedules.js';
import type { ModelInit, TrainConfig } from '../../schema/run.js';
import { MODEL_INITS } from '../../schema/run.js';

interface TrainFlags extends SessionFlags, DataFlags, ValidationFlags {
  model: string;
  epochs: number;
  cycles: number;
  schedule: CycleScheduleName;
  tMult: number;
  lrMin: number;
  fgeCycleEpochs?: number;
  fgeLr1?: number;
  fgeLr2?: number;
  fgePretrain?: number;
  swagStart?: number;
  swagLr?: number;
  swagRank?: number;
  swagSamples?: number;
  lr0: number;
  batchSize: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  dropout: number;
  seed: number;
  init?: ModelInit;
  trainSize?: number;
  testSize?: number;
  augment: boolean;
  out?: string;
  overwrite: boolean;
  resume?: string;
}

/** Flags that describe what a run trains: fixed once it started, so --resume refuses them. */
const RUN_FLAGS = ['model', 'epochs', 'cycles', 'schedule', 'tMult', 'lrMin', 'fgeCycleEpochs', 'fgeLr1', 'fgeLr2', 'fgePretrain', 'swagStart', 'swagLr', 'swagRank', 'swagSamples', 'lr0', 'batchSize', 'momentum', 'nesterov', 'weightDecay', 'dropout', 'seed', 'init', 'trainSize', 'testSize', 'valSize', 'valSplit', 'augment', 'out', 'overwrite', ...DATA_FLAG_NAMES];

function defaultOutDir(model: string): string {
  return path.join('runs', `${path.basename(model).replace(/\.json$/i, '')}-${timeStamp()}`);
}

function flagName(key: string): string {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** Each option of FGE and SWAG, and the flag (a TrainFlags key) that sets it. */
const FGE_FLAGS: Record<keyof FgeOptions, keyof TrainFlags> = { cycleEpochs: 'fgeCycleEpochs', lr1: 'fgeLr1', lr2: 'fgeLr2', pretrain: 'fgePretrain' };
const SWAG_FLAGS: Record<keyof SwagOptions, keyof TrainFlags> = { start: 'swagStart', lr: 'swagLr', rank: 'swagRank', samples: 'swagSamples' };

/**
 * The settings of --schedule fge or swag from their flags (defaults for those not given), or undefined for another
 * schedule, which refuses them; --cycles does not apply to either.
 */
function scheduleOptions<T extends object>(
  flags: TrainFlags,
  given: (key: string) => boolean,
  schedule: CycleScheduleName,
  keys: Record<keyof T, keyof TrainFlags>,
  defaults: T,
  members: string,
): T | undefined {
  const flagKeys = Object.values(keys) as (keyof TrainFlags)[];
  if (flags.schedule !== schedule) {
    const stray = flagKeys.find((k) => given(k));
    if (stray !== undefined) throw new UserError(`${flagName(stray)} applies to --schedule ${schedule} only`);
    return undefined;
  }
  if (given('cycles')) throw new UserError(`--cycles does not apply to --schedule ${schedule}: its members are ${members}`);
  const options = { ...defaults };
  for (const [option, flag] of Object.entries(keys) as [keyof T, keyof TrainFlags][]) {
    if (flags[flag] !== undefined) options[option] = flags[flag] as T[keyof T];
  }
  return options;
}

function configFromFlags(flags: TrainFlags, given: (key: string) => boolean): TrainConfig {
  const fge = scheduleOptions(flags, given, 'fge', FGE_FLAGS, defaultFgeOptions(flags.lr0), 'one per --fge-cycle-epochs cycle after pre-training');
  const swag = scheduleOptions(flags, given, 'swag', SWAG_FLAGS, defaultSwagOptions(flags.lr0), '--swag-samples weight samples');
  return {
    model: flags.model,
    dropout: flags.dropout,
    trainSize: flags.trainSize ?? null,
    valSize: 0, // set from --val-size or --val-split once the examples are counted
    testSize: flags.testSize ?? null,
    epochs: flags.epochs,
    batchSize: flags.batchSize,
    cycles: flags.cycles,
    lr0: flags.lr0,
    momentum: flags.momentum,
    nesterov: flags.nesterov,
    weightDecay: flags.weightDecay,
    augment: flags.augment,
    seed: flags.seed,
    schedule: flags.schedule,
    tMult: flags.tMult,
    lrMin: flags.lrMin,
    ...(fge === undefined ? {} : { fge }),
    ...(swag === undefined ? {} : { swag }),
    ...(flags.init === undefined ? {} : { init: flags.init }),
  };
}

export function trainCommand(): Command {
  const d = DEFAULT_TRAIN_CONFIG;
  const command = addBackendOptions(new Command('train')
    .description('train one network with the cyclic cosine schedule and save a snapshot at the end of every cycle')
    .option('--model <name>', `${DEFAULT_MODEL_HELP}: cnn, resnet20/32/56/110 (any resnet<6n+2>), wrn-<6n+4>-<k>, densenet40, densenet100, mlp-<width>x<depth>[-bn], or a TF.js model.json of your own`, modelName)
    .addOption(new Option('--init <how>', 'a model.json of your own: start from its weights, or re-initialise every layer from --seed (default from-file)').choices(MODEL_INITS))
    .option('--epochs <n>', 'training budget in epochs (T = epochs x ceil(N / batch) iterations)', integer(1), d.epochs)
    .option('--cycles <M>', 'number of cosine cycles, one snapshot each', integer(1), d.cycles)
    .addOption(
      new Option('--schedule <name>', "cyclic schedule: the paper's Eq. 2, SGDR with warm restarts, triangular cyclical rates, Fast Geometric Ensembling (fge) or SWA-Gaussian (swag)")
        .choices(CYCLE_SCHEDULES)
        .default('snapshot'),
    )
    .option('--t-mult <n>', "SGDR's T_mult: each cycle this many times longer than the one before", integer(1), 1)
    .option('--lr-min <rate>', 'lowest learning rate of sgdr and cyclic cycles', nonNegativeNumber, 0)
    .option('--fge-cycle-epochs <c>', 'FGE: epochs per triangular cycle, one member at the middle of each (default 2)', positiveNumber)
    .option('--fge-lr1 <rate>', 'FGE: alpha_1, the rate at the ends of every cycle (default lr0 / 2)', positiveNumber)
    .option('--fge-lr2 <rate>', 'FGE: alpha_2, the rate at the middle of every cycle (default lr0 / 200)', positiveNumber)
    .option('--fge-pretrain <fraction>', 'FGE: fraction of the budget pre-trained with the step schedule (default 0.8)', fraction)
    .option('--swag-start <fraction>', 'SWAG: collect the moments once per epoch from this fraction of the budget on (default 0.75)', fraction)
    .option('--swag-lr <rate>', 'SWAG: the constant learning rate of the collection phase (default lr0 / 2)', positiveNumber)
    .option('--swag-rank <K>', 'SWAG: deviations of the last K epochs kept for the low-rank covariance (default 20)', integer(1))
    .option('--swag-samples <S>', 'SWAG: weight samples drawn to evaluate the run (default 10)', integer(1))
    .option('--lr0 <rate>', 'learning rate at the start of every cycle', positiveNumber, d.lr0)
    .option('--batch-size <n>', 'mini-batch size', integer(1), d.batchSize)
    .option('--momentum <mu>', 'SGD momentum', nonNegativeNumber, d.momentum)
    .option('--no-nesterov', 'plain momentum instead of Nesterov')
    .option('--weight-decay <wd>', 'L2 weight decay, added to the gradient as in PyTorch', nonNegativeNumber, d.weightDecay)
    .option('--dropout <rate>', 'dropout rate before the classifier', fraction, d.dropout)
    .option('--seed <n>', 'seed for initialisation, data order and augmentation', integer(0, 2 ** 32 - 1), d.seed)
    .option('--train-size <n>', 'use only the first N training examples', integer(1))
    .option('--test-size <n>', 'use only the first N test examples', integer(1))
    .option('--no-augment', 'turn off random crops and flips')
    .option('--out <dir>', 'run directory to create (default: runs/<model>-<time>)')
    .option('--overwrite', 'replace a run already in --out', false)
    .option('--resume <run-dir>', 'continue an interrupted run from its last checkpoint')
    .option('--checkpoint-every <epochs>', 'write a checkpoint every this many epochs (0: only when stopped)', integer(0), 1)
    .option('--json', 'print the final evaluation as JSON on stdout', false)
    .option('--no-report', 'do not write RUN_DIR/report.html when training ends'));
  addDataOptions(command);
  addValidationOptions(command);
  return command.action(async (cliFlags: TrainFlags) => {
    const flags = { ...cliFlags, model: cliFlags.model ?? defaultModel(cliFlags) } as TrainFlags;
    // a run trained on examples given in memory takes them again from --data when it resumes
    const memoryRun = flags.resume !== undefined && !runDataReadable(readRunRecord(flags.resume));
    if (flags.resume !== undefined) {
      const fixed = RUN_FLAGS.filter((f) => command.getOptionValueSource(f) === 'cli' && !(memoryRun && f === 'data'));
      if (fixed.length > 0) {
        throw new UserError(`--resume continues a run as it was configured; ${flagName(fixed[0]!)} cannot be given with it`);
      }
    }
    const given = (key: string) => command.getOptionValueSource(key) === 'cli';
    // The configuration is checked before the backend starts, so bad input stays one line.
    const config = flags.resume === undefined ? configFromFlags(flags, given) : null;
    const runDir = flags.resume ?? flags.out ?? defaultOutDir(flags.model);
    const session = sessionFlags(flags, flags.resume, given);
    await runTrainingSession(session.flags, runDir, `snapshot-ensembles train --resume ${runDir}`, async (control) => {
      if (flags.resume !== undefined) {
        const record = readRunRecord(flags.resume);
        const dataset = flags.data === undefined ? undefined : await runDatasetAt(record, flags.data, control);
        return resumeSnapshotEnsemble(flags.resume, { ...control, ...(dataset === undefined ? {} : { dataset }) });
      }
      if (flags.init !== undefined && !flags.model.toLowerCase().endsWith('.json')) throw new UserError('--init is for a model of your own (--model FILE.json)');
      const dataset = await loadDataset(resolveDataSource(dataSourceOptions(flags)), {
        ...(control.reporter === undefined ? {} : { reporter: control.reporter }),
        ...(flags.trainSize === undefined ? {} : { trainSize: flags.trainSize }),
        ...(flags.testSize === undefined ? {} : { testSize: flags.testSize }),
      });
      const valSize = validationSize(flags, dataset.train.count);
      return trainSnapshotEnsemble({ ...control, config: { ...config!, valSize }, dataset, outDir: runDir, overwrite: flags.overwrite });
    }, session.resumed);
  });
}
