import { existsSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_AUGMENTATION, FASHION_MNIST_NORMALIZATION } from '../data/batch.js';
import { exampleShape, type Dataset } from '../data/dataset.js';
import { holdOutValidation } from '../data/validationSplit.js';
import { forwardFlopsPerImage } from '../models/flops.js';
import { buildModel } from '../models/registry.js';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomicWrite.js';
import { makeOutputDir } from '../io/outputDir.js';
import { cycleLengthHint } from '../training/budgetHint.js';
import { DEFAULT_COMPARE_CONFIG } from '../schema/defaults.js';
import { taskHead } from '../training/taskHead.js';
import type { Reporter } from '../util/reporter.js';
import { iterationsPerEpoch, TrainingInterrupted } from '../training/trainLoop.js';
import { UserError } from '../util/errors.js';
import { executeRun, type ExecutedRun, type RunData } from './executeRun.js';
import { planCompare, type ComparePlan } from './plan.js';
import { COMPARE_FORMAT, COMPARE_FORMAT_VERSION, COMPARE_JSON, COMPARE_MARKDOWN, type CompareConfig, type CompareResult, type RowResult } from '../schema/compare.js';
import { addSeedResult, summarizeRowSeed } from './summarize.js';
import { headline, headlineFormat } from './headline.js';
import { compareMarkdown } from './table.js';
import type { Normalization } from '../schema/data.js';
import type { RunSpec } from '../schema/runSpec.js';

export { COMPARE_JSON, COMPARE_MARKDOWN };

export { DEFAULT_COMPARE_CONFIG };

/** What runCompare compares, on which data, and where it writes compare.json. */
export interface CompareOptions {
  config: CompareConfig;
  /** The dataset as loaded (train-size and test-size applied); the validation split is taken from its training set. */
  dataset: Dataset;
  /** Directory for compare.json and compare.md (written as runs finish), or null to write nothing. */
  outDir: string | null;
  overwrite?: boolean;
  normalization?: Normalization;
  reporter?: Reporter;
  /**
   * Asked after every iteration; true stops the comparison (TrainingInterrupted from the run in progress), with
   * compare.json marked interrupted and keeping every run and row that finished.
   */
  shouldStop?: () => boolean;
  /** Where runs are trained (default: here, one after another, with executeRun); a queue of workers is another. */
  executor?: RunExecutor;
}

/** Raised by an executor asked to stop while it waits for a run it does not train itself (a queue's). */
export class CompareInterrupted extends Error {
  override readonly name = 'CompareInterrupted';
}

/**
 * Trains the runs of a comparison. prepare sees the whole plan before the first run is asked for (a queue enqueues
 * every run there, so that they train side by side); run returns one run's members, in plan order.
 */
export interface RunExecutor {
  /** Sees the whole plan before the first run is asked for (a queue enqueues every run here). */
  prepare?(plan: ComparePlan, config: CompareConfig): Promise<void>;
  /** Trains (or waits for) one planned run and returns its members; a student gets its teacher's run. */
  run(spec: RunSpec, config: CompareConfig, data: RunData, reporter?: Reporter, shouldStop?: () => boolean, teacher?: ExecutedRun): Promise<ExecutedRun>;
}

/** Trains each run here, one after another. */
export const LOCAL_EXECUTOR: RunExecutor = {
  run: (spec, settings, data, reporter, shouldStop, teacher) =>
    executeRun(spec, settings, data, reporter, shouldStop, spec.distill === undefined || teacher === undefined ? [] : spec.distill.iterations.map((t) => teacher.weights.get(t)!)),
};

/** Forward FLOPs per image of the compared network (for the report's error against inference cost). */
function modelFlops(name: string, inputShape: [number, number, number], numClasses: number): number {
  const model = buildModel(name, { inputShape, numClasses }, 0);
  try {
    return forwardFlopsPerImage(model);
  } finally {
    model.dispose();
  }
}

/** A student whose teacher run failed: not trained, recorded as failed so that its row names the reason. */
function skippedStudent(spec: RunSpec, teacher: string): ExecutedRun {
  const { id, seed, dropout, epochs, schedule } = spec;
  return {
    info: { id, seed, dropout, epochs, schedule, iterations: 0, snapshotAt: [], swa: null, swag: null, seconds: 0, history: [], error: `its teacher run ${teacher} failed` },
    members: new Map(),
    samples: [],
    weights: new Map(),
  };
}

/**
 * Runs the paper's comparison (its Table 1) at one budget: every requested row for every seed, each row a
 * configuration of the one training loop, with runs that rows share trained once. Returns, and writes to
 * outDir/compare.json as it goes, every run's members' metrics, last-m ensemble curves, diversity and cost.
 */
export async function runCompare(options: CompareOptions): Promise<CompareResult> {
  const { config, dataset, outDir, reporter } = options;
  const normalization = options.normalization ?? dataset.normalization ?? FASHION_MNIST_NORMALIZATION;
  const { train, validation } = holdOutValidation(dataset.train, config.valSize);
  const perEpoch = iterationsPerEpoch(train.count, config.batchSize);
  const plan = planCompare(config, perEpoch);
  if (outDir !== null && existsSync(path.join(outDir, COMPARE_JSON)) && !(options.overwrite ?? false)) {
    throw new UserError(`${outDir} already holds a comparison; choose another --out or pass --overwrite`);
  }
  const executor = options.executor ?? LOCAL_EXECUTOR;
  await executor.prepare?.(plan, config);
  if (outDir !== null) makeOutputDir(outDir);
  const augmentation = config.augment && exampleShape(train).length === 3 ? DEFAULT_AUGMENTATION : null;
  const head = taskHead(dataset.task ?? 'classification', dataset.numClasses, dataset.targetNormalization);
  const data: RunData = { train, validation, test: dataset.test, numClasses: dataset.numClasses, normalization, augmentation, head };
  const labels = { test: dataset.test.labels, validation: validation?.labels ?? null };

  const result: CompareResult = {
    format: COMPARE_FORMAT,
    version: COMPARE_FORMAT_VERSION,
    status: 'running',
    error: null,
    createdAt: new Date().toISOString(),
    finishedAt: null,
    backend: tf.getBackend(),
    config,
    data: {
      name: dataset.name,
      trainExamples: train.count,
      validationExamples: validation?.count ?? 0,
      testExamples: dataset.test.count,
      inputShape: [train.height, train.width, train.channels],
      numClasses: dataset.numClasses,
      task: head.task,
      ...(head.task === 'regression' ? { target: dataset.classNames[0] ?? 'target' } : {}),
      normalization,
      augmentation,
      flopsPerImage: modelFlops(config.model, [train.height, train.width, train.channels], dataset.numClasses),
    },
    iterationsPerEpoch: perEpoch,
    budgetIterations: plan.budgetIterations,
    runs: [],
    rows: plan.rows.map((r): RowResult => ({ ...r, seeds: [], summary: null, failures: [] })),
    seconds: null,
  };
  const save = () => {
    if (outDir === null) return;
    writeJsonAtomic(path.join(outDir, COMPARE_JSON), result);
    writeFileAtomic(path.join(outDir, COMPARE_MARKDOWN), compareMarkdown(result) + '\n');
  };
  const totalRuns = plan.seeds.reduce((n, s) => n + s.runs.length, 0);
  const totalEpochs = plan.seeds.reduce((n, s) => n + s.runs.reduce((e, r) => e + r.epochs, 0), 0);
  reporter?.info?.(
    `compare on ${dataset.name} with ${config.model} (${train.count} training images, ${validation?.count ?? 0} validation, ` +
      `${dataset.test.count} test) on ${tf.getBackend()}: budget B = ${config.epochs} epochs = ${plan.budgetIterations} iterations, ` +
      `M = ${config.cycles}; ${plan.rows.length} rows, ${totalRuns} runs, ${totalEpochs} epochs = ${totalEpochs * train.count} images to train`,
  );
  const hint = config.rows.some((r) => ['nocycle', 'singlecycle', 'snapshot'].includes(r.row))
    ? cycleLengthHint(plan.cycleEnds, perEpoch)
    : null;
  if (hint !== null) reporter?.warn?.(hint);
  save();

  const start = performance.now();
  let done = 0;
  try {
    for (const seedPlan of plan.seeds) {
      const runs = new Map<string, ExecutedRun>();
      for (const spec of seedPlan.runs) {
        done++;
        reporter?.info?.(`run ${done}/${totalRuns}: ${spec.id} (${spec.epochs} epochs, ${spec.schedule.name} schedule)`);
        const teacher = spec.distill === undefined ? undefined : runs.get(spec.distill.teacher)!;
        // a student learns from its teacher's members: their weights here, or its run directory on a queue
        const executed =
          teacher !== undefined && teacher.info.error !== null
            ? skippedStudent(spec, teacher.info.id)
            : await executor.run(spec, config, data, reporter, options.shouldStop, teacher);
        runs.set(spec.id, executed);
        result.runs.push(executed.info);
        if (executed.info.error !== null) reporter?.warn?.(`${spec.id}: ${executed.info.error}`);
        save();
      }
      for (const rowPlan of seedPlan.rows) {
        const row = result.rows.find((r) => r.key === rowPlan.key)!;
        const failed = rowPlan.runs.map((id) => runs.get(id)!.info).find((info) => info.error !== null);
        if (failed !== undefined) {
          row.failures.push({ seed: rowPlan.seed, run: failed.id, error: failed.error! });
          reporter?.warn?.(`${rowPlan.key} seed ${rowPlan.seed}: no result, run ${failed.id} failed`);
          continue;
        }
        const seedResult = summarizeRowSeed(rowPlan, runs, labels, plan.budgetIterations);
        addSeedResult(row, seedResult);
        reporter?.info?.(
          `${rowPlan.key} seed ${rowPlan.seed}: ${headlineFormat(head.task).name} ${headlineFormat(head.task).format(headline(seedResult.final))}, NLL ${seedResult.final.nll.toFixed(4)} ` +
            `(${rowPlan.members.length} member${rowPlan.members.length === 1 ? '' : 's'}, cost ${seedResult.cost} budgets)`,
        );
      }
      // the members' weights that distilled students learnt from
      for (const r of runs.values()) for (const w of r.weights.values()) tf.dispose(w);
      save();
    }
    result.status = 'completed';
    return result;
  } catch (e) {
    if (e instanceof TrainingInterrupted || e instanceof CompareInterrupted) {
      result.status = 'interrupted';
      result.error = `interrupted in run ${done}/${totalRuns} (${e.message}); the runs and rows before it are complete`;
    } else {
      result.status = 'failed';
      result.error = e instanceof Error ? e.message : String(e);
    }
    throw e;
  } finally {
    result.seconds = (performance.now() - start) / 1000;
    result.finishedAt = new Date().toISOString();
    save();
  }
}
