import path from 'node:path';
import { Command } from 'commander';
import { parseRows } from '../../compare/rowSpec.js';
import { COMPARE_JSON, CompareInterrupted, DEFAULT_COMPARE_CONFIG, runCompare } from '../../compare/runCompare.js';
import { compareOnQueue } from '../../queue/compareOnQueue.js';
import { addQueueOptions, queueSettings, type QueueFlags } from '../queueOption.js';
import { queueProgressView } from '../queueProgress.js';
import { TrainingInterrupted } from '../../training/trainLoop.js';
import { compareMarkdown, compareText } from '../../compare/table.js';
import { writeCompareReport } from '../../report/compareReport.js';
import type { CompareConfig } from '../../schema/compare.js';
import { DEFAULT_DISTILLATION } from '../../training/distillation.js';
import { loadDataset, resolveDataSource } from '../../data/source.js';
import { addDataOptions, addValidationOptions, dataSourceOptions, DEFAULT_MODEL_HELP, defaultModel, validationSize, type DataFlags, type ValidationFlags } from '../dataOptions.js';
import { formatSeconds, timeStamp } from '../format.js';
import { fraction, integer, modelName, nonNegativeNumber, positiveNumber, positiveNumberList } from '../parsers.js';
import { addBackendOptions, startBackend, type BackendFlags } from '../backendOption.js';
import { progressReporter, withPreamble } from '../progressReporter.js';
import { stopOnSignals } from '../signals.js';
import { defaultFgeOptions } from '../../training/snapshotPlan.js';

interface CompareFlags extends BackendFlags, QueueFlags, DataFlags, ValidationFlags {
  model: string;
  epochs: number;
  cycles: number;
  rows: string;
  distillEpochs?: number;
  temperature: number;
  alpha: number;
  seeds: number;
  seed: number;
  lr0: number;
  snapshotLr0: number[];
  swaLr: number;
  fgeCycleEpochs: number;
  fgeLr1?: number;
  fgeLr2?: number;
  fgePretrain: number;
  swagRank: number;
  swagSamples: number;
  ensembleSize: number;
  dropout: number;
  batchSize: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  trainSize?: number;
  testSize?: number;
  augment: boolean;
  out?: string;
  overwrite: boolean;
  markdown: boolean;
  json: boolean;
  report: boolean;
}

function defaultOutDir(model: string): string {
  return path.join('runs', `compare-${model}-${timeStamp()}`);
}

export function compareCommand(): Command {
  const d = DEFAULT_COMPARE_CONFIG;
  return addValidationOptions(addDataOptions(addQueueOptions(addBackendOptions(new Command('compare')
    .description(
      "the paper's Table 1 on your model and data: single model, NoCycle, SingleCycle, Snapshot Ensembles, FGE, SWA, SWAG, " +
        'a true ensemble and dropout, at the same training budget',
    )
    .option('--model <name>', DEFAULT_MODEL_HELP, modelName)
    .option('--epochs <B>', 'the training budget B in epochs, shared by every row', integer(1), d.epochs)
    .option('--cycles <M>', 'snapshots of nocycle and snapshot, models of singlecycle', integer(1), d.cycles)
    .option(
      '--rows <list>',
      'rows to run, comma-separated, each optionally with :n seeds (single, dropout, nocycle, singlecycle, snapshot, fge, swa, swag, true-ensemble, distilled, or all)',
      'all',
    )
    .option('--seeds <n>', 'seeds per row (mean and standard deviation over them)', integer(1), 1)
    .option('--seed <s>', 'first seed; seeds are s, s + 1, ...', integer(0, 2 ** 32 - 1), 1)
    .option('--lr0 <rate>', 'learning rate of the step schedule (single, nocycle, true-ensemble, dropout), singlecycle and SWA', positiveNumber, d.lr0)
    .option('--snapshot-lr0 <list>', 'lr0 of the Snapshot Ensemble rows, one row each', positiveNumberList, d.snapshotLr0)
    .option('--swa-lr <rate>', "SWA's (and SWAG's) constant learning rate", positiveNumber, d.swaLr)
    .option('--fge-cycle-epochs <c>', 'FGE: epochs per triangular cycle, one member at the middle of each', positiveNumber, d.fge.cycleEpochs)
    .option('--fge-lr1 <rate>', 'FGE: alpha_1, the rate at the ends of every cycle (default lr0 / 2)', positiveNumber)
    .option('--fge-lr2 <rate>', 'FGE: alpha_2, the rate at the middle of every cycle (default lr0 / 200)', positiveNumber)
    .option('--fge-pretrain <fraction>', 'FGE: fraction of B pre-trained with the step schedule', fraction, d.fge.pretrain)
    .option('--swag-rank <K>', 'SWAG: deviations of the last K epochs kept for the low-rank covariance', integer(1), d.swag.rank)
    .option('--swag-samples <S>', 'SWAG: weight samples drawn and averaged', integer(1), d.swag.samples)
    .option('--ensemble-size <k>', 'models in the true ensemble (costs k budgets)', integer(1), d.ensembleSize)
    .option('--dropout <rate>', 'dropout rate of the dropout row', fraction, d.dropout)
    .option('--distill-epochs <n>', "the distilled row's student budget in epochs (default: B)", integer(1))
    .option('--temperature <T>', "the distilled row's softmax temperature", positiveNumber, DEFAULT_DISTILLATION.temperature)
    .option('--alpha <A>', "the distilled row's weight of the soft targets, in [0, 1]", (v: string) => Number(v), DEFAULT_DISTILLATION.alpha)
    .option('--batch-size <n>', 'mini-batch size', integer(1), d.batchSize)
    .option('--momentum <mu>', 'SGD momentum', nonNegativeNumber, d.momentum)
    .option('--no-nesterov', 'plain momentum instead of Nesterov')
    .option('--weight-decay <wd>', 'L2 weight decay, added to the gradient as in PyTorch', nonNegativeNumber, d.weightDecay)
    .option('--train-size <n>', 'use only the first N training examples (validation included)', integer(1))
    .option('--test-size <n>', 'use only the first N test examples', integer(1))
    .option('--no-augment', 'turn off random crops and flips')
    .option('--out <dir>', 'directory for compare.json and compare.md (default: runs/compare-<model>-<time>)')
    .option('--overwrite', 'replace a comparison already in --out', false)
    .option('--markdown', 'print the tables as markdown instead of text', false)
    .option('--json', 'print the whole result as JSON instead of tables', false)))))
    .option('--no-report', 'do not write OUT/report.html when the comparison ends')
    .action(async (cliFlags: CompareFlags) => {
      const flags = { ...cliFlags, model: cliFlags.model ?? defaultModel(cliFlags) } as CompareFlags;
      // the source is resolved before the backend starts, so bad input stays one line
      const source = resolveDataSource(dataSourceOptions(flags));
      const config: CompareConfig = {
        model: flags.model,
        source,
        trainSize: flags.trainSize ?? null,
        valSize: 0, // from --val-size or --val-split once the examples are counted
        testSize: flags.testSize ?? null,
        epochs: flags.epochs,
        cycles: flags.cycles,
        batchSize: flags.batchSize,
        lr0: flags.lr0,
        snapshotLr0: flags.snapshotLr0,
        swaLr: flags.swaLr,
        swaStart: d.swaStart,
        fge: {
          cycleEpochs: flags.fgeCycleEpochs,
          lr1: flags.fgeLr1 ?? defaultFgeOptions(flags.lr0).lr1,
          lr2: flags.fgeLr2 ?? defaultFgeOptions(flags.lr0).lr2,
          pretrain: flags.fgePretrain,
        },
        swag: { rank: flags.swagRank, samples: flags.swagSamples },
        ensembleSize: flags.ensembleSize,
        dropout: flags.dropout,
        momentum: flags.momentum,
        nesterov: flags.nesterov,
        weightDecay: flags.weightDecay,
        augment: flags.augment,
        rows: parseRows(flags.rows, flags.seeds, flags.seed),
        distill: { epochs: flags.distillEpochs ?? null, temperature: flags.temperature, alpha: flags.alpha },
      };
      const queue = queueSettings(flags);
      const backend = await startBackend(flags);
      const dataset = await loadDataset(source, {
        ...(flags.trainSize === undefined ? {} : { trainSize: flags.trainSize }),
        ...(flags.testSize === undefined ? {} : { testSize: flags.testSize }),
      });
      config.valSize = validationSize(flags, dataset.train.count);
      config.source = dataset.source ?? source;
      const outDir = flags.out ?? defaultOutDir(flags.model);
      const view = queue === null ? null : queueProgressView();
      const reporter = withPreamble(view ?? progressReporter(), backend.line);
      const signals = stopOnSignals((signal) => reporter.info?.(`received ${signal}: stopping after the current step`));
      const writeReport = async () => {
        if (!flags.report) return;
        const report = await writeCompareReport(outDir);
        for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
        process.stderr.write(`report written to ${path.resolve(report.file)}\n`);
      };
      try {
        const options = { config, dataset, outDir, overwrite: flags.overwrite, reporter, shouldStop: signals.requested };
        const result =
          queue === null
            ? await runCompare(options)
            : await compareOnQueue({ ...options, ...queue, onProgress: (runs) => view!.update(runs), log: (line) => reporter.info?.(line) });
        reporter.stop();
        if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        else {
          process.stdout.write((flags.markdown ? compareMarkdown(result) : compareText(result)) + '\n');
          process.stderr.write(`compared in ${formatSeconds(result.seconds ?? 0)}; results in ${path.resolve(outDir)}\n`);
        }
        await writeReport();
      } catch (e) {
        if (!(e instanceof TrainingInterrupted || e instanceof CompareInterrupted)) throw e;
        reporter.stop();
        process.stderr.write(
          queue === null
            ? `stopped: ${path.resolve(outDir, COMPARE_JSON)} keeps the runs and rows that finished (a comparison does not resume; run it again with --overwrite)\n`
            : `stopped waiting: the queued runs go on training; the same command started again waits for them and writes ${path.resolve(outDir, COMPARE_JSON)}\n`,
        );
        await writeReport();
        process.exitCode = signals.received() === 'SIGTERM' ? 143 : 130;
      } finally {
        signals.dispose();
        reporter.stop();
      }
    });
}
