import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { RunData } from '../compare/executeRun.js';
import type { CompareConfig } from '../schema/compare.js';
import { CompareInterrupted, DEFAULT_COMPARE_CONFIG, LOCAL_EXECUTOR, type RunExecutor } from '../compare/runCompare.js';
import { spread } from '../compare/summarize.js';
import { DEFAULT_AUGMENTATION, FASHION_MNIST_NORMALIZATION } from '../data/batch.js';
import type { Dataset } from '../data/dataset.js';
import { evaluateEnsemble } from '../metrics/evaluate.js';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomicWrite.js';
import { renderSvg } from '../report/renderSvg.js';
import type { Reporter } from '../util/reporter.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { classificationHead } from '../training/taskHead.js';
import { iterationsPerEpoch, TrainingInterrupted } from '../training/trainLoop.js';
import { UserError } from '../util/errors.js';
import { sweepChart } from './chart.js';
import { planSweep, sweepAsComparePlan, type SweepConfig } from './plan.js';
import { SWEEP_CHART, SWEEP_FORMAT, SWEEP_JSON, SWEEP_MARKDOWN, type SweepPointResult, type SweepResult, type SweepSeedResult } from './result.js';
import { sweepMarkdown } from './table.js';

/** What runSweep trains, on which data, and where it writes sweep.json. */
export interface SweepOptions {
  config: SweepConfig;
  /** The dataset as loaded (train-size and test-size applied). */
  dataset: Dataset;
  outDir: string | null;
  overwrite?: boolean;
  /** Where the runs train: here one after another (default), or a queue's workers (queueExecutor). */
  executor?: RunExecutor;
  reporter?: Reporter;
  /** Asked after every iteration; true stops the sweep after the current step. */
  shouldStop?: () => boolean;
}

/** The settings every run of the sweep shares, as the executors of compare take them. */
export function sweepRunSettings(config: SweepConfig): CompareConfig {
  const { model, source, trainSize, testSize, batchSize, momentum, nesterov, weightDecay, augment } = config;
  return { ...DEFAULT_COMPARE_CONFIG, model, source, trainSize, valSize: 0, testSize, batchSize, momentum, nesterov, weightDecay, augment, rows: [] };
}

function summarize(point: SweepPointResult): void {
  const ok = point.seeds.filter((s) => s.error === null);
  point.error = ok.length === 0 ? null : spread(ok.map((s) => s.ensemble!.error));
  point.nll = ok.length === 0 ? null : spread(ok.map((s) => s.ensemble!.nll));
  point.lastSnapshotError = ok.length === 0 ? null : spread(ok.map((s) => s.lastSnapshot!.error));
}

/**
 * Trains a grid of Snapshot Ensembles (every schedule, budget, number of cycles and lr0, for every seed) with
 * compare's executors, and measures each on the test set: the ensemble of all snapshots, the last snapshot alone and
 * every last-m ensemble. Writes sweep.json and sweep.md after every point and the chart sweep.svg at the end.
 */
export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const { config, dataset, outDir, reporter } = options;
  const perEpoch = iterationsPerEpoch(dataset.train.count, config.batchSize);
  const points = planSweep(config, perEpoch);
  if (outDir !== null && existsSync(path.join(outDir, SWEEP_JSON)) && !(options.overwrite ?? false)) {
    throw new UserError(`${outDir} already holds a sweep; choose another --out or pass --overwrite`);
  }
  const settings = sweepRunSettings(config);
  const executor = options.executor ?? LOCAL_EXECUTOR;
  await executor.prepare?.(sweepAsComparePlan(points), settings);
  if (outDir !== null) mkdirSync(outDir, { recursive: true });
  const data: RunData = {
    train: dataset.train,
    validation: null,
    test: dataset.test,
    numClasses: dataset.numClasses,
    normalization: FASHION_MNIST_NORMALIZATION,
    augmentation: config.augment ? DEFAULT_AUGMENTATION : null,
    head: classificationHead(dataset.numClasses),
  };
  const result: SweepResult = {
    format: SWEEP_FORMAT,
    version: 1,
    status: 'running',
    error: null,
    createdAt: new Date().toISOString(),
    finishedAt: null,
    backend: tf.getBackend(),
    config,
    data: { name: dataset.name, trainExamples: dataset.train.count, testExamples: dataset.test.count },
    iterationsPerEpoch: perEpoch,
    points: points.map(({ runs: _, ...p }) => ({ ...p, seeds: [], error: null, nll: null, lastSnapshotError: null })),
    seconds: null,
  };
  const save = () => {
    if (outDir === null) return;
    writeJsonAtomic(path.join(outDir, SWEEP_JSON), result);
    writeFileAtomic(path.join(outDir, SWEEP_MARKDOWN), sweepMarkdown(result) + '\n');
  };
  const total = points.reduce((n, p) => n + p.runs.length, 0);
  reporter?.info?.(`sweep of ${config.model} on ${dataset.name} (${dataset.train.count} training images, ${dataset.test.count} test): ${points.length} points, ${total} runs`);
  save();
  const start = performance.now();
  let done = 0;
  try {
    for (const [i, point] of points.entries()) {
      const out = result.points[i]!;
      for (const spec of point.runs) {
        done++;
        reporter?.info?.(`run ${done}/${total}: ${spec.id}`);
        const { info, members } = await executor.run(spec, settings, data, reporter, options.shouldStop);
        const seed: SweepSeedResult = { seed: spec.seed, run: spec.id, error: info.error, ensemble: null, lastSnapshot: null, lastM: [], seconds: info.seconds };
        if (info.error === null) {
          const tests = spec.snapshotAt.map((t) => members.get(t)!.test as ProbabilityMatrix);
          const evaluation = evaluateEnsemble(tests, dataset.test.labels, 'mean');
          const pick = ({ error, nll, ece, brier }: SweepSeedResult['lastM'][number]) => ({ error, nll, ece, brier });
          seed.ensemble = pick(evaluation.ensembles.at(-1)!);
          seed.lastSnapshot = pick(evaluation.ensembles[0]!);
          seed.lastM = evaluation.ensembles;
        } else reporter?.warn?.(`${spec.id}: ${info.error}`);
        out.seeds.push(seed);
        summarize(out);
        save();
      }
    }
    result.status = 'completed';
    return result;
  } catch (e) {
    const interrupted = e instanceof TrainingInterrupted || e instanceof CompareInterrupted;
    result.status = interrupted ? 'interrupted' : 'failed';
    result.error = e instanceof Error ? e.message : String(e);
    throw e;
  } finally {
    result.seconds = (performance.now() - start) / 1000;
    result.finishedAt = new Date().toISOString();
    save();
  }
}

/** Renders the sweep's chart to outDir/sweep.svg; returns the file and any warnings of Vega. */
export async function writeSweepChart(outDir: string, result: SweepResult): Promise<{ file: string; warnings: string[] }> {
  const { svg, warnings } = await renderSvg(sweepChart(result));
  const file = path.join(outDir, SWEEP_CHART);
  writeFileAtomic(file, svg);
  return { file, warnings };
}
