import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Reporter } from '../util/reporter.js';
import { firstLine, UserError } from '../util/errors.js';
import { permutation, Rng } from '../util/rng.js';
import type { ImageSet } from './dataset.js';
import { cacheKey, defaultCacheDir, readCached, writeCached, type DecodedImages } from './decodeCache.js';
import { decodeImage, imageDimensions, isImageFile } from './decodeImage.js';
import { splitIndices } from './split.js';
import type { ImageFolderSource } from '../schema/data.js';

/** Labelled files of one split, classes numbered in sorted order. */
interface FileList {
  files: string[];
  labels: number[];
}

const MAX_CLASSES = 256;

function isDirectory(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** The class folders of a tree, sorted by name, with their image files (sorted); an empty one is an error. */
function classTree(root: string): { classes: string[]; filesOf: Map<string, string[]> } {
  const classes = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (classes.length === 0) throw new UserError(`${root}: no class folders (expected ${root}/<class>/<image files>)`);
  const filesOf = new Map<string, string[]>();
  for (const name of classes) {
    const dir = path.join(root, name);
    const files = readdirSync(dir).filter(isImageFile).sort().map((f) => path.join(dir, f));
    if (files.length === 0) throw new UserError(`${dir}: empty class folder (no PNG, JPEG, WebP or GIF files)`);
    filesOf.set(name, files);
  }
  return { classes, filesOf };
}

function fileList(classes: readonly string[], filesOf: Map<string, string[]>, only?: readonly string[]): FileList {
  const files: string[] = [];
  const labels: number[] = [];
  for (const name of only ?? classes) {
    for (const f of filesOf.get(name)!) {
      files.push(f);
      labels.push(classes.indexOf(name));
    }
  }
  return { files, labels };
}

/** The files at the given positions, in a seeded order (so that --train-size keeps a sample of every class). */
function shuffled(list: FileList, seed: number, positions?: readonly number[]): FileList {
  const keep = positions ?? list.files.map((_, i) => i);
  const order = permutation(keep.length, new Rng(seed));
  return { files: Array.from(order, (k) => list.files[keep[k]!]!), labels: Array.from(order, (k) => list.labels[keep[k]!]!) };
}

/** The class names and the labelled files of the training and test splits of an image folder. */
export function listImageFolder(source: ImageFolderSource): { classes: string[]; train: FileList; test: FileList } {
  const { dir } = source;
  if (!isDirectory(dir)) throw new UserError(`${dir}: no such data directory`);
  const trainDir = path.join(dir, 'train');
  const testDir = path.join(dir, 'test');
  if (isDirectory(trainDir) || isDirectory(testDir)) {
    if (!isDirectory(trainDir) || !isDirectory(testDir)) {
      throw new UserError(`${dir}: has ${isDirectory(trainDir) ? 'train/ but no test/' : 'test/ but no train/'} folder (give both, or one <class> tree with --test-split)`);
    }
    if (source.testSplit !== null) throw new UserError(`${dir}: --test-split is for one <class> tree; this folder has train/ and test/`);
    const train = classTree(trainDir);
    const test = classTree(testDir);
    for (const name of test.classes) {
      if (!train.classes.includes(name)) throw new UserError(`${path.join(testDir, name)}: class '${name}' is not in ${trainDir}`);
    }
    checkClassCount(train.classes, trainDir);
    return {
      classes: train.classes,
      train: shuffled(fileList(train.classes, train.filesOf), source.splitSeed),
      test: shuffled(fileList(train.classes, test.filesOf, test.classes), source.splitSeed + 1),
    };
  }
  const tree = classTree(dir);
  checkClassCount(tree.classes, dir);
  const all = fileList(tree.classes, tree.filesOf);
  const { kept, held } = splitIndices(all.files.length, source.testSplit ?? 0.2, source.splitSeed, all.labels);
  return { classes: tree.classes, train: shuffled(all, source.splitSeed, kept), test: shuffled(all, source.splitSeed + 1, held) };
}

function checkClassCount(classes: readonly string[], dir: string): void {
  if (classes.length > MAX_CLASSES) throw new UserError(`${dir}: ${classes.length} class folders; at most ${MAX_CLASSES} are supported`);
}

/** The size every image shares, or an error naming two that differ; with skipBad, unreadable headers are passed over (decoding counts them). */
async function commonSize(files: readonly string[], skipBad: boolean): Promise<[number, number]> {
  const readable: { file: string; height: number; width: number }[] = [];
  for (const file of files) {
    try {
      readable.push({ file, ...(await imageDimensions(file)) });
    } catch (e) {
      if (!skipBad) throw e;
    }
  }
  if (readable.length === 0) throw new UserError(`${path.dirname(files[0]!)}: no image could be read`);
  const first = readable[0]!;
  for (const d of readable.slice(1)) {
    const file = d.file;
    if (d.height !== first.height || d.width !== first.width) {
      throw new UserError(
        `${first.file} is ${first.height}x${first.width} but ${file} is ${d.height}x${d.width} (HxW); give --image-size HxW to resize them all`,
      );
    }
  }
  return [first.height, first.width];
}

/** Images decoded at a time: sharp decodes on its own threads, so a few in flight keep them busy. */
const IN_FLIGHT = 8;

/** Decodes a file list (or reads it from the cache); returns the images and whether they came from the cache. */
async function decodeList(
  list: FileList,
  label: string,
  source: ImageFolderSource,
  size: [number, number],
  reporter?: Reporter,
): Promise<{ decoded: DecodedImages; cached: boolean }> {
  const [height, width] = size;
  const cacheDir = source.cacheDir ?? defaultCacheDir();
  const key = cacheKey(list.files, list.labels, { height, width, channels: source.channels, skipBadImages: source.skipBadImages });
  const hit = readCached(cacheDir, key);
  if (hit !== null) return { decoded: hit, cached: true };
  const per = height * width * source.channels;
  const results: (Uint8Array | string)[] = new Array(list.files.length);
  let done = 0;
  for (let start = 0; start < list.files.length; start += IN_FLIGHT) {
    const chunk = list.files.slice(start, start + IN_FLIGHT);
    await Promise.all(
      chunk.map(async (file, k) => {
        try {
          results[start + k] = await decodeImage(file, { height, width }, source.channels);
        } catch (e) {
          if (!source.skipBadImages) throw e;
          results[start + k] = firstLine(e);
        }
      }),
    );
    done += chunk.length;
    reporter?.progress?.({ label, done, total: list.files.length });
  }
  const kept = results.flatMap((r, i) => (typeof r === 'string' ? [] : [i]));
  const pixels = new Uint8Array(kept.length * per);
  kept.forEach((i, k) => pixels.set(results[i] as Uint8Array, k * per));
  const decoded: DecodedImages = {
    height,
    width,
    channels: source.channels,
    files: kept.map((i) => list.files[i]!),
    labels: kept.map((i) => list.labels[i]!),
    skipped: results.flatMap((r, i) => (typeof r === 'string' ? [{ file: list.files[i]!, reason: r }] : [])),
    pixels,
  };
  if (decoded.files.length === 0) throw new UserError(`${label}: no image could be decoded`);
  writeCached(cacheDir, key, decoded);
  return { decoded, cached: false };
}

function asImageSet(d: DecodedImages): ImageSet {
  return { images: d.pixels, labels: Uint8Array.from(d.labels), count: d.files.length, height: d.height, width: d.width, channels: d.channels };
}

/** An image folder's decoded splits, its classes, the images it skipped and the splits read from the cache. */
export interface LoadedImageFolder {
  classes: string[];
  train: ImageSet | null;
  test: ImageSet;
  /** The source with its image size resolved. */
  source: ImageFolderSource;
  /** Splits read from the decode cache instead of decoded. */
  fromCache: ('train' | 'test')[];
  skipped: { file: string; reason: string }[];
}

/** Lists, decodes (or reads from the cache) and labels the images of a folder: both splits, or only the test split. */
export async function loadImageFolder(
  source: ImageFolderSource,
  options: { reporter?: Reporter; testOnly?: boolean } = {},
): Promise<LoadedImageFolder> {
  const { classes, train, test } = listImageFolder(source);
  const size = source.imageSize ?? (await commonSize([...train.files, ...test.files], source.skipBadImages));
  checkSize(size);
  const resolved: ImageFolderSource = { ...source, imageSize: size };
  const fromCache: ('train' | 'test')[] = [];
  const skipped: { file: string; reason: string }[] = [];
  let trainSet: ImageSet | null = null;
  if (options.testOnly !== true) {
    const t = await decodeList(train, `decoding ${source.dir} (training images)`, resolved, size, options.reporter);
    if (t.cached) fromCache.push('train');
    skipped.push(...t.decoded.skipped);
    trainSet = asImageSet(t.decoded);
  }
  const t = await decodeList(test, `decoding ${source.dir} (test images)`, resolved, size, options.reporter);
  if (t.cached) fromCache.push('test');
  skipped.push(...t.decoded.skipped);
  return { classes, train: trainSet, test: asImageSet(t.decoded), source: resolved, fromCache, skipped };
}

function checkSize([h, w]: [number, number]): void {
  if (!(Number.isInteger(h) && Number.isInteger(w) && h >= 1 && w >= 1 && h * w <= 4096 * 4096)) {
    throw new UserError(`image size ${h}x${w} is not a size to train on (HxW, each at least 1)`);
  }
}
