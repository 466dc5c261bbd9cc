import { readFileSync } from 'node:fs';
import type { ImageSet } from './dataset.js';
import { decodeIdx, isGzip } from './idx.js';
import { decodeImageFile } from './decodeImage.js';
import { imageShape } from './loadIdxDataset.js';
import { UserError } from '../util/errors.js';

/** Examples read from files, each named by its file (or file#index, file:line). */
export interface NamedImages {
  /** A label per image: the PNG's file name, or file#index for IDX files. */
  names: string[];
  images: ImageSet;
}

/** Whether a file's bytes are an IDX file (gzip-compressed or not), rather than an image format. */
function isIdx(bytes: Uint8Array): boolean {
  return isGzip(bytes) || (bytes[0] === 0 && bytes[1] === 0);
}

/**
 * Reads images to classify: IDX files (gzip or not) of height x width x channels images, and image files (PNG,
 * JPEG, WebP, GIF) decoded with the project's one decoder (decodeImageFile), resized to the model's size when
 * `resize`, else refused when of another size. Labels of the returned set are zeros (unknown).
 */
export async function readImageFiles(files: readonly string[], shape: readonly [number, number, number], resize: boolean): Promise<NamedImages> {
  const [height, width, channels] = shape;
  const names: string[] = [];
  const chunks: Uint8Array[] = [];
  for (const file of files) {
    const bytes = readInputFile(file);
    if (isIdx(bytes)) {
      const idx = decodeIdx(bytes, file);
      const s = imageShape(idx, file);
      if (s.height !== height || s.width !== width || s.channels !== channels) {
        throw new UserError(`${file}: images are ${s.height}x${s.width}x${s.channels} but the model takes ${height}x${width}x${channels}`);
      }
      for (let i = 0; i < s.count; i++) names.push(`${file}#${i}`);
      chunks.push(idx.data);
      continue;
    }
    if (channels !== 1 && channels !== 3) throw new UserError(`${file}: the model takes ${channels}-channel images, which image files do not hold`);
    const image = await decodeImageFile(bytes, resize ? { height, width } : null, channels, file);
    if (image.height !== height || image.width !== width) {
      throw new UserError(`${file}: image is ${image.width}x${image.height} pixels but the model takes ${width}x${height}`);
    }
    names.push(file);
    chunks.push(image.pixels);
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
