import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { ImageSet } from '../data/dataset.js';
import { decodeIdx } from '../data/idx.js';
import { imageShape } from '../data/loadIdxDataset.js';
import { UserError } from '../util/errors.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(bytes: Uint8Array): boolean {
  return PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** One image of a PNG file as H x W x channels bytes; colour is converted to grey (ITU-R BT.601 luma) when channels is 1, over black where transparent. */
export function decodePng(bytes: Uint8Array, channels: number, name: string): { height: number; width: number; pixels: Uint8Array } {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new UserError(`${name}: not a readable PNG (${(e as Error).message})`);
  }
  const { width, height, data } = png;
  const pixels = new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    const r = data[4 * p]!;
    const g = data[4 * p + 1]!;
    const b = data[4 * p + 2]!;
    const alpha = data[4 * p + 3]! / 255;
    if (channels === 1) {
      pixels[p] = Math.round((0.299 * r + 0.587 * g + 0.114 * b) * alpha);
    } else {
      for (let c = 0; c < channels; c++) pixels[p * channels + c] = Math.round([r, g, b][c % 3]! * alpha);
    }
  }
  return { height, width, pixels };
}

export interface NamedImages {
  /** A label per image: the PNG's file name, or file#index for IDX files. */
  names: string[];
  images: ImageSet;
}

/**
 * Reads images to classify from IDX files (gzip or not) and PNG files, checking that every image is
 * height x width x channels. Labels of the returned set are zeros (unknown).
 */
export function readImageFiles(files: readonly string[], shape: readonly [number, number, number]): NamedImages {
  const [height, width, channels] = shape;
  const names: string[] = [];
  const chunks: Uint8Array[] = [];
  for (const file of files) {
    const bytes = readInputFile(file);
    if (isPng(bytes)) {
      const img = decodePng(bytes, channels, file);
      if (img.height !== height || img.width !== width) {
        throw new UserError(`${file}: image is ${img.width}x${img.height} pixels but the model takes ${width}x${height}`);
      }
      names.push(file);
      chunks.push(img.pixels);
    } else {
      const idx = decodeIdx(bytes, file);
      const s = imageShape(idx, file);
      if (s.height !== height || s.width !== width || s.channels !== channels) {
        throw new UserError(`${file}: images are ${s.height}x${s.width}x${s.channels} but the model takes ${height}x${width}x${channels}`);
      }
      for (let i = 0; i < s.count; i++) names.push(`${file}#${i}`);
      chunks.push(idx.data);
    }
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const pixels = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    pixels.set(c, offset);
    offset += c.length;
  }
  const count = names.length;
  return { names, images: { images: pixels, labels: new Uint8Array(count), count, height, width, channels } };
}

/** A file's bytes, or a one-line error naming it. */
export function readInputFile(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? String(e)})`);
  }
}
