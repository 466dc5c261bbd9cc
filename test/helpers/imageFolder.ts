import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { loadIdxDataset } from '../../src/data/loadIdxDataset.js';

/** Fashion-MNIST classes used for image-folder tests, by index, with folder names. */
export const FOLDER_CLASSES = [
  [1, 'trouser'],
  [7, 'sneaker'],
  [8, 'bag'],
] as const;

/** Writes height x width x channels bytes as a PNG file with sharp (the project's one image library). */
export async function writePng(file: string, pixels: Uint8Array, width: number, height: number, channels: 1 | 3 | 4 = 1): Promise<void> {
  await sharp(Buffer.from(pixels), { raw: { width, height, channels } }).png().toFile(file);
}

/** A grey image as colours that differ by channel: red the grey value, green half of it, blue its inverse. */
function tinted(pixels: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(pixels.length * 3);
  pixels.forEach((v, p) => rgb.set([v, v >> 1, 255 - v], 3 * p));
  return rgb;
}

/**
 * A Fashion-MNIST image (28 x 28 grey bytes) written as PNG at 28 x 28, or as JPEG scaled to 32 x 32; with `colour`,
 * tinted so that every channel has its own statistics.
 */
export async function writeImage(pixels: Uint8Array, file: string, format: 'png' | 'jpeg', colour = false): Promise<void> {
  const image = sharp(Buffer.from(colour ? tinted(pixels) : pixels), { raw: { width: 28, height: 28, channels: colour ? 3 : 1 } });
  if (format === 'png') await image.png().toFile(file);
  else await image.resize(32, 32).jpeg({ quality: 95 }).toFile(file);
}

/**
 * An image folder in the layout of Keras' image_dataset_from_directory: DIR/train/<class>/ and DIR/test/<class>/
 * (or DIR/<class>/ when `tree`), images from the embedded Fashion-MNIST, alternately PNG (28 x 28) and JPEG (32 x 32).
 */
export async function writeImageFolder(dir: string, options: { train: number; test: number; tree?: boolean; formats?: ('png' | 'jpeg')[]; colour?: boolean }): Promise<void> {
  const { train, test } = loadIdxDataset();
  const formats = options.formats ?? ['png', 'jpeg'];
  for (const [split, set, n] of [['train', train, options.train], ['test', test, options.test]] as const) {
    for (const [label, name] of FOLDER_CLASSES) {
      const folder = options.tree === true ? path.join(dir, name) : path.join(dir, split, name);
      mkdirSync(folder, { recursive: true });
      let written = 0;
      for (let i = 0; i < set.count && written < n; i++) {
        if (set.labels[i] !== label) continue;
        const format = formats[written % formats.length]!;
        await writeImage(set.images.subarray(i * 784, (i + 1) * 784) as Uint8Array, path.join(folder, `${split}-${i}.${format === 'png' ? 'png' : 'jpg'}`), format, options.colour);
        written++;
      }
    }
  }
}
