/**
 * Normalisation of every value, per channel c (the last axis; a table's features): x' = (x / 255 - mean[c]) / std[c]
 * for image bytes, x' = (x - mean[c]) / std[c] for a table's numbers. A single number applies to every channel.
 */
export interface Normalization {
  readonly mean: number | readonly number[];
  readonly std: number | readonly number[];
}

/** How training images are augmented: a random crop after zero-padding, and random flips. */
export interface Augmentation {
  /** Zero padding (in raw pixels) before a random crop back to the original size; 0 disables cropping. */
  readonly pad: number;
  /** Flip horizontally with probability 0.5. */
  readonly flip: boolean;
}

/** What a run learns: a class per example (softmax cross-entropy) or a number (mean squared error). */
export type Task = 'classification' | 'regression';

/** The tasks a run can learn. */
export const TASKS: readonly Task[] = ['classification', 'regression'];

/** A CSV table as `--data FILE.csv --label COLUMN [--features a,b,c]` names it. */
export interface CsvSource {
  kind: 'csv';
  file: string;
  /** The column to predict. */
  label: string;
  /** Feature columns; null = every column but the label. */
  features: string[] | null;
  task: Task;
  /** Fraction of the rows held out for testing (stratified by class for classification), seeded. */
  testSplit: number;
  splitSeed: number;
}

/** An image folder as `--data DIR` names it, and how its images are decoded. */
export interface ImageFolderSource {
  kind: 'image-folder';
  dir: string;
  /** [height, width]; null = the size all images share. */
  imageSize: [number, number] | null;
  channels: 1 | 3;
  /** With one DIR/<class> tree: the fraction held out for testing (stratified); null with DIR/train and DIR/test. */
  testSplit: number | null;
  splitSeed: number;
  skipBadImages: boolean;
  /** Where decoded images are cached; null = defaultCacheDir(). */
  cacheDir: string | null;
}

/** A directory of the four standard IDX files; null = the embedded Fashion-MNIST. */
export interface IdxSource {
  kind: 'idx';
  dir: string | null;
}

/**
 * Examples a program gave in memory (a Dataset built from its own arrays): nothing to read again, so whoever needs
 * them (evaluation, resumption, the loss landscape) must be given them.
 */
export interface MemorySource {
  kind: 'memory';
  /** The dataset's name. */
  name: string;
}

/**
 * Where a run's examples come from, with everything needed to read them again the same way (recorded in run.json):
 * IDX files, an image folder, or a CSV table; or arrays given in memory. Training, evaluation, prediction and
 * serving see only the Dataset and ImageSet that loadDataset and loadTestSet make of it.
 */
export type DataSourceSpec = IdxSource | ImageFolderSource | CsvSource | MemorySource;
