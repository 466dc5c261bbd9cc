import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { CompareInterrupted } from '../../compare/runCompare.js';
import { EMBEDDED_FASHION_MNIST_DIR, loadIdxDataset } from '../../data/loadIdxDataset.js';
import { queueExecutor } from '../../queue/coordinator.js';
import type { SweepConfig } from '../../sweep/plan.js';
import { SWEEP_JSON, type SweepResult } from '../../sweep/result.js';
import { runSweep, writeSweepChart } from '../../sweep/runSweep.js';
import { sweepMarkdown, sweepText } from '../../sweep/table.js';
import { DEFAULT_TRAIN_CONFIG } from '../../schema/defaults.js';

import { TrainingInterrupted } from '../../training/trainLoop.js';
import { addBackendOptions, startBackend, type BackendFlags } from '../backendOption.js';
import { formatSeconds, timeStamp } from '../format.js';
import { integer, modelName, nonNegativeNumber, positiveIntegerList, positiveNumberList } from '../parsers.js';
import { progressReporter, withPreamble } from '../progressReporter.js';
import { addQueueOptions, queueSettings, type QueueFlags } from '../queueOption.js';
import { queueProgressView } from '../queueProgress.js';
import { stopOnSignals } from '../signals.js';
import type { CycleScheduleName } from '../../schema/schedules.js';
import { CYCLE_SCHEDULES } from '../../schema/schedules.js';

interface SweepFlags extends BackendFlags, QueueFlags {
  model: string;
  schedule: CycleScheduleName[];
  epochs: number[];
  cycles: number[];
  lr0: number[];
  seeds: number;
  seed: number;
  batchSize: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  data?: string;
  trainSize?: number;
  testSize?: number;
  augment: boolean;
  out?: string;
  overwrite: boolean;
  markdown: boolean;
  json: boolean;
}

function scheduleList(value: string): CycleScheduleName[] {
  return value.split(',').map((v) => {
    const name = v.trim() as CycleScheduleName;
    if (!CYCLE_SCHEDULES.includes(name)) throw new InvalidArgumentError(`'${v}' is not one of ${CYCLE_SCHEDULES.join(', ')}.`);
    return name;
  });
}

export function sweepCommand(): Command {
  const d = DEFAULT_TRAIN_CONFIG;
  return addQueueOptions(
    addBackendOptions(
      new Command('sweep')
        .description('Snapshot Ensembles over a grid of schedules, budgets, cycles and lr0, each for several seeds: a table and a chart')
        .option('--model <name>', 'network to train', modelName, d.model)
        .option('--schedule <list>', 'cyclic schedules, comma-separated: snapshot (Eq. 2), sgdr, cyclic', scheduleList, ['snapshot'] as CycleScheduleName[])
        .option('--epochs <list>', 'budgets B in epochs, comma-separated', positiveIntegerList, [d.epochs])
        .option('--cycles <list>', 'cycles M (snapshots) per run, comma-separated', positiveIntegerList, [d.cycles])
        .option('--lr0 <list>', 'learning rates at the start of every cycle, comma-separated', positiveNumberList, [d.lr0])
        .option('--seeds <n>', 'seeds per point (mean and standard deviation over them)', integer(1), 1)
        .option('--seed <s>', 'first seed; seeds are s, s + 1, ...', integer(0, 2 ** 32 - 1), 1)
        .option('--batch-size <n>', 'mini-batch size', integer(1), d.batchSize)
        .option('--momentum <mu>', 'SGD momentum', nonNegativeNumber, d.momentum)
        .option('--no-nesterov', 'plain momentum instead of Nesterov')
        .option('--weight-decay <wd>', 'L2 weight decay, added to the gradient as in PyTorch', nonNegativeNumber, d.weightDecay)
        .option('--data <dir>', 'directory with the four standard IDX files (default: the embedded Fashion-MNIST)')
        .option('--train-size <n>', 'use only the first N training examples', integer(1))
        .option('--test-size <n>', 'use only the first N test examples', integer(1))
        .option('--no-augment', 'turn off random crops and flips')
        .option('--out <dir>', 'directory for sweep.json, sweep.md and sweep.svg (default: runs/sweep-<model>-<time>)')
        .option('--overwrite', 'replace a sweep already in --out', false)
        .option('--markdown', 'print the table as markdown', false)
        .option('--json', 'print the whole result as JSON', false),
    ),
  ).action(async (flags: SweepFlags) => {
    const config: SweepConfig = {
      model: flags.model,
      source: { kind: 'idx', dir: flags.data === undefined ? null : path.resolve(flags.data) },
      trainSize: flags.trainSize ?? null,
      testSize: flags.testSize ?? null,
      batchSize: flags.batchSize,
      momentum: flags.momentum,
      nesterov: flags.nesterov,
      weightDecay: flags.weightDecay,
      augment: flags.augment,
      schedules: flags.schedule,
      epochs: flags.epochs,
      cycles: flags.cycles,
      lr0: flags.lr0,
      seeds: Array.from({ length: flags.seeds }, (_, i) => flags.seed + i),
    };
    const queue = queueSettings(flags);
    const backend = await startBackend(flags);
    const dataset = loadIdxDataset(flags.data ?? EMBEDDED_FASHION_MNIST_DIR, {
      ...(flags.trainSize === undefined ? {} : { trainSize: flags.trainSize }),
      ...(flags.testSize === undefined ? {} : { testSize: flags.testSize }),
    });
    const outDir = flags.out ?? path.join('runs', `sweep-${flags.model}-${timeStamp()}`);
    const view = queue === null ? null : queueProgressView();
    const reporter = withPreamble(view ?? progressReporter(), backend.line);
    const signals = stopOnSignals((signal) => reporter.info?.(`received ${signal}: stopping after the current step`));
    const executor =
      queue === null ? undefined : queueExecutor({ ...queue, onProgress: (runs) => view!.update(runs), log: (line) => reporter.info?.(line) });
    // the same queued sweep started again takes over its own output directory and only waits
    const file = path.join(outDir, SWEEP_JSON);
    const same = queue !== null && existsSync(file) && JSON.stringify((JSON.parse(readFileSync(file, 'utf8')) as SweepResult).config) === JSON.stringify(config);
    try {
      const result = await runSweep({
        config,
        dataset,
        outDir,
        overwrite: flags.overwrite || same,
        reporter,
        shouldStop: signals.requested,
        ...(executor === undefined ? {} : { executor }),
      });
      reporter.stop();
      const chart = await writeSweepChart(outDir, result);
      for (const w of chart.warnings) process.stderr.write(`warning: ${w}\n`);
      if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else {
        process.stdout.write((flags.markdown ? sweepMarkdown(result) : sweepText(result)) + '\n');
        process.stderr.write(`swept in ${formatSeconds(result.seconds ?? 0)}; results and chart in ${path.resolve(outDir)}\n`);
      }
    } catch (e) {
      if (!(e instanceof TrainingInterrupted || e instanceof CompareInterrupted)) throw e;
      reporter.stop();
      process.stderr.write(`stopped: ${path.resolve(file)} keeps the runs that finished\n`);
      process.exitCode = signals.received() === 'SIGTERM' ? 143 : 130;
    } finally {
      signals.dispose();
      reporter.stop();
      await executor?.close();
    }
  });
}
