import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Reporter } from '../util/reporter.js';
import { UserError } from '../util/errors.js';
import { loadCsvTable } from './csvTable.js';
import { selectExamples, takeFirst, type Dataset, type ImageSet } from './dataset.js';
import { loadImageFolder } from './imageFolder.js';
import { EMBEDDED_FASHION_MNIST_DIR, loadIdxDataset, loadTestSplit } from './loadIdxDataset.js';
import { seededOrder, splitIndices } from './split.js';
import { channelStatistics, targetStatistics } from './statistics.js';

import type { Task, CsvSource, DataSourceSpec, MemorySource } from '../schema/data.js';
export type { CsvSource } from '../schema/data.js';
export type { ImageFolderSource } from '../schema/data.js';

/** The one-line problem of reading again examples that were given in memory. */
export function memoryDataProblem(spec: MemorySource): string {
  return `the examples ('${spec.name}') were given in memory, so they cannot be read again: give them again (a --data path, or the dataset option of the library call)`;
}

/** Which examples of a data source to load, and where to report progress. */
export interface LoadDataOptions {
  /** Keep the first N training (test) examples; image folders and tables are in a seeded random order. */
  trainSize?: number;
  testSize?: number;
  /** IDX only: the number of classes (default 10). */
  numClasses?: number;
  /** Decoding progress and warnings (skipped images, cache hits). */
  reporter?: Reporter;
}

/** Where a source's examples are, for a report: a directory or file, 'embedded' or 'given in memory'. */
export function sourceLocation(spec: DataSourceSpec): string {
  if (spec.kind === 'memory') return 'given in memory';
  if (spec.kind === 'csv') return spec.file;
  return spec.dir ?? 'embedded';
}

/** How the source is named in messages. */
export function sourceName(spec: DataSourceSpec): string {
  if (spec.kind === 'memory') return spec.name;
  if (spec.kind === 'idx') return spec.dir === null ? 'fashion-mnist' : path.basename(path.resolve(spec.dir));
  if (spec.kind === 'csv') return path.basename(spec.file).replace(/\.csv$/i, '');
  return path.basename(path.resolve(spec.dir));
}

function checkSize(flag: string, n: number | undefined, available: number, where: string): void {
  if (n === undefined) return;
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} must be a positive integer, got ${n}`);
  if (n > available) throw new UserError(`${flag} ${n} exceeds the ${available} examples in ${where}`);
}

function firstOf(set: ImageSet, n: number | undefined, flag: string, where: string): ImageSet {
  checkSize(flag, n, set.count, where);
  return n === undefined ? set : takeFirst(set, n);
}

/** A table's rows split into training and test examples, each in a seeded random order. */
function splitTable(spec: CsvSource): { train: ImageSet; test: ImageSet; classes: string[]; features: string[] } {
  const { set, classes, features } = loadCsvTable(spec);
  const { kept, held } = splitIndices(set.count, spec.testSplit, spec.splitSeed, spec.task === 'classification' ? set.labels : null);
  return {
    train: selectExamples(set, seededOrder(kept, spec.splitSeed)),
    test: selectExamples(set, seededOrder(held, spec.splitSeed + 1)),
    classes,
    features,
  };
}

function reportSkipped(skipped: { file: string; reason: string }[], reporter?: Reporter): void {
  if (skipped.length === 0) return;
  reporter?.warn?.(`--skip-bad-images: skipped ${skipped.length} image${skipped.length === 1 ? '' : 's'} that did not decode, e.g. ${skipped[0]!.reason}`);
}

/** Loads the training and test splits of a source, with the statistics that normalise them. */
export async function loadDataset(spec: DataSourceSpec, options: LoadDataOptions = {}): Promise<Dataset> {
  const sizes = {
    ...(options.trainSize === undefined ? {} : { trainSize: options.trainSize }),
    ...(options.testSize === undefined ? {} : { testSize: options.testSize }),
  };
  if (spec.kind === 'memory') throw new UserError(memoryDataProblem(spec));
  if (spec.kind === 'idx') {
    return loadIdxDataset(spec.dir ?? EMBEDDED_FASHION_MNIST_DIR, { ...sizes, ...(options.numClasses === undefined ? {} : { numClasses: options.numClasses }) });
  }
  if (spec.kind === 'image-folder') {
    const loaded = await loadImageFolder(spec, options.reporter === undefined ? {} : { reporter: options.reporter });
    if (loaded.fromCache.length > 0) options.reporter?.info?.(`decoded images of ${spec.dir} read from the cache (${loaded.fromCache.join(' and ')})`);
    reportSkipped(loaded.skipped, options.reporter);
    const train = firstOf(loaded.train!, options.trainSize, '--train-size', spec.dir);
    return {
      name: sourceName(spec),
      task: 'classification',
      numClasses: loaded.classes.length,
      classNames: loaded.classes,
      train,
      test: firstOf(loaded.test, options.testSize, '--test-size', spec.dir),
      normalization: channelStatistics(train),
      source: loaded.source,
    };
  }
  const table = splitTable(spec);
  const train = firstOf(table.train, options.trainSize, '--train-size', spec.file);
  const regression = spec.task === 'regression';
  return {
    name: sourceName(spec),
    task: spec.task,
    numClasses: regression ? 1 : table.classes.length,
    classNames: table.classes,
    train,
    test: firstOf(table.test, options.testSize, '--test-size', spec.file),
    normalization: channelStatistics(train),
    ...(regression ? { targetNormalization: targetStatistics(train.labels) } : {}),
    source: { ...spec, features: table.features },
  };
}

/** Loads only the test split of a source (decoding only its test images), optionally its first testSize examples. */
export async function loadTestSet(spec: DataSourceSpec, options: LoadDataOptions = {}): Promise<ImageSet> {
  if (spec.kind === 'memory') throw new UserError(memoryDataProblem(spec));
  if (spec.kind === 'idx') return loadTestSplit(spec.dir ?? EMBEDDED_FASHION_MNIST_DIR, options.testSize, options.numClasses ?? 10);
  if (spec.kind === 'image-folder') {
    const loaded = await loadImageFolder(spec, { testOnly: true, ...(options.reporter === undefined ? {} : { reporter: options.reporter }) });
    reportSkipped(loaded.skipped, options.reporter);
    return firstOf(loaded.test, options.testSize, '--test-size', spec.dir);
  }
  return firstOf(splitTable(spec).test, options.testSize, '--test-size', spec.file);
}

/** What a user says about their data (the command line's flags); only what they gave. */
export interface DataSourceOptions {
  /** An IDX directory, an image folder, or a .csv file; absent = the embedded Fashion-MNIST. */
  data?: string;
  label?: string;
  features?: string[];
  task?: Task;
  testSplit?: number;
  splitSeed?: number;
  imageSize?: [number, number];
  channels?: 1 | 3;
  skipBadImages?: boolean;
  cacheDir?: string;
}

const TABLE_FLAGS = { label: '--label', features: '--features' } as const;
const IMAGE_FLAGS = { imageSize: '--image-size', channels: '--channels', skipBadImages: '--skip-bad-images', cacheDir: '--cache-dir' } as const;

function refuse(options: DataSourceOptions, flags: Record<string, string>, what: string): void {
  for (const [key, flag] of Object.entries(flags)) {
    if (options[key as keyof DataSourceOptions] !== undefined) throw new UserError(`${flag} is for ${what}`);
  }
}

/** Whether a directory holds the standard IDX training images (then it is read as IDX files, as before). */
function holdsIdxFiles(dir: string): boolean {
  return ['train-images-idx3-ubyte', 'train-images-idx3-ubyte.gz'].some((f) => existsSync(path.join(dir, f)));
}

/** The data source that options describe: a .csv file is a table, a directory of IDX files is IDX, any other directory an image folder. */
export function resolveDataSource(options: DataSourceOptions): DataSourceSpec {
  const { data } = options;
  const table = data !== undefined && /\.csv$/i.test(data);
  if (!table) {
    refuse(options, TABLE_FLAGS, 'a CSV table (--data FILE.csv)');
    if (options.task === 'regression') throw new UserError('--task regression needs a CSV table (--data FILE.csv --label COLUMN)');
  }
  if (data === undefined || (!table && existsSync(data) && holdsIdxFiles(data))) {
    refuse(options, IMAGE_FLAGS, 'an image folder (--data DIR with DIR/<class>/ or DIR/train/<class>/)');
    if (options.testSplit !== undefined) throw new UserError('--test-split is for an image folder or a CSV table; IDX files have their own test split');
    return { kind: 'idx', dir: data === undefined ? null : path.resolve(data) };
  }
  const splitSeed = options.splitSeed ?? 1;
  if (table) {
    refuse(options, IMAGE_FLAGS, 'an image folder, not a CSV table');
    if (options.label === undefined) throw new UserError(`${data}: a CSV table needs --label COLUMN (the column to predict)`);
    return {
      kind: 'csv',
      file: path.resolve(data),
      label: options.label,
      features: options.features ?? null,
      task: options.task ?? 'classification',
      testSplit: options.testSplit ?? 0.2,
      splitSeed,
    };
  }
  if (!existsSync(data)) throw new UserError(`${data}: no such data directory or file`);
  return {
    kind: 'image-folder',
    dir: path.resolve(data),
    imageSize: options.imageSize ?? null,
    channels: options.channels ?? 3,
    testSplit: options.testSplit ?? null,
    splitSeed,
    skipBadImages: options.skipBadImages ?? false,
    cacheDir: options.cacheDir === undefined ? null : path.resolve(options.cacheDir),
  };
}
