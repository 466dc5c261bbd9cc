import { InvalidArgumentError, Option, type Command } from 'commander';

import type { DataSourceOptions } from '../data/source.js';
import { integer } from './parsers.js';
import { TASKS } from '../schema/data.js';
import { UserError } from '../util/errors.js';

/** The flags that addDataOptions adds: what resolveDataSource takes. */
export type DataFlags = DataSourceOptions;

/** 'H' or 'HxW', e.g. 32 or 64x48. */
export function imageSize(value: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/.exec(value.trim());
  if (m === null) throw new InvalidArgumentError(`'${value}' is not H or HxW (e.g. 32 or 64x48).`);
  const h = Number(m[1]);
  const w = m[2] === undefined ? h : Number(m[2]);
  if (h < 1 || w < 1 || h > 4096 || w > 4096) throw new InvalidArgumentError(`'${value}': height and width must be in 1..4096.`);
  return [h, w];
}

function channels(value: string): 1 | 3 {
  if (value !== '1' && value !== '3') throw new InvalidArgumentError(`'${value}' is not 1 (grey) or 3 (RGB).`);
  return Number(value) as 1 | 3;
}

function columnList(value: string): string[] {
  const names = value.split(',').map((v) => v.trim());
  if (names.some((n) => n === '')) throw new InvalidArgumentError(`'${value}' is not a comma-separated list of column names.`);
  return names;
}

function testSplit(value: string): number {
  const f = Number(value);
  if (value.trim() === '' || !(f > 0 && f < 1)) throw new InvalidArgumentError(`'${value}' is not a fraction in (0, 1).`);
  return f;
}

/** Adds the flags that say where the data is and how to read it (IDX files, an image folder, a CSV table). */
export function addDataOptions(command: Command): Command {
  return command
    .option('--data <path>', 'a directory of the four IDX files, an image folder (DIR/<class>/* or DIR/train|test/<class>/*), or a CSV table (default: the embedded Fashion-MNIST)')
    .option('--label <column>', 'CSV: the column to predict')
    .option('--features <a,b,c>', 'CSV: the feature columns (default: every column but the label)', columnList)
    .addOption(new Option('--task <task>', 'CSV: classification or regression of the label column').choices(TASKS))
    .option('--test-split <fraction>', 'image folder with one <class> tree, or CSV: fraction held out for testing, stratified by class (default 0.2)', testSplit)
    .option('--split-seed <n>', 'seed of the test split and of the examples\' order (default 1)', integer(0, 2 ** 32 - 1))
    .option('--image-size <HxW>', 'image folder: resize every image to H x W (default: the size all images share)', imageSize)
    .option('--channels <n>', 'image folder: 1 (grey) or 3 (RGB, the default)', channels)
    .option('--skip-bad-images', 'image folder: leave out images that do not decode (counted in a warning) instead of stopping')
    .option('--cache-dir <dir>', 'image folder: where decoded images are cached (default ~/.cache/snapshot-ensembles/decoded)');
}

/** The flags of addValidationOptions. */
export interface ValidationFlags {
  valSize?: number;
  valSplit?: number;
}

/**
 * Adds --val-size and --val-split: the last training examples held out for validation (the regression members'
 * noise variance, the validation metrics, compare's best-k and fitted weights). For IDX files those are the last in
 * file order; image folders and tables are in a seeded random order already.
 */
export function addValidationOptions(command: Command): Command {
  return command
    .option('--val-split <fraction>', 'hold out this fraction of the training examples (the last ones) for validation', testSplit)
    .option('--val-size <n>', 'hold out the last N training examples for validation (or --val-split)', integer(0));
}

/** The validation examples the flags ask for, out of `trainExamples` (0: none); --val-size and --val-split exclude each other. */
export function validationSize(flags: ValidationFlags, trainExamples: number): number {
  if (flags.valSize !== undefined && flags.valSplit !== undefined) throw new UserError('--val-size and --val-split both say how many examples to hold out: give one');
  if (flags.valSplit !== undefined) return Math.max(1, Math.round(flags.valSplit * trainExamples));
  return flags.valSize ?? 0;
}

/** Flags of addDataOptions, by their option names (for --resume, which refuses them). */
export const DATA_FLAG_NAMES = ['data', 'label', 'features', 'task', 'testSplit', 'splitSeed', 'imageSize', 'channels', 'skipBadImages', 'cacheDir'] as const;

/** The network trained when --model is not given: the paper's CNN for images, an MLP for a CSV table. */
export const DEFAULT_IMAGE_MODEL = 'cnn';
export const DEFAULT_TABLE_MODEL = 'mlp-64x2';
export const DEFAULT_MODEL_HELP = `network to train (default: ${DEFAULT_IMAGE_MODEL} for images, ${DEFAULT_TABLE_MODEL} for a CSV table)`;

/** The network for data given by --data when --model is not given. */
export function defaultModel(flags: DataFlags): string {
  return flags.data !== undefined && /\.csv$/i.test(flags.data) ? DEFAULT_TABLE_MODEL : DEFAULT_IMAGE_MODEL;
}

/** The data flags the user gave, for resolveDataSource. */
export function dataSourceOptions(flags: DataFlags): DataSourceOptions {
  const out: Record<string, unknown> = {};
  for (const key of DATA_FLAG_NAMES) if (flags[key] !== undefined) out[key] = flags[key];
  return out as DataSourceOptions;
}
