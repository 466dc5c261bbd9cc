import { channelStatistics } from '../data/statistics.js';
import { exampleShape, takeFirst, type Dataset, type ImageSet } from '../data/dataset.js';
import { loadDataset, loadTestSet, memoryDataProblem, resolveDataSource } from '../data/source.js';
import { holdOutValidation } from '../data/validationSplit.js';
import { runDataSource } from './runRecord.js';
import type { Reporter } from '../util/reporter.js';
import { UserError } from '../util/errors.js';
import type { DataSourceSpec } from '../schema/data.js';
import type { RunRecord } from '../schema/run.js';

/** How a reader of a run gets at its examples. */
export interface RunDataOptions {
  /**
   * The run's examples, given again (required for a run trained on a dataset given in memory; optional otherwise):
   * normalised with the run's statistics, its validation examples held out as in training.
   */
  dataset?: Dataset;
  reporter?: Reporter;
}

export interface RunTestSetOptions extends RunDataOptions {
  /** Another IDX directory, image folder or CSV file to take the test split of, instead of the run's. */
  dataDir?: string;
  /** Only the first N test examples. */
  testSize?: number;
}

/** The dataset a run recorded for examples it was given in memory, or the dataset of its own source. */
export function datasetSource(dataset: Dataset): DataSourceSpec {
  return dataset.source ?? { kind: 'memory', name: dataset.name };
}

/** The statistics a run normalises its examples with: the dataset's own, else computed from its training examples. */
export function datasetNormalization(dataset: Dataset): NonNullable<Dataset['normalization']> {
  return dataset.normalization ?? channelStatistics(dataset.train);
}

/** Refuses examples of another shape or class count than the run's models take. */
export function checkRunExamples(record: RunRecord, set: ImageSet, what: string): void {
  const want = record.data.exampleShape ?? record.data.inputShape;
  const got = exampleShape(set);
  if (want.join('x') !== got.join('x')) {
    const unit = record.data.exampleShape === undefined ? 'images' : 'examples';
    throw new UserError(`${what}: ${unit} are ${got.join('x')} but the run's models take ${want.join('x')}`);
  }
}

/**
 * The first `recorded` examples of a split read again, as many as the run used: a run records its counts, so a
 * source truncated by the caller (loadIdxDataset with a train size) is read back the same; a source that now holds
 * fewer examples is refused.
 */
function sameCount(set: ImageSet, recorded: number, split: string, where: string): ImageSet {
  if (set.count < recorded) throw new UserError(`${where}: the run used ${recorded} ${split} examples but the data holds ${set.count}`);
  return takeFirst(set, recorded);
}

/**
 * The examples a run was trained on: given again, or loaded from its data source; normalised with the run's
 * statistics, the training split without its last config.valSize examples, which are the validation split.
 */
export async function loadRunSplits(record: RunRecord, options: RunDataOptions = {}): Promise<{ dataset: Dataset; validation: ImageSet | null }> {
  const { trainSize, testSize, valSize } = record.config;
  const spec = runDataSource(record);
  const where = spec.kind === 'memory' ? spec.name : spec.kind === 'csv' ? spec.file : (spec.dir ?? 'fashion-mnist');
  let dataset: Dataset;
  if (options.dataset !== undefined) {
    dataset = options.dataset;
    if (dataset.numClasses !== record.data.numClasses) {
      throw new UserError(`${dataset.name}: ${dataset.numClasses} classes but the run has ${record.data.numClasses}`);
    }
  } else {
    if (spec.kind === 'memory') throw new UserError(memoryDataProblem(spec));
    const loaded = await loadDataset(spec, {
      numClasses: record.data.numClasses,
      ...(trainSize === null ? {} : { trainSize }),
      ...(testSize === null ? {} : { testSize }),
      ...(options.reporter === undefined ? {} : { reporter: options.reporter }),
    });
    dataset = {
      ...loaded,
      train: sameCount(loaded.train, record.data.trainExamples + valSize, 'training', where),
      test: sameCount(loaded.test, record.data.testExamples, 'test', where),
    };
  }
  checkRunExamples(record, dataset.train, dataset.name);
  const { train, validation } = holdOutValidation(dataset.train, valSize);
  return { dataset: { ...dataset, train, normalization: record.data.normalization }, validation };
}

/** The dataset a run was trained on (loadRunSplits), its validation examples held out. */
export async function loadRunDataset(record: RunRecord, options: RunDataOptions = {}): Promise<Dataset> {
  return (await loadRunSplits(record, options)).dataset;
}

/** The run's data source read from another place: another IDX or image directory, or another CSV file. */
function sourceAt(record: RunRecord, spec: DataSourceSpec, place: string): DataSourceSpec {
  if (spec.kind === 'csv') return { ...spec, file: place };
  if (spec.kind !== 'memory') return { ...spec, dir: place };
  if (/\.csv$/i.test(place)) {
    throw new UserError(`${place}: the run was trained on a table given in memory, whose columns it does not know; give the test set to the library (evaluateRun's dataset option)`);
  }
  // images of any kind: an IDX directory, or an image folder decoded to the run's size and channels
  const plain = resolveDataSource({ data: place });
  const [height, width, channels] = record.data.inputShape;
  if (plain.kind !== 'image-folder' || (channels !== 1 && channels !== 3)) return plain;
  return resolveDataSource({ data: place, imageSize: [height, width], channels });
}

/** The test split a run was evaluated on (or an override), read the way the run read it. */
export async function runTestSet(record: RunRecord, options: RunTestSetOptions = {}): Promise<ImageSet> {
  if (options.dataset !== undefined) {
    checkRunExamples(record, options.dataset.test, options.dataset.name);
    return options.testSize === undefined ? options.dataset.test : takeFirst(options.dataset.test, options.testSize);
  }
  const recorded = runDataSource(record);
  const other = options.dataDir !== undefined;
  const spec = other ? sourceAt(record, recorded, options.dataDir!) : recorded;
  if (spec.kind === 'memory') throw new UserError(memoryDataProblem(spec));
  const size = options.testSize ?? record.config.testSize ?? undefined;
  const test = await loadTestSet(spec, {
    numClasses: record.data.numClasses,
    ...(size === undefined ? {} : { testSize: size }),
    ...(options.reporter === undefined ? {} : { reporter: options.reporter }),
  });
  checkRunExamples(record, test, options.dataDir ?? "the run's test split");
  return other || options.testSize !== undefined ? test : sameCount(test, record.data.testExamples, 'test', "the run's test split");
}

/** Whether the run's examples can be read again without being given (false for a dataset given in memory). */
export function runDataReadable(record: RunRecord): boolean {
  return runDataSource(record).kind !== 'memory';
}

/**
 * A dataset read from another place (an IDX directory or image folder, decoded to the run's size and channels; a
 * CSV file as the run read its table), for a run whose examples cannot be read again or that is to be measured on
 * other data. Its examples must have the run's shape.
 */
export async function runDatasetAt(record: RunRecord, place: string, options: Pick<RunDataOptions, 'reporter'> = {}): Promise<Dataset> {
  const dataset = await loadDataset(sourceAt(record, runDataSource(record), place), {
    numClasses: record.data.numClasses,
    ...(options.reporter === undefined ? {} : { reporter: options.reporter }),
  });
  checkRunExamples(record, dataset.train, place);
  return dataset;
}
